"""CEL conditions: compiled once when a policy loads, evaluated safely against any JSON payload.

The engine is `cel` (common-expression-language, Rust-backed) with its native standard library only: its optional
pure-Python extensions (`trim`, `lowerAscii`, ...) are not enabled, so they are reported as unknown functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import cel

VARIABLES = ("payload", "workflow", "action", "requested_by", "agent", "summary")
# The engine converts values recursively in native code, where a stack overflow kills the process instead of
# raising: 100 nested containers already crash a thread with a 128 KiB stack (musl's default), 64 do not.
MAX_DEPTH = 64
_INT64 = (-(2**63), 2**63 - 1)
_MAX_ERROR = 200

# What the engine provides natively. Member-only functions fail at run time when called as `f(x, ...)`, and
# conversions fail when called as `x.f()`, so the call form is checked at load time too.
_MACROS = frozenset({"has", "all", "exists", "exists_one", "map", "filter"})
_CONVERSIONS = frozenset({"int", "uint", "double", "string", "bytes", "timestamp", "duration", "dyn", "type"})
_METHODS = frozenset(
    {
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
    }
)
_FUNCTIONS = _CONVERSIONS | _METHODS | {"size"}
_TYPE_NAMES = frozenset({"int", "uint", "double", "string", "bool", "bytes", "list", "map", "null_type", "type"})

# String literals (raw ones cannot escape their quote), so that their text is not taken for names or calls.
_STRING = re.compile(
    r"""\b(?:[rR][bB]?|[bB][rR])(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"[^"\n]*"|'[^'\n]*')"""  # raw
    r"""|(?:\b[bB])?(?:\"\"\"(?:\\[\s\S]|[^\\])*?\"\"\"|'''(?:\\[\s\S]|[^\\])*?'''"""
    r"""|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')"""
)
_BOUND = re.compile(r"\.\s*(?:all|exists_one|exists|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
_CALL = re.compile(r"(\.\s*)?\b([A-Za-z_]\w*)\s*\(")
_PARSE_ERROR = re.compile(r"<input>:(\d+):(\d+): (.*)")
_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")


class PayloadError(ValueError):
    """The payload holds something CEL cannot represent; the message never quotes the payload."""


class Condition(str):
    """A rule's `when` text that also carries its compiled CEL program and the variables it reads."""

    program: cel.Program
    names: frozenset[str]

    def __new__(cls, source: str, program: cel.Program, names: Iterable[str] = VARIABLES) -> Condition:
        self = super().__new__(cls, source)
        self.program = program
        self.names = frozenset(names) & frozenset(VARIABLES)
        return self

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # A compiled program cannot be pickled or deep-copied: copies compile the text again.
        return compile_condition, (str(self),)


def compile_condition(source: Any) -> Condition:
    """Compile `source`, or ValueError saying what is wrong (syntax, a name that is not a variable, a function)."""
    if not isinstance(source, str) or not source.strip():
        raise ValueError('expected a CEL expression such as "payload.amount > 500"')
    try:
        program = cel.compile(source)
    except Exception as exc:  # noqa: BLE001 - ValueError with "<input>:LINE:COL: ..." for every syntax problem
        raise ValueError(_syntax_error(source, str(exc))) from None
    _check_references(source, program)
    return Condition(source, program, program.variables())


def _syntax_error(source: str, text: str) -> str:
    errors = list(_PARSE_ERROR.finditer(text))
    # Internal diagnostics ("Incomplete `IndexContext`!") can come first; the grammar's own complaint is clearer.
    found = next((e for e in errors if "`" not in e.group(3)), errors[0] if errors else None)
    if found is None:
        return f"CEL syntax error: {_short(text.splitlines()[0] if text else 'cannot parse')}"
    line, column, reason = int(found.group(1)), int(found.group(2)), found.group(3)
    lines = source.splitlines() or [""]
    while line > 1 and (line > len(lines) or not lines[line - 1].strip()):  # the end of input after a newline
        line -= 1
        column = len(lines[min(line, len(lines)) - 1].rstrip()) + 1
    where = f"at line {line}, column {column}" if len(lines) > 1 else f"at column {column}"
    return f"CEL syntax error {where}: {_reason(reason)} in {_excerpt(lines[min(line, len(lines)) - 1], column)!r}"


def _excerpt(line: str, column: int) -> str:
    """The line, or 80 characters of it around the 1-based `column` when it is longer."""
    if len(line.strip()) <= 80:
        return line.strip()
    start = max(0, min(column - 60, len(line) - 80))
    return ("…" if start else "") + line[start : start + 80].strip() + ("…" if start + 80 < len(line) else "")


def _reason(reason: str) -> str:
    """The parser's complaint, without its list of expected tokens."""
    if "Recursion limit" in reason:
        return "the expression nests too deeply"
    reason = reason.removeprefix("Syntax error: ")
    reason = reason.split(" expecting ", 1)[0].replace("'<EOF>'", "end of input").replace("<EOF>", "end of input")
    reason = re.sub(r"^(?:mismatched input|extraneous input|no viable alternative at input) ", "unexpected ", reason)
    return re.sub(r"^token recognition error at: ", "unexpected characters ", reason)


def _check_references(source: str, program: cel.Program) -> None:
    # A misspelt variable ("paylod") or function would otherwise fail on every proposal and never match.
    code = _STRING.sub('""', source)
    references = program.references()
    for name in references["functions"]:
        if not name.isidentifier():
            continue  # an operator, such as _+_ or @in
        if name in _MACROS:  # the parser expands the macros it supports; this one has the wrong arguments
            raise ValueError(f"unsupported use of {name}() in {source!r}: write list.{name}(x, <condition on x>)")
        if name not in _FUNCTIONS:
            raise ValueError(f"unknown function {name!r} in {source!r}")
    bound = set(_BOUND.findall(code))  # `i` in `payload.items.all(i, ...)` is reported as a variable too
    unknown = [n for n in references["variables"] if n not in VARIABLES and n not in _TYPE_NAMES and n not in bound]
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        known = ", ".join(VARIABLES)
        raise ValueError(f"unknown name{'s' if len(unknown) > 1 else ''} {names} in {source!r} (variables: {known})")
    for call in _CALL.finditer(code):
        method, name = call.group(1) is not None, call.group(2)
        if method and name in _CONVERSIONS:
            raise ValueError(f"{name}() is not a method: write {name}(x), not x.{name}(), in {source!r}")
        if not method and name in _METHODS:
            raise ValueError(f"{name}() is a method: write x.{name}(...), not {name}(x, ...), in {source!r}")


def activation(payload: Any, variables: dict[str, Any], names: Iterable[str] = VARIABLES) -> cel.Context:
    """CEL variables for one proposal, converted once; PayloadError when the payload cannot be represented.

    The payload is always converted (a payload CEL cannot hold is an error for every rule); of the other variables,
    only those in `names` (the ones the rules read), as each costs about a microsecond."""
    values = {"payload": to_json_safe(payload)}
    for name in VARIABLES[1:]:
        if name not in names:
            continue
        value = variables.get(name)
        values[name] = "" if value is None else str(value)
        if not _is_unicode(values[name]):
            raise PayloadError(f"{name} is not valid Unicode (it holds a lone surrogate)")
    return cel.Context(values)


def to_json_safe(value: Any, depth: int = 0) -> Any:
    """`value` as CEL can hold it: integers beyond int64 become doubles (CEL ints overflow); PayloadError for
    nesting deeper than MAX_DEPTH, strings that are not valid Unicode and values that are not JSON."""
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        if _INT64[0] <= value <= _INT64[1]:
            return value
        try:
            return float(value)
        except OverflowError:
            return float("inf") if value > 0 else float("-inf")
    if isinstance(value, str):
        if not _is_unicode(value):
            raise PayloadError("it holds a string that is not valid Unicode (a lone surrogate)")
        return value
    if depth >= MAX_DEPTH:
        raise PayloadError(f"it nests too deeply (more than {MAX_DEPTH} levels)")
    if isinstance(value, dict):
        return {_key(k): to_json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_safe(v, depth + 1) for v in value]
    raise PayloadError(f"it holds a {type(value).__name__}, which is not a JSON value")


def _is_unicode(text: str) -> bool:
    if text.isascii():  # constant time; only other strings can hold a lone surrogate, which CEL cannot
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _key(key: Any) -> Any:
    if isinstance(key, str) and _is_unicode(key):
        return key
    if isinstance(key, bool) or (isinstance(key, int) and _INT64[0] <= key <= _INT64[1]):
        return key
    what = "a key that is not valid Unicode" if isinstance(key, str) else f"a {type(key).__name__} map key"
    raise PayloadError(f"it has {what}, which CEL cannot represent")


def run(condition: Condition, values: cel.Context) -> tuple[bool, str | None]:
    """(matched, error): any failure, or a non-boolean result, is an error and never a match."""
    try:
        result = condition.program.execute(values)
    except Exception as exc:  # noqa: BLE001 - a rule must fail closed, whatever broke inside the CEL library
        return False, describe(exc, condition)
    except BaseException as exc:  # a panic in the native engine arrives as pyo3's PanicException
        if type(exc).__name__ != "PanicException":
            raise
        return False, "the CEL engine failed on this payload"
    if not isinstance(result, bool):
        return False, f"result is {_type_name(result)}, not a boolean"
    return result, None


def describe(exc: BaseException, source: str = "") -> str:
    """A short message for a CEL failure, without echoing the (possibly sensitive) payload.

    Quoted text is kept only when it also appears in the rule's `source` (a key the rule names, say)."""
    if isinstance(exc, RecursionError):
        return "payload nests too deeply to evaluate"
    lines = str(exc).splitlines()
    text = _message(exc, lines[0] if lines else "")
    text = _QUOTED.sub(lambda m: m.group(0) if m.group(0)[1:-1] and m.group(0)[1:-1] in source else "'…'", text)
    return _short(text)


def _message(exc: BaseException, text: str) -> str:
    if isinstance(exc, PayloadError):
        return text
    if isinstance(exc, KeyError):
        return f"no such member in mapping: {text}"
    if isinstance(exc, IndexError):
        return "index out of bounds"
    if isinstance(exc, ZeroDivisionError):
        return text.removesuffix(" in CEL expression")
    name = re.match(r"Undefined variable or function: '(\w+)'", text)
    if name:  # a known function with arguments it does not take, or a comprehension variable out of its scope
        known = name.group(1) in _FUNCTIONS
        return f"no matching overload for {name.group(1)}()" if known else f"undeclared reference to {name.group(1)!r}"
    function = re.match(r"Function '(\w+)' error: (.*?)(?:\. (?:Check|The value).*)?$", text)
    if function:  # the detail may hold a debug dump of the argument: `Error { input: "...", ... }`
        detail = re.sub(r"\s*\w*\s*\{.*", "", function.group(2)).rstrip(": ")
        return f"{function.group(1)}() failed: {detail or 'invalid argument'}"
    overflow = re.match(r"Arithmetic overflow in '(\w+)'", text)
    if overflow:  # the operands follow in the original message
        return f"arithmetic overflow ({overflow.group(1)})"
    unexpected = re.match(r"Unexpected type: got '(\w+)', want '([\w|]+)'", text)
    if unexpected:
        return f"unexpected type {unexpected.group(1)} (expected {unexpected.group(2)})"
    if text.startswith("No such overload"):
        return "no matching overload for the operand types (a string where a number is expected, say)"
    operation = re.match(r"(?:Unsupported operation|Cannot mix signed and unsigned \w+): ([\w ]+?\S+[\w ]+?)\.", text)
    if operation:
        return "no matching overload for " + re.sub(r"\bfloat\b", "double", operation.group(1))
    # An unknown shape: keep the exception type, drop numbers (quoted text is dropped by the caller).
    return f"{type(exc).__name__}: " + re.sub(r"\d+(?:\.\d+)?", "…", text)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


def _type_name(value: Any) -> str:
    for kind, name in _RESULT_TYPES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


_RESULT_TYPES: tuple[tuple[type, str], ...] = (
    (type(None), "null"),
    (int, "int"),
    (float, "double"),
    (str, "string"),
    (bytes, "bytes"),
    (list, "list"),
    (dict, "map"),
    (datetime, "timestamp"),
    (timedelta, "duration"),
    (cel.OptionalValue, "optional"),
)
