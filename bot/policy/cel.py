"""CEL conditions: compiled once when a policy loads, evaluated safely against any JSON payload."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import celpy
from celpy import celtypes
from celpy.evaluation import base_functions

VARIABLES = ("payload", "workflow", "action", "requested_by", "agent", "summary")
_INT64 = (-(2**63), 2**63 - 1)
_MAX_ERROR = 200
_MACROS = {"has", "all", "exists", "exists_one", "map", "filter"}
_FUNCTIONS = _MACROS | {name for name in base_functions if name.isidentifier()}
_VALUE = re.compile(r"\b(\w+?)Type\((?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^()]*)\)")


class Condition(str):
    """A rule's `when` text that also carries its compiled CEL program."""

    program: celpy.Runner

    def __new__(cls, source: str, program: celpy.Runner) -> Condition:
        self = super().__new__(cls, source)
        self.program = program
        return self


@cache
def _environment() -> celpy.Environment:
    return celpy.Environment()


def compile_condition(source: Any) -> Condition:
    """Compile `source`, or ValueError saying what is wrong (syntax, or a name that is not a variable)."""
    if not isinstance(source, str) or not source.strip():
        raise ValueError('expected a CEL expression such as "payload.amount > 500"')
    env = _environment()
    try:
        ast = env.compile(source)
    except celpy.CELParseError as exc:
        column = f" at column {exc.column}" if exc.column else ""
        raise ValueError(f"CEL syntax error{column}: {_first_line(source, exc)}") from None
    _check_functions(source, ast)
    program = env.program(ast)
    _check_names(source, program)
    return Condition(source, program)


def _first_line(source: str, exc: celpy.CELParseError) -> str:
    lines = source.splitlines() or [""]
    line = lines[(exc.line or 1) - 1] if (exc.line or 1) <= len(lines) else lines[-1]
    return f"{line.strip()!r}"


def _check_functions(source: str, ast: Any) -> None:
    # CEL has no `trim()` or `lower()`: say so at load time rather than failing every evaluation.
    for tree in ast.iter_subtrees():
        if tree.data in ("member_dot_arg", "ident_arg"):
            name = next((str(c) for c in tree.children if getattr(c, "type", None) == "IDENT"), "")
            if name and name not in _FUNCTIONS:
                raise ValueError(f"unknown function {name!r} in {source!r}")


def _check_names(source: str, program: celpy.Runner) -> None:
    # A misspelt variable ("paylod") would otherwise fail on every proposal and never match.
    blank = activation({}, {})
    try:
        program.evaluate(blank)
    except Exception as exc:  # any other failure on an empty payload is expected
        name = re.match(r"undeclared reference to '([^']+)'", str(exc.args[0]) if exc.args else "")
        if name:
            known = ", ".join(VARIABLES)
            raise ValueError(f"unknown name {name.group(1)!r} in {source!r} (variables: {known})") from None


def activation(payload: Any, variables: dict[str, Any]) -> dict[str, Any]:
    """CEL variables for one proposal; the payload is made CEL-safe first (may raise on absurd input)."""
    values: dict[str, Any] = {"payload": celpy.json_to_cel(to_json_safe(payload))}
    for name in VARIABLES[1:]:
        value = variables.get(name)
        values[name] = celtypes.StringType("" if value is None else str(value))
    return values


def to_json_safe(value: Any) -> Any:
    """Integers beyond CEL's int64 become doubles (CEL ints overflow); other types pass through."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and not _INT64[0] <= value <= _INT64[1]:
        try:
            return float(value)
        except OverflowError:
            return float("inf") if value > 0 else float("-inf")
    if isinstance(value, dict):
        return {k: to_json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_safe(v) for v in value]
    return value


def run(condition: Condition, values: dict[str, Any]) -> tuple[bool, str | None]:
    """(matched, error): any failure, or a non-boolean result, is an error and never a match."""
    try:
        result = condition.program.evaluate(values)
    except Exception as exc:  # a rule must fail closed, whatever broke inside the CEL library
        return False, describe(exc)
    if isinstance(result, celpy.CELEvalError):
        return False, describe(result)
    if not isinstance(result, celtypes.BoolType):
        return False, f"result is {_type_name(type(result))}, not a boolean"
    return bool(result), None


def describe(exc: BaseException) -> str:
    """A short message for a CEL failure, without echoing the (possibly sensitive) payload."""
    if isinstance(exc, RecursionError):
        return "payload nests too deeply to evaluate"
    text = str(exc.args[0]) if exc.args else type(exc).__name__
    text = text.split(" (in activation", 1)[0]
    text = re.sub(r"<class '(?:[\w.]+\.)?(\w+)'>", lambda m: _TYPE_NAMES.get(m.group(1), m.group(1)), text)
    text = re.sub(r"Token\('RULE', '(\w+)'\)", lambda m: repr(_OPERATORS.get(m.group(1), m.group(1))), text)
    text = _VALUE.sub(lambda m: m.group(1).lower(), text)  # keep payload values out of error messages
    if not isinstance(exc, celpy.CELEvalError):
        text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


def _type_name(kind: type) -> str:
    return _TYPE_NAMES.get(kind.__name__, kind.__name__)


_OPERATORS = {
    "relation_lt": "<", "relation_le": "<=", "relation_gt": ">", "relation_ge": ">=", "relation_eq": "==",
    "relation_ne": "!=", "relation_in": "in", "addition_add": "+", "addition_sub": "-", "multiplication_mul": "*",
    "multiplication_div": "/", "multiplication_mod": "%",
}  # fmt: skip
_TYPE_NAMES = {
    "NoneType": "null", "CELEvalError": "error", "StringType": "string", "IntType": "int", "UintType": "uint",
    "DoubleType": "double", "BoolType": "bool", "MapType": "map", "ListType": "list", "BytesType": "bytes",
    "TimestampType": "timestamp", "DurationType": "duration",
}  # fmt: skip
