"""The audit chain: every transition and refusal is recorded; any edit or removal is detected."""

from __future__ import annotations

import threading

from sqlalchemy import text

from bot.flow import decide
from bot.flow.agents import AgentIdentity
from bot.flow.context import Services
from bot.flow.intake import submit
from bot.flow.requests import ProposalRequest
from bot.store import audit
from bot.store.db import session_scope
from tests.factories import proposal


def _breaks(svc: Services) -> list[audit.ChainBreak]:
    with session_scope(svc.engine) as s:
        return list(audit.verify(session=s))


def _propose(svc: Services) -> str:
    view, _ = submit(svc, agent=AgentIdentity("a", ("payouts",)), req=ProposalRequest.model_validate(proposal()))
    return view.id


def test_chain_holds_under_concurrent_writers(svc: Services) -> None:
    threads = [threading.Thread(target=_propose, args=(svc,)) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _breaks(svc) == []
    with session_scope(svc.engine) as s:
        seqs = [e.seq for e in s.exec(audit.select(audit.AuditEvent)).all()]
    assert sorted(seqs) == list(range(1, 13))


def test_changed_event_is_detected(svc: Services) -> None:
    pid = _propose(svc)
    decide.approve(svc, proposal_id=pid, user="U0ALICE")
    with svc.engine.begin() as conn:
        conn.execute(text("UPDATE auditevent SET actor = 'U0MALLORY' WHERE action = 'decision'"))
    problems = _breaks(svc)
    assert [b.problem for b in problems] == ["content was changed after it was written"]


def test_removed_last_event_is_detected(svc: Services) -> None:
    pid = _propose(svc)
    decide.approve(svc, proposal_id=pid, user="U0ALICE")
    with svc.engine.begin() as conn:
        conn.execute(text("DELETE FROM auditevent WHERE seq = (SELECT max(seq) FROM auditevent)"))
    assert "events were removed" in _breaks(svc)[-1].problem


def test_removed_middle_event_is_detected(svc: Services) -> None:
    for _ in range(3):
        _propose(svc)
    with svc.engine.begin() as conn:
        conn.execute(text("DELETE FROM auditevent WHERE seq = 2"))
    assert {b.problem for b in _breaks(svc)} >= {"missing events 2..2", "prev_hash does not match the previous event"}
