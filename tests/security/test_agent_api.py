"""Attacks through the agent API: bad, revoked and out-of-scope tokens, other agents' proposals, oversized and
non-JSON bodies. Refusals by a known agent (revoked token, outside its scopes) are audited; unknown tokens are not
(anyone could send them: they must not be able to grow the audit log)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.app import create_app
from bot.flow import agents
from bot.flow.context import Services
from bot.store import audit
from bot.store.db import read_scope
from bot.store.models import Agent, AuditEvent, Proposal
from tests.factories import add_agent, make_services, proposal, write_policies


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=svc, run_scheduler=False)) as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _events(svc: Services, action: str | None = None) -> list[AuditEvent]:
    with read_scope(svc.engine) as s:
        rows = s.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()
    return [e for e in rows if action in (None, e.action)]


def _proposals(svc: Services) -> int:
    with read_scope(svc.engine) as s:
        return len(s.exec(select(Proposal)).all())


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token cs_x",
        "Bearer cs_not-a-real-token",
        "Bearer " + "A" * 5000,
        "bearer\tcs_x",
    ],
)
def test_missing_malformed_and_unknown_tokens_are_401_and_store_nothing(
    client: TestClient, svc: Services, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    before = len(_events(svc))
    for method, path, body in [
        ("POST", "/api/v1/proposals", proposal()),
        ("POST", "/api/v1/handoffs", {"workflow": "payouts", "summary": "x"}),
        ("GET", "/api/v1/proposals/x", None),
        ("POST", "/api/v1/proposals/x/cancel", None),
    ]:
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, (path, r.text)
        assert r.json()["code"] == "NotAuthenticated", (path, r.text)
    assert _proposals(svc) == 0
    assert len(_events(svc)) == before


def test_a_revoked_token_is_refused_and_each_use_is_audited(client: TestClient, svc: Services) -> None:
    token = add_agent(svc, "retired")
    agents.revoke(svc, name="retired")
    for _ in range(2):
        r = client.post("/api/v1/proposals", json=proposal(), headers=_bearer(token))
        assert r.status_code == 401
        assert r.json()["error"] == "token of agent 'retired' was revoked"
    refused = _events(svc, "refused")
    assert [(e.actor, e.reason) for e in refused] == [("agent:retired", "token of agent 'retired' was revoked")] * 2
    assert _proposals(svc) == 0


def test_tokens_are_stored_only_as_hashes(svc: Services) -> None:
    token = add_agent(svc, "hashed")
    with read_scope(svc.engine) as s:
        row = s.exec(select(Agent).where(Agent.name == "hashed")).one()
        dump = repr(row.model_dump())
    assert token not in dump
    assert token[8:] not in dump
    assert row.token_prefix == token[:8]
    assert len(row.token_hash) == 64


@pytest.mark.parametrize(
    ("scopes", "workflow", "action"),
    [
        (("ops",), "payouts", "send"),  # another workflow
        (("payouts:note",), "payouts", "send"),  # another action of the same workflow
        (("payout",), "payouts", "send"),  # a prefix of the name is not the name
        (("payouts:sen",), "payouts", "send"),
    ],
)
def test_proposals_outside_the_token_scope_are_403_and_audited(
    client: TestClient, svc: Services, scopes: tuple[str, ...], workflow: str, action: str
) -> None:
    token = add_agent(svc, "narrow", scopes)
    r = client.post("/api/v1/proposals", json=proposal(workflow=workflow, action=action), headers=_bearer(token))
    assert r.status_code == 403
    assert r.json()["code"] == "NotAuthorized"
    [event] = _events(svc, "refused")
    assert event.actor == "agent:narrow"
    assert event.reason == r.json()["error"]
    assert event.data == {"attempt": "propose", "error": "NotAuthorized", "target": f"{workflow}:{action}"}
    assert _proposals(svc) == 0


def test_handoffs_outside_the_token_scope_are_403_and_audited(client: TestClient, svc: Services) -> None:
    token = add_agent(svc, "ops-only", ("ops",))
    r = client.post("/api/v1/handoffs", json={"workflow": "payouts", "summary": "help"}, headers=_bearer(token))
    assert r.status_code == 403
    assert [(e.actor, e.data["attempt"]) for e in _events(svc, "refused")] == [("agent:ops-only", "handoff")]


def test_an_action_scope_allows_exactly_that_action(client: TestClient, svc: Services) -> None:
    token = add_agent(svc, "note-taker", ("payouts:note",))
    r = client.post("/api/v1/proposals", json=proposal(action="note", payload={"text": "hi"}), headers=_bearer(token))
    assert r.status_code == 201
    handoff = client.post("/api/v1/handoffs", json={"workflow": "payouts", "summary": "help"}, headers=_bearer(token))
    assert handoff.status_code == 403  # a handoff is workflow-wide: an action scope does not cover it


def test_other_agents_proposals_are_invisible(client: TestClient, svc: Services) -> None:
    mine, theirs = add_agent(svc, "mine"), add_agent(svc, "theirs")
    pid = client.post("/api/v1/proposals", json=proposal(), headers=_bearer(mine)).json()["id"]
    for method, path, body in [
        ("GET", f"/api/v1/proposals/{pid}", None),
        ("GET", f"/api/v1/proposals/{pid}/wait?timeout=0", None),
        ("POST", f"/api/v1/proposals/{pid}/cancel", None),
        ("POST", f"/api/v1/proposals/{pid}/result", {"ok": True}),
    ]:
        r = client.request(method, path, json=body, headers=_bearer(theirs))
        assert r.status_code == 404, (path, r.text)
    assert client.get(f"/api/v1/proposals/{pid}", headers=_bearer(mine)).json()["status"] == "pending"


def test_an_idempotency_key_is_per_agent(client: TestClient, svc: Services) -> None:
    """Another agent reusing a key neither sees nor changes the first agent's proposal."""
    mine, theirs = add_agent(svc, "mine"), add_agent(svc, "theirs")
    a = client.post("/api/v1/proposals", json=proposal(idempotency_key="k1"), headers=_bearer(mine))
    b = client.post("/api/v1/proposals", json=proposal(idempotency_key="k1", summary="other"), headers=_bearer(theirs))
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]


class TestBodies:
    """Oversized and non-JSON bodies never reach authentication, parsing or the database."""

    LIMIT = 4096

    @pytest.fixture
    def small(self, db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Services, str]]:
        svc = make_services(db_url, write_policies(tmp_path / "p"), max_body_bytes=self.LIMIT)
        token = add_agent(svc)
        with TestClient(create_app(services=svc, run_scheduler=False)) as c:
            yield c, svc, token
        svc.engine.dispose()

    def _body_of(self, size: int) -> bytes:
        base = proposal(summary="s")
        raw = httpx.Request("POST", "http://x", json=base).content
        return raw.replace(b'"s"', b'"' + b"s" * (size - len(raw) + 1) + b'"')

    def test_a_body_at_the_limit_is_accepted_one_byte_more_is_413(self, small) -> None:  # type: ignore[no-untyped-def]
        client, svc, token = small
        headers = {**_bearer(token), "Content-Type": "application/json"}
        at = client.post("/api/v1/proposals", content=self._body_of(self.LIMIT), headers=headers)
        over = client.post("/api/v1/proposals", content=self._body_of(self.LIMIT + 1), headers=headers)
        assert (at.status_code, over.status_code) == (201, 413)
        assert over.json() == {"error": f"body is larger than {self.LIMIT} bytes", "code": "BodyTooLarge"}
        assert _proposals(svc) == 1

    def test_a_huge_body_is_refused_whatever_the_token(self, small) -> None:  # type: ignore[no-untyped-def]
        client, _, _ = small
        r = client.post(
            "/api/v1/proposals", content=b"{" + b" " * 10_000_000 + b"}", headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 413

    def test_a_chunked_body_without_length_is_cut_off_at_the_limit(self, small) -> None:  # type: ignore[no-untyped-def]
        client, svc, token = small

        def chunks() -> Iterator[bytes]:
            yield b'{"workflow": "payouts", "action": "send", "summary": "'
            for _ in range(100):
                yield b"x" * 1000
            yield b'", "payload": {}}'

        r = client.post(
            "/api/v1/proposals", content=chunks(), headers={**_bearer(token), "Content-Type": "application/json"}
        )
        assert r.status_code == 413
        assert _proposals(svc) == 0

    def test_a_lying_content_length_cannot_smuggle_more(self, small) -> None:  # type: ignore[no-untyped-def]
        client, svc, token = small
        body = self._body_of(self.LIMIT * 3)
        r = client.post(
            "/api/v1/proposals",
            content=body,
            headers={**_bearer(token), "Content-Type": "application/json", "Content-Length": "10"},
        )
        assert r.status_code in (400, 413, 422)
        assert _proposals(svc) == 0

    @pytest.mark.parametrize(
        "content_type",
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", ""],
    )
    def test_bodies_that_are_not_json_are_415(self, small, content_type: str) -> None:  # type: ignore[no-untyped-def]
        client, svc, token = small
        r = client.post(
            "/api/v1/proposals",
            content=b'{"workflow": "payouts"}',
            headers={**_bearer(token), "Content-Type": content_type},
        )
        assert r.status_code == 415
        assert _proposals(svc) == 0

    @pytest.mark.parametrize(
        "raw",
        [
            b"{",
            b"[]",
            b"null",
            b'"x"',
            b'{"workflow": NaN}',
            b"\xff\xfe",
            b'{"workflow": "payouts", "workflow": "ops"}',
            b"{" * 5000 + b"}" * 5000,
        ],
    )
    def test_malformed_json_is_422_never_500(self, small, raw: bytes) -> None:  # type: ignore[no-untyped-def]
        client, svc, token = small
        r = client.post(
            "/api/v1/proposals", content=raw, headers={**_bearer(token), "Content-Type": "application/json"}
        )
        assert r.status_code in (413, 422), r.text
        assert _proposals(svc) == 0


def test_audit_chain_still_verifies_after_refusals(client: TestClient, svc: Services) -> None:
    token = add_agent(svc, "narrow", ("ops",))
    for _ in range(3):
        client.post("/api/v1/proposals", json=proposal(), headers=_bearer(token))
    with read_scope(svc.engine) as s:
        assert list(audit.verify(session=s)) == []


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("path", ["/api/v1/proposals", "/api/v1/handoffs"])
def test_numbers_json_cannot_carry_are_422_not_500(client: TestClient, svc: Services, number: str, path: str) -> None:
    """Python reads 1e400 as inf and accepts NaN/Infinity; PostgreSQL refused them with a 500, SQLite stored them
    and the API then answered with invalid JSON."""
    token = add_agent(svc, "numbers")
    raw = (
        '{"workflow": "payouts", "action": "send", "summary": "x", "payload": {"to": "a", "amount": 1, '
        f'"deep": [{{"x": {number}}}]}}}}'
    )
    r = client.post(path, content=raw.encode(), headers={**_bearer(token), "Content-Type": "application/json"})
    if path.endswith("handoffs"):
        raw = raw.replace('"action": "send", ', "")
        r = client.post(path, content=raw.encode(), headers={**_bearer(token), "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert "numbers must be finite" in r.text
    assert _proposals(svc) == 0


def test_a_result_report_with_infinity_is_422(client: TestClient, svc: Services) -> None:
    token = add_agent(svc, "reporter")
    pid = client.post(
        "/api/v1/proposals", json=proposal(action="note", payload={"text": "x"}), headers=_bearer(token)
    ).json()["id"]
    r = client.post(
        f"/api/v1/proposals/{pid}/result",
        content=b'{"ok": true, "result": {"n": 1e999}}',
        headers={**_bearer(token), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert "numbers must be finite" in r.text


@pytest.mark.parametrize(
    "field",
    [
        '"summary": "\\ud800"',
        '"idempotency_key": "k\\udfff"',
        '"requested_by": "\\ud83d"',
        '"payload": {"to": "\\ud800", "amount": 1}',
        '"payload": {"\\udc00": 1}',
        '"links": [{"title": "\\ud800", "url": "https://x.io"}]',
    ],
)
def test_lone_surrogates_are_422_not_500(client: TestClient, svc: Services, field: str) -> None:
    """JSON text can escape half of a surrogate pair; no database, hash or JSON encoder takes it (it was a 500)."""
    token = add_agent(svc, "surrogates")
    body = {"workflow": '"payouts"', "action": '"send"', "summary": '"x"', "payload": '{"to": "a", "amount": 1}'}
    name, _, value = field.partition(": ")
    body[name.strip('"')] = value
    raw = "{" + ", ".join(f'"{k}": {v}' for k, v in body.items()) + "}"
    r = client.post(
        "/api/v1/proposals", content=raw.encode(), headers={**_bearer(token), "Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert _proposals(svc) == 0
