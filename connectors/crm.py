"""Upsert the approved record into a HubSpot-shaped CRM, validating it before anything is sent."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx
from pydantic import Field, model_validator

from bot import targets
from connectors import _http
from connectors._crm_mapping import Kind, build_properties
from connectors.base import ConnectorConfig, ConnectorContext, ConnectorError, Result

_NAME = r"^[A-Za-z0-9_-]+$"  # object and property names end up in URL paths


class CrmConnector:
    """Maps payload fields to CRM properties and upserts one record by its unique id property."""

    name: ClassVar[str] = "crm"
    executes_remotely: ClassVar[bool] = False

    class Config(ConnectorConfig):
        base_url: _http.HttpUrlStr
        token_env: str = Field(min_length=1)
        object: str = Field("contacts", pattern=_NAME)
        id_property: str = Field("email", pattern=_NAME)
        mapping: dict[str, str] = Field(min_length=1)  # CRM property -> dotted payload path
        required: list[str] = Field(default_factory=list)
        types: dict[str, Kind] = Field(default_factory=dict)
        options: dict[str, list[str]] = Field(default_factory=dict)
        timeout: float = Field(10, gt=0)

        @model_validator(mode="after")
        def _consistent(self) -> CrmConnector.Config:
            # A typo here would silently disable a check, so every named property must be mapped.
            mapped = set(self.mapping)
            for field in ("required", "types", "options"):
                unknown = sorted(set(getattr(self, field)) - mapped)
                if unknown:
                    raise ValueError(f"{field} names unmapped properties: {', '.join(unknown)}")
            if self.id_property not in mapped:
                raise ValueError(f"id_property {self.id_property!r} must be in mapping")
            wrong = sorted(p for p in self.options if self.types.get(p, "enumeration") != "enumeration")
            if wrong:
                raise ValueError(f"options are only for enumeration properties: {', '.join(wrong)}")
            return self

    def __init__(self, config: Config, context: ConnectorContext) -> None:
        self.config, self.context = config, context

    def properties(self, payload: dict[str, Any]) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """The CRM properties for `payload` and the problems found in it."""
        cfg = self.config
        return build_properties(
            payload=payload,
            mapping=cfg.mapping,
            required={*cfg.required, cfg.id_property},  # no upsert without its key
            types=cfg.types,
            options=cfg.options,
        )

    def problems(self, action: str, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """Every field the CRM would refuse, as (payload path, message), before anything is sent."""
        return self.properties(payload)[1]

    def execute(self, action: str, payload: dict[str, Any], idempotency_key: str) -> Result:
        """Validate, then upsert once by id_property; 429/5xx/network are retryable."""
        cfg = self.config
        properties, problems = self.properties(payload)
        if problems:
            listed = "; ".join(f"{path}: {message}" for path, message in problems)
            raise ConnectorError(f"CRM payload invalid: {listed}", retryable=False, problems=problems)
        token = self.context.secret(cfg.token_env)
        record = {"idProperty": cfg.id_property, "id": properties[cfg.id_property], "properties": properties}
        # HubSpot keeps objectWriteTraceId with the write, so a retried execution is traceable there.
        body = {"inputs": [{**record, "objectWriteTraceId": idempotency_key}]}
        url = f"{cfg.base_url.rstrip('/')}/crm/v3/objects/{cfg.object}/batch/upsert"
        try:
            with targets.client(self.context.targets, timeout=cfg.timeout) as client:
                response = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        except targets.TargetRefused as exc:
            raise _http.refused(exc, "CRM") from None
        except httpx.HTTPError as exc:
            raise _http.transport_error(exc, "CRM") from None
        if not response.is_success:
            raise _answer_error(response)
        return self._result(response, properties)

    def _result(self, response: httpx.Response, sent: dict[str, str]) -> Result:
        document = _http.json_or_none(response)
        results = (document.get("results") if isinstance(document, dict) else None) or []
        if not results:
            # 207 Multi-Status with only errors: the CRM refused this record.
            raise ConnectorError(f"CRM refused the record: {_crm_message(document, response)}", retryable=False)
        record = results[0]
        created = bool(record.get("new"))
        verb = "created" if created else "updated"
        return Result(
            summary=f"{verb} {self.config.object} record {record.get('id')}",
            data={"id": record.get("id"), "created": created, "properties": record.get("properties") or sent},
        )


def _crm_message(document: Any, response: httpx.Response) -> str:
    """The CRM's own message plus the property names it blamed."""
    if not isinstance(document, dict):
        return _http.excerpt(response) or response.reason_phrase
    errors = [e for e in document.get("errors") or [] if isinstance(e, dict)]
    message = str(document.get("message") or "; ".join(str(e.get("message")) for e in errors))
    contexts = [e["context"] for e in errors if isinstance(e.get("context"), dict)]
    names = {str(name) for context in contexts for name in context.get("propertyName") or []}
    names |= _embedded_names(message)
    return f"{message} (properties: {', '.join(sorted(names))})" if names else message


def _embedded_names(message: str) -> set[str]:
    # HubSpot often puts the per-property verdicts as JSON inside the message text itself.
    start = message.find("[")
    try:
        verdicts = json.loads(message[start:]) if start >= 0 else []
    except ValueError:
        return set()
    if not isinstance(verdicts, list):
        return set()
    return {str(v["name"]) for v in verdicts if isinstance(v, dict) and v.get("name")}


def _answer_error(response: httpx.Response) -> ConnectorError:
    code = response.status_code
    message = _crm_message(_http.json_or_none(response), response)
    if code in (401, 403):
        return ConnectorError(f"CRM token rejected ({code}): {message}", retryable=False, status=code)
    if code == 400:
        return ConnectorError(f"CRM refused the record (400): {message}", retryable=False, status=code)
    return _http.status_error(response, "CRM", message)
