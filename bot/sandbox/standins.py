"""Local stand-ins for the example connectors' targets: a signed-webhook receiver and a HubSpot-shaped CRM."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.fakeslack.serve import BackgroundServer
from connectors.verify import InvalidSignature, verify_webhook


class WebhookStandIn:
    """Verifies each delivery's signature with the sandbox secret, dedupes on Idempotency-Key, records it."""

    def __init__(self, secret: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.secret = secret
        self.deliveries: list[dict[str, Any]] = []
        self._answers: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        app = Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])])
        self.server = BackgroundServer(app, host=host, port=port)

    async def _receive(self, request: Request) -> JSONResponse:
        body = await request.body()
        try:
            verify_webhook(secret=self.secret, headers=dict(request.headers), body=body)
        except InvalidSignature as exc:
            self._record(request, body, verified=False, error=exc.reason)
            return JSONResponse({"error": exc.reason}, status_code=401)
        key = request.headers.get("idempotency-key", "")
        with self._lock:
            answer = self._answers.get(key)
            repeat = answer is not None
            if answer is None:
                answer = self._answers[key] = {"id": f"ref_{uuid.uuid4().hex[:10]}", "status": "accepted"}
        self._record(request, body, verified=True, error=None, repeat=repeat)
        return JSONResponse(answer)

    def _record(
        self, request: Request, body: bytes, *, verified: bool, error: str | None, repeat: bool = False
    ) -> None:
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = body[:500].decode("utf-8", "replace")
        with self._lock:
            self.deliveries.append(
                {
                    "at": time.time(),
                    "path": request.url.path,
                    "verified": verified,
                    "error": error,
                    "repeat": repeat,
                    "body": parsed,
                    "idempotency_key": request.headers.get("idempotency-key"),
                }
            )


def _crm_error(status: int, category: str, message: str, **extra: Any) -> JSONResponse:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **extra}
    return JSONResponse(body, status_code=status)


class CrmStandIn:
    """`POST /crm/v3/objects/{object}/batch/upsert` and `GET /crm/v3/objects/{object}/{id}`, in memory."""

    def __init__(
        self,
        token: str,
        *,
        required: list[str] | None = None,
        options: dict[str, list[str]] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token, self.required, self.options = token, list(required or []), dict(options or {})
        self.records: dict[str, dict[str, dict[str, Any]]] = {}  # object -> id -> record
        self._ids = itertools.count(101)
        self._lock = threading.Lock()
        app = Starlette(
            routes=[
                Route("/crm/v3/objects/{obj}/batch/upsert", self._upsert, methods=["POST"]),
                Route("/crm/v3/objects/{obj}/{key}", self._read, methods=["GET"]),
            ]
        )
        self.server = BackgroundServer(app, host=host, port=port)

    def all_records(self) -> list[dict[str, Any]]:
        """Every stored record with its object type."""
        with self._lock:
            return [{"object": obj, **rec} for obj, recs in self.records.items() for rec in recs.values()]

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    async def _read(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return _crm_error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
        obj, key = request.path_params["obj"], request.path_params["key"]
        prop = request.query_params.get("idProperty")
        with self._lock:
            record = self._find(obj, prop, key) if prop else self.records.get(obj, {}).get(key)
        return JSONResponse(record) if record else _crm_error(404, "OBJECT_NOT_FOUND", "resource not found")

    async def _upsert(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return _crm_error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
        obj = request.path_params["obj"]
        try:
            inputs = (await request.json()).get("inputs") or []
        except (ValueError, AttributeError):
            inputs = []
        if not inputs or any(not isinstance(i, dict) or not i.get("idProperty") or not i.get("id") for i in inputs):
            return _crm_error(400, "VALIDATION_ERROR", "inputs need idProperty and id")
        with self._lock:
            invalid = [v for item in inputs for v in self._invalid(obj, item)]
            if invalid:
                return _crm_error(
                    400,
                    "VALIDATION_ERROR",
                    "Property values were not valid: " + json.dumps(invalid),
                    errors=[
                        {"message": v["message"], "code": v["error"], "context": {"propertyName": [v["name"]]}}
                        for v in invalid
                    ],
                )
            return JSONResponse({"status": "COMPLETE", "results": [self._store(obj, item) for item in inputs]})

    def _find(self, obj: str, prop: str, value: str) -> dict[str, Any] | None:
        return next((r for r in self.records.get(obj, {}).values() if r["properties"].get(prop) == value), None)

    def _invalid(self, obj: str, item: dict[str, Any]) -> list[dict[str, Any]]:
        existing = self._find(obj, item["idProperty"], item["id"]) or {"properties": {}}
        merged = {**existing["properties"], **(item.get("properties") or {}), item["idProperty"]: item["id"]}
        found = [("REQUIRED_PROPERTY", n, f"{n} is required") for n in self.required if not str(merged.get(n) or "")]
        for name, value in merged.items():
            allowed = self.options.get(name)
            if allowed and value not in ("", None) and value not in allowed:
                found.append(("INVALID_OPTION", name, f"{value} was not one of the allowed options: {allowed}"))
        return [{"isValid": False, "error": code, "name": name, "message": text} for code, name, text in found]

    def _store(self, obj: str, item: dict[str, Any]) -> dict[str, Any]:
        record = self._find(obj, item["idProperty"], item["id"])
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        created = record is None
        if record is None:
            record = {"id": str(next(self._ids)), "properties": {}, "createdAt": now, "archived": False}
            self.records.setdefault(obj, {})[record["id"]] = record
        record["properties"].update(item.get("properties") or {}, **{item["idProperty"]: item["id"]})
        record["updatedAt"] = now
        return {**record, "properties": dict(record["properties"]), "new": created}
