"""POST /slack/events: signatures, url_verification, redeliveries, unknown ids, ack before work, readiness,
Socket Mode start-up."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.app import create_app
from bot.fakeslack import FakeSlack
from bot.store.models import Proposal
from tests.factories import make_services, write_policies
from tests.slack.rig import Rig
from tests.workspace import SECRET

FORM = "application/x-www-form-urlencoded"


def test_forged_and_stale_signatures_get_401_and_change_nothing(rig: Rig) -> None:
    p = rig.propose()
    genuine = rig.click(p["id"], "cs_escalate", "U0ALICE")
    forged = rig.driver.send_raw(genuine.request_body, FORM, signature="v0=" + "0" * 64)
    stale = rig.driver.send_raw(genuine.request_body, FORM, timestamp=str(int(time.time()) - 600))
    unsigned = rig.driver.send_raw(genuine.request_body, FORM, signature="")
    assert [r.status for r in (forged, stale, unsigned)] == [401, 401, 401]
    rig.settle()
    assert rig.get(p["id"])["escalation_level"] == 1  # only the genuine click escalated


def test_url_verification_answers_the_challenge(rig: Rig) -> None:
    resp = rig.driver.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert resp.status == 200
    assert resp.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_event_redelivery_is_acked_and_not_run_twice(rig: Rig) -> None:
    p = rig.propose()
    first = rig.driver.mention(p["slack"]["channel"], "U0ALICE", "escalate", thread_ts=p["slack"]["ts"])
    rig.settle()
    again = rig.driver.retry(first, num=1, reason="http_timeout")
    rig.settle()
    assert (first.status, again.status) == (200, 200)
    assert rig.get(p["id"])["escalation_level"] == 1


def test_ack_returns_before_the_decision_is_made(rig: Rig) -> None:
    """The click is answered while the database is held by someone else: the decision waits, the ack does not."""
    p = rig.propose()
    with Session(rig.svc.engine) as blocker:
        blocker.exec(select(Proposal).where(Proposal.id == p["id"]).with_for_update()).one()  # row / write lock
        slack = p["slack"]
        resp = rig.driver.click(slack["channel"], slack["ts"], "cs_approve", "U0ALICE")
        assert resp.status == 200
        assert resp.text == ""
        assert not rig.app.state.slack_lazy.wait_idle(0)  # the decision is still in flight
        assert rig.slack.calls("response_url") == []  # nobody was told anything yet
        blocker.rollback()
    rig.settle()
    assert rig.get(p["id"])["status"] == "approved"
    assert rig.ephemeral_texts("U0ALICE") == ["✅ Approved."]


def test_unknown_action_id_is_answered_and_the_message_refreshed(rig: Rig) -> None:
    p = rig.propose()
    legacy = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve_v0",
                    "value": f"{p['id']}:1",
                    "text": {"type": "plain_text", "text": "Approve (old)"},
                }
            ],
        }
    ]
    ts = rig.svc.notifier.client.chat_postMessage(channel="C0PAYOUTS", text="old message", blocks=legacy)["ts"]
    updates = len(rig.slack.calls("chat.update"))
    assert rig.driver.click("C0PAYOUTS", ts, "approve_v0", "U0BOB").status == 200
    rig.settle()
    assert "not one Countersign knows" in rig.ephemeral_texts("U0BOB")[0]
    assert len(rig.slack.calls("chat.update")) == updates + 1
    assert rig.get(p["id"])["status"] == "pending"
    assert rig.slack.problems == []


def test_readyz_reports_slack_auth(rig: Rig) -> None:
    ok = rig.http.get("/readyz").json()
    assert ok["checks"]["slack"] == "ok"
    assert ok["ready"] is True


def test_readyz_reports_slack_down(rig: Rig) -> None:
    with rig.slack.outage():
        down = rig.http.get("/readyz")
    assert down.status_code == 503
    assert down.json()["checks"]["slack"] == "auth.test failed: service_unavailable"


def test_socket_mode_connects_on_startup_and_closes_on_shutdown(db_url: str, tmp_path, slack: FakeSlack) -> None:
    svc = make_services(
        db_url,
        write_policies(tmp_path / "p"),
        slack_bot_token="xoxb-fake",
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        slack_app_token="xapp-1-test",
    )
    with TestClient(create_app(services=svc, run_scheduler=False)) as client:
        [call] = slack.wait_for("apps.connections.open", timeout=10)
        assert client.get("/healthz").status_code == 200  # a failed connect does not stop the app
    assert call.error in {"invalid_auth", "unknown_method"}
    svc.engine.dispose()


def test_unexpected_error_is_answered_with_an_incident_id(rig: Rig) -> None:
    """A modal from an older version of the app carries metadata this one cannot read."""
    modal = {
        "type": "modal",
        "callback_id": "cs_edit_modal",
        "private_metadata": "v0:not-json",
        "title": {"type": "plain_text", "text": "Edit proposal"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "f:amount",
                "label": {"type": "plain_text", "text": "amount"},
                "element": {"type": "number_input", "action_id": "cs_value", "is_decimal_allowed": True},
            }
        ],
    }
    rig.svc.notifier.client.views_open(trigger_id=rig.slack.issue_trigger("U0BOB"), view=modal)
    resp = rig.driver.submit_view("U0BOB", values={"cs_value": "5"})
    assert resp.ack["response_action"] == "errors"
    assert re.fullmatch(
        r"Something went wrong \(incident [0-9a-f]{8}\)\. It was logged; please try again or tell "
        r"the workflow owner\.",
        resp.ack["errors"]["f:amount"],
    )


def test_click_on_a_proposal_that_does_not_exist(rig: Rig) -> None:
    blocks = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "cs_approve",
                    "value": "nope:1",
                    "text": {"type": "plain_text", "text": "Approve"},
                }
            ],
        }
    ]
    ts = rig.svc.notifier.client.chat_postMessage(channel="C0PAYOUTS", text="orphan", blocks=blocks)["ts"]
    rig.driver.click("C0PAYOUTS", ts, "cs_approve", "U0ALICE")
    rig.settle()
    assert rig.ephemeral_texts("U0ALICE") == ["No proposal nope."]
