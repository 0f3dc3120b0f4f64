"""Property-based fuzzing of the agent API from its own OpenAPI document (schemathesis), on SQLite and PostgreSQL:
whatever is sent, the answer is never a 5xx and nothing is logged as an error.

Size: COUNTERSIGN_FUZZ_EXAMPLES examples per operation and database (default 60). The documented full-size run
(docs/development.md) uses 1,000, which sends well over 10,000 requests in total; each run prints its count.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from structlog.testing import capture_logs

from bot.app import create_app
from bot.flow import decide, intake
from bot.flow.agents import AgentIdentity
from bot.flow.requests import ProposalRequest
from tests.factories import add_agent, make_services, proposal, write_policies

ADMIN_TOKEN = "fuzz-admin-token-" + "x" * 32
EXAMPLES = int(os.environ.get("COUNTERSIGN_FUZZ_EXAMPLES") or 60)
SENT = [0]  # requests sent by this module's tests, printed when the module is done (run with -s to see it)


@dataclass
class Target:
    """The app under test, a valid token, and proposals in every state to aim generated ids at."""

    app: Any
    token: str
    admin_token: str
    ids: list[str]
    rng: random.Random = field(default_factory=lambda: random.Random(20261125))
    sent: int = 0


@pytest.fixture
def target(db_url: str, tmp_path: Path) -> Iterator[Target]:
    svc = make_services(db_url, write_policies(tmp_path / "policies"), admin_token=ADMIN_TOKEN)
    token = add_agent(svc, "fuzzer", ("payouts",))
    agent = AgentIdentity("fuzzer", ("payouts",))

    def submit(**overrides: Any) -> str:
        return intake.submit(svc, agent=agent, req=ProposalRequest.model_validate(proposal(**overrides)))[0].id

    pending, auto = submit(), submit(payload={"to": "a@example.com", "amount": 5})
    note = submit(action="note", payload={"text": "the agent executes this"})
    decide.approve(svc, proposal_id=note, user="U0ALICE")  # approved, waiting for the agent's result
    rejected = submit()
    decide.reject(svc, proposal_id=rejected, user="U0ALICE", reason="no")
    yield Target(create_app(services=svc, run_scheduler=False), token, ADMIN_TOKEN, [pending, auto, note, rejected])
    svc.engine.dispose()


@pytest.fixture(scope="module", autouse=True)
def _report_count() -> Iterator[None]:
    yield
    print(f"\nfuzzed the agent API with {SENT[0]} requests ({EXAMPLES} examples per operation, mode and database)")


def _aim(case: Any, target: Target) -> None:
    """Most requests carry a valid token and name real workflows and proposals, so they get past the front door;
    the rest keep what was generated (no token, a bad one, unknown ids)."""
    rng = target.rng
    if rng.random() < 0.85:
        token = target.admin_token if case.path.startswith("/api/v1/audit") else target.token
        case.headers = {**(case.headers or {}), "authorization": f"Bearer {token}"}
    if case.path_parameters and "proposal_id" in case.path_parameters and rng.random() < 0.6:
        case.path_parameters["proposal_id"] = rng.choice(target.ids)
    if isinstance(case.body, dict) and rng.random() < 0.7:
        if case.path.endswith("/proposals"):
            case.body["workflow"], case.body["action"] = "payouts", rng.choice(["send", "note", "send"])
        elif case.path.endswith("/handoffs"):
            case.body["workflow"] = "payouts"
    if case.path.endswith("/wait"):  # a long-poll on a pending proposal would only wait: valid timeouts become 0
        timeout = (case.query or {}).get("timeout")
        try:
            valid = timeout is None or 0 <= float(timeout) <= 120
        except (TypeError, ValueError):
            valid = False
        if valid:
            case.query = {**(case.query or {}), "timeout": 0}


OPERATIONS = [
    ("POST", "/api/v1/proposals"),
    ("POST", "/api/v1/handoffs"),
    ("GET", "/api/v1/proposals/{proposal_id}"),
    ("GET", "/api/v1/proposals/{proposal_id}/wait"),
    ("POST", "/api/v1/proposals/{proposal_id}/cancel"),
    ("POST", "/api/v1/proposals/{proposal_id}/result"),
    ("GET", "/api/v1/receipts/key"),
    ("GET", "/api/v1/audit/export"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]


def test_every_operation_of_the_openapi_document_is_fuzzed(target: Target) -> None:
    spec = target.app.openapi()
    assert sorted((m.upper(), p) for p, ops in spec["paths"].items() for m in ops) == sorted(OPERATIONS)


# Negative mode (invalid input on purpose) for the operations that have input schemathesis can make invalid: for the
# others (no parameters, or only a free-form string in the path) it finds nothing to generate.
CASES = [(m, p, GenerationMode.POSITIVE) for m, p in OPERATIONS] + [
    (m, p, GenerationMode.NEGATIVE)
    for m, p in OPERATIONS
    if (m, p)
    not in {
        ("GET", "/api/v1/proposals/{proposal_id}"),
        ("POST", "/api/v1/proposals/{proposal_id}/cancel"),
        ("GET", "/api/v1/receipts/key"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
    }
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES])
def test_the_agent_api_never_answers_5xx(target: Target, method: str, path: str, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", target.app)
    schema.config.generation.update(allow_x00=True)
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
    )
    def one_request(case: Any) -> None:
        _aim(case, target)
        with capture_logs() as logs:
            response = case.call()
        SENT[0] += 1
        where = f"{case.method} {case.formatted_path} {case.body!r:.300}"
        assert response.status_code < 500, f"{where}: {response.status_code} {response.text}"
        assert "InternalError" not in response.text, where
        assert "Traceback" not in response.text, where
        failures = [e for e in logs if e.get("log_level") in {"error", "critical", "exception"}]
        assert failures == [], (where, failures)

    one_request()


# ---- raw JSON text: what a schema-driven generator never sends (numbers beyond float, NaN, escapes, odd nesting)

NUMBERS = st.sampled_from(
    [
        "1e400",
        "-1e400",
        "NaN",
        "Infinity",
        "-0",
        "0.0",
        "1e-400",
        "1E+2",
        "0.1",
        "5",
        "5000",
        "123456789012345678901234567890",
        "-9223372036854775809",
    ]
)
STRINGS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["\\u0000", "\\ud800", "\\udfff", "\\ud83d\\ude00", "<!channel>", "'; DROP TABLE proposal;--", "%s%n", "\\"]
    ),
)


def _string(text: str) -> str:
    raw = json.dumps(text)
    return raw.replace("\\\\u", "\\u").replace("\\\\\\", "\\\\")  # let escapes through as written


VALUES = st.recursive(
    st.one_of(NUMBERS, STRINGS.map(_string), st.sampled_from(["true", "false", "null"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
        st.lists(st.tuples(STRINGS.map(_string), inner), max_size=4).map(
            lambda kv: "{" + ",".join(f"{k}:{v}" for k, v in kv) + "}"
        ),
    ),
    max_leaves=12,
)


@st.composite
def proposal_text(draw: st.DrawFn) -> str:
    """A proposal body as JSON text: mostly the right shape, with raw values anywhere."""
    fields = {
        "workflow": '"payouts"',
        "action": draw(st.sampled_from(['"send"', '"note"', '"nope"'])),
        "summary": draw(st.one_of(STRINGS.map(_string), VALUES)),
        "payload": draw(
            st.one_of(
                VALUES, st.builds(lambda to, amount: f'{{"to":{to},"amount":{amount}}}', STRINGS.map(_string), NUMBERS)
            )
        ),
    }
    for name in draw(
        st.sets(st.sampled_from(["idempotency_key", "requested_by", "links", "thread", "callback_url", "extra"]))
    ):
        fields[name] = draw(VALUES)
    return "{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}"


def test_raw_json_bodies_never_cause_a_5xx(target: Target) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(target.app, raise_server_exceptions=True)
    headers = {"authorization": f"Bearer {target.token}", "content-type": "application/json"}

    @given(body=proposal_text(), path=st.sampled_from(["/api/v1/proposals", "/api/v1/handoffs"]))
    @settings(
        max_examples=EXAMPLES * 5,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def one_request(body: str, path: str) -> None:
        with capture_logs() as logs:
            response = client.post(path, content=body.encode("utf-8", "surrogatepass"), headers=headers)
        SENT[0] += 1
        assert response.status_code < 500, f"{path} {body!r:.400}: {response.status_code} {response.text}"
        assert [e for e in logs if e.get("log_level") in {"error", "critical", "exception"}] == []
        if response.status_code in (200, 201):
            json.loads(response.text)  # strict JSON back: no NaN/Infinity leaks into answers

    one_request()
