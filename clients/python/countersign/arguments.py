"""A function call as a JSON payload, and an approved (maybe edited) payload back as a call."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from countersign.errors import CountersignError

P = inspect.Parameter


class CallShape:
    """How one function's arguments travel: which are proposed, which are kept local (`exclude`), and their types."""

    def __init__(self, fn: Callable[..., Any], exclude: Iterable[str] = ()) -> None:
        self.fn, self.name = fn, getattr(fn, "__name__", "function")
        self.sig = inspect.signature(fn)
        first = next(iter(self.sig.parameters), None)
        # A method's receiver is never payload: it is the agent's own object, not something a person approves.
        self.exclude = set(exclude) | ({first} if first in {"self", "cls"} else set())
        self.adapters = self._adapters(fn)

    def _adapters(self, fn: Callable[..., Any]) -> dict[str, TypeAdapter[Any]]:
        try:
            hints = typing.get_type_hints(fn)
        except Exception:  # noqa: BLE001 - unresolvable forward references: values then reach the function as JSON
            return {}
        out = {}
        for name, hint in hints.items():
            if name == "return" or name not in self.sig.parameters or hint is Any:
                continue
            try:
                out[name] = TypeAdapter(hint)
            except Exception:  # noqa: BLE001 - a type pydantic cannot build a validator for stays unconverted
                continue
        return out

    def split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(payload to propose, arguments kept local) for one call, defaults included so people see everything."""
        bound = self.sig.bind(*args, **kwargs)
        bound.apply_defaults()
        payload: dict[str, Any] = {}
        kept: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            if name in self.exclude:
                kept[name] = value
            elif self.sig.parameters[name].kind is P.VAR_KEYWORD:
                payload.update(value)
            else:
                payload[name] = value
        try:
            return to_jsonable_python(payload), kept
        except PydanticSerializationError as exc:
            raise TypeError(
                f"{self.name}(): arguments must be JSON-serialisable to be proposed ({exc}); "
                "pass exclude=(...) for arguments that are not part of the action"
            ) from None

    def bind(self, payload: Any, kept: dict[str, Any]) -> inspect.BoundArguments:
        """The call to make with an approved payload: fields converted back to the parameters' types."""
        if not isinstance(payload, dict):
            raise CountersignError(f"the approved payload is not a JSON object, so it cannot call {self.name}()")
        rest, values = dict(payload), dict(kept)
        var_kw = None
        for name, param in self.sig.parameters.items():
            if name in kept:
                continue
            if param.kind is P.VAR_KEYWORD:
                var_kw = name
            elif name in rest and param.kind is P.VAR_POSITIONAL:
                values[name] = tuple(self._convert(name, v) for v in rest.pop(name) or ())
            elif name in rest:
                values[name] = self._convert(name, rest.pop(name))
            elif param.default is P.empty and param.kind is not P.VAR_POSITIONAL:
                raise CountersignError(f"the approved payload has no {name!r}, which {self.name}() requires")
        if var_kw is not None:
            values[var_kw] = {k: self._convert(var_kw, v) for k, v in rest.items()}
        elif rest:
            # An edit that adds a field the function cannot take must not be dropped silently.
            raise CountersignError(f"the approved payload has fields {self.name}() does not take: {sorted(rest)}")
        ordered = {n: values[n] for n in self.sig.parameters if n in values}
        return inspect.BoundArguments(self.sig, ordered)

    def _convert(self, name: str, value: Any) -> Any:
        adapter = self.adapters.get(name)
        if adapter is None:
            return value
        try:
            return adapter.validate_python(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise CountersignError(
                f"the approved value of {name!r} does not fit {self.name}(): {first['msg']}"
            ) from None


def jsonable(value: Any) -> Any:
    """A function's result as JSON for report_result (anything unknown becomes its repr)."""
    return to_jsonable_python(value, fallback=repr)
