"""A HubSpot-shaped CRM as a real HTTP server: batch upsert, read by id, validation, faults.

`POST /crm/v3/objects/{object}/batch/upsert` and `GET /crm/v3/objects/{object}/{id}`, records in memory. The sandbox
runs one per CRM its policies reach; the tests also inject faults and delays and read the requests.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, Any, dict[str, str]]  # status, JSON body, extra headers


@dataclass
class CrmRequest:
    """One request as received."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON; None when empty or not JSON


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
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None  # answered as a validation error, like an empty body
        return CrmRequest(self.command, self.path, headers, body)

    def _answer(self, status: int, body: Any, headers: dict[str, str]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def _error(status: int, category: str, message: str, **extra: Any) -> Answer:
    return (
        status,
        {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **extra},
        {},
    )


def _timestamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(seconds))


class FakeCrm:
    """Records live in memory per object type; the same idProperty value always maps to one record."""

    def __init__(
        self,
        *,
        token: str = "pat-test-token",
        required: Iterable[str] = ("email",),
        options: dict[str, list[str]] | None = None,
        numbers: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token, self.required, self.numbers = token, set(required), set(numbers)
        self.options = dict(options or {})
        self.clock = clock
        self.host, self.port = host, port
        self.records: dict[str, dict[str, dict[str, Any]]] = {}  # object -> internal id -> record
        self.requests: list[CrmRequest] = []
        self._faults: list[tuple[int, float | None]] = []
        self._delay = 0.0
        self._ids = itertools.count(101)
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

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

    def all_records(self) -> list[dict[str, Any]]:
        """Every stored record with its object type (what the sandbox page lists)."""
        with self._lock:
            return [{"object": obj, **rec} for obj, recs in self.records.items() for rec in recs.values()]

    def handle(self, request: CrmRequest) -> Answer:
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
                return self._upsert(segments[3], request.body)
            if request.method == "GET" and objects and len(segments) == 5:
                id_property = parse_qs(parts.query).get("idProperty", [None])[0]
                return self._read(segments[3], segments[4], id_property)
            return _error(404, "OBJECT_NOT_FOUND", f"no route for {request.method} {parts.path}")

    def _read(self, obj: str, key: str, id_property: str | None) -> Answer:
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
            if name in self.options and value not in ("", None) and value not in self.options[name]:
                allowed = ", ".join(self.options[name])
                found.append(("INVALID_OPTION", name, f"{value} was not one of the allowed options: [{allowed}]"))
            if name in self.numbers and value != "" and not _is_number(value):
                found.append(("INVALID_DOUBLE", name, f"{value} is not a valid number"))
        return [{"isValid": False, "error": code, "name": name, "message": text} for code, name, text in found]

    def _upsert(self, obj: str, body: Any) -> Answer:
        inputs = (body.get("inputs") if isinstance(body, dict) else None) or []
        if not inputs or any(not isinstance(i, dict) or not i.get("idProperty") or not i.get("id") for i in inputs):
            return _error(400, "VALIDATION_ERROR", "inputs need idProperty and id")
        invalid = []
        for item in inputs:
            existing = self.find(obj, item["idProperty"], item["id"]) or {"properties": {}}
            merged = {**existing["properties"], **(item.get("properties") or {}), item["idProperty"]: item["id"]}
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
        now = _timestamp(self.clock())
        created = record is None
        if record is None:
            record = {"id": str(next(self._ids)), "properties": {}, "createdAt": now, "archived": False}
            self.records.setdefault(obj, {})[record["id"]] = record
        record["properties"].update(item.get("properties") or {}, **{item["idProperty"]: item["id"]})
        record["updatedAt"] = now
        return {**record, "properties": dict(record["properties"]), "new": created}

    def start(self) -> FakeCrm:
        """Listen (raises OSError when the port is taken)."""
        self._server = _Server((self.host, self.port), _Handler)
        self._server.crm = self
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def close(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

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
