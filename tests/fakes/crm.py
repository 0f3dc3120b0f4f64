"""A HubSpot-shaped CRM as a real HTTP server: batch upsert, read by id, validation, faults."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class CrmRequest:
    """One request as received."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    crm: FakeCrm

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the tests


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer(*self.server.crm.handle(self._request()))

    def do_POST(self) -> None:
        self._answer(*self.server.crm.handle(self._request()))

    def _request(self) -> CrmRequest:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        return CrmRequest(self.command, self.path, headers, json.loads(raw) if raw else None)

    def _answer(self, status: int, body: Any, headers: dict[str, str]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def _error(status: int, category: str, message: str, **extra: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    return (
        status,
        {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **extra},
        {},
    )


class FakeCrm:
    """Records live in memory per object type; the same idProperty value always maps to one record."""

    def __init__(
        self,
        *,
        token: str = "pat-test-token",
        required: Iterable[str] = ("email",),
        options: dict[str, list[str]] | None = None,
        numbers: Iterable[str] = (),
    ) -> None:
        self.token, self.required, self.numbers = token, set(required), set(numbers)
        self.options = options or {}
        self.records: dict[str, dict[str, dict[str, Any]]] = {}  # object -> internal id -> record
        self.requests: list[CrmRequest] = []
        self._faults: list[tuple[int, float | None]] = []
        self._delay = 0.0
        self._ids = itertools.count(101)
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.crm = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, status: int, retry_after: float | None = None, count: int = 1) -> None:
        """Answer the next `count` requests with `status` (and a Retry-After header when given)."""
        with self._lock:
            self._faults.extend([(status, retry_after)] * count)

    def delay(self, seconds: float) -> None:
        """Hold every following answer for `seconds` (0 to stop), to provoke client timeouts."""
        self._delay = seconds

    def find(self, obj: str, prop: str, value: str) -> dict[str, Any] | None:
        """The record of type `obj` whose property `prop` equals `value`."""
        return next((r for r in self.records.get(obj, {}).values() if r["properties"].get(prop) == value), None)

    def handle(self, request: CrmRequest) -> tuple[int, Any, dict[str, str]]:
        """Route one request; called from the server threads."""
        self.requests.append(request)
        if self._delay:
            self._released.wait(self._delay)  # returns at once when the fake closes
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            if fault:
                status, wait = fault
                headers = {"Retry-After": str(wait)} if wait is not None else {}
                category = "RATE_LIMITS" if status == 429 else "INTERNAL_ERROR"
                return status, {"status": "error", "message": f"injected {status}", "category": category}, headers
            parts = urlsplit(request.path)
            segments = parts.path.strip("/").split("/")
            objects = segments[:3] == ["crm", "v3", "objects"]
            if request.method == "POST" and objects and segments[4:] == ["batch", "upsert"]:
                return self._upsert(segments[3], request.body or {})
            if request.method == "GET" and objects and len(segments) == 5:
                id_property = parse_qs(parts.query).get("idProperty", [None])[0]
                return self._read(segments[3], segments[4], id_property)
            return _error(404, "OBJECT_NOT_FOUND", f"no route for {request.method} {parts.path}")

    def _read(self, obj: str, key: str, id_property: str | None) -> tuple[int, Any, dict[str, str]]:
        record = self.find(obj, id_property, key) if id_property else self.records.get(obj, {}).get(key)
        if record is None:
            return _error(404, "OBJECT_NOT_FOUND", "resource not found")
        return 200, record, {}

    def _invalid(self, properties: dict[str, Any]) -> list[dict[str, Any]]:
        found = []
        for name in sorted(self.required):
            if not str(properties.get(name) or "").strip():
                found.append(("REQUIRED_PROPERTY", name, f"{name} is required"))
        for name, value in properties.items():
            if name in self.options and value != "" and value not in self.options[name]:
                allowed = ", ".join(self.options[name])
                found.append(("INVALID_OPTION", name, f"{value} was not one of the allowed options: [{allowed}]"))
            if name in self.numbers and value != "" and not _is_number(value):
                found.append(("INVALID_DOUBLE", name, f"{value} is not a valid number"))
        return [{"isValid": False, "error": code, "name": name, "message": text} for code, name, text in found]

    def _upsert(self, obj: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        inputs = body.get("inputs") or []
        if not inputs or any(not i.get("idProperty") or not i.get("id") for i in inputs):
            return _error(400, "VALIDATION_ERROR", "inputs need idProperty and id")
        invalid = []
        for item in inputs:
            existing = self.find(obj, item["idProperty"], item["id"]) or {"properties": {}}
            merged = {**existing["properties"], **item.get("properties", {}), item["idProperty"]: item["id"]}
            invalid += self._invalid(merged)
        if invalid:
            errors = [
                {"message": v["message"], "code": v["error"], "context": {"propertyName": [v["name"]]}} for v in invalid
            ]
            return _error(
                400, "VALIDATION_ERROR", f"Property values were not valid: {json.dumps(invalid)}", errors=errors
            )
        return 200, {"status": "COMPLETE", "results": [self._store(obj, item) for item in inputs]}, {}

    def _store(self, obj: str, item: dict[str, Any]) -> dict[str, Any]:
        record = self.find(obj, item["idProperty"], item["id"])
        now = "2026-10-01T09:00:00.000Z"
        if record is None:
            record = {"id": str(next(self._ids)), "properties": {}, "createdAt": now, "archived": False}
            self.records.setdefault(obj, {})[record["id"]] = record
            created = True
        else:
            created = False
        record["properties"].update(item.get("properties", {}), **{item["idProperty"]: item["id"]})
        record["updatedAt"] = now
        return {**record, "properties": dict(record["properties"]), "new": created}

    def start(self) -> FakeCrm:
        self._thread.start()
        return self

    def close(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeCrm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool)
