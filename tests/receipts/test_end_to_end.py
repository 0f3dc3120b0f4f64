"""Receipts through the real app: signed Slack clicks, the agent API, webhook and callback deliveries, the CLI."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.fakes.webhook_receiver import WebhookReceiver
from bot.receipts.canonical import payload_sha256
from connectors.verify import (
    RECEIPT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    b64url_decode,
    sign,
    verify_receipt,
)
from tests.factories import WEBHOOK_SECRET
from tests.slack.rig import Rig

runner = CliRunner()


def _public_key(rig: Rig) -> str:
    r = rig.http.get("/api/v1/receipts/key")
    assert r.status_code == 200, r.text
    described = r.json()
    assert described["algorithm"] == "Ed25519"
    assert described["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    return described["public_key"]


def _header_receipt(headers: dict[str, str]) -> dict[str, Any]:
    return json.loads(b64url_decode(headers[RECEIPT_HEADER.lower()]))


def test_a_slack_approval_reaches_the_webhook_with_a_receipt_that_verifies(rig: Rig, tmp_path: Path) -> None:
    key = _public_key(rig)
    rig.receiver.receipt_key = key  # the receiver acts only on a payload the receipt covers
    p = rig.propose()
    assert rig.get(p["id"])["receipt"] is None  # pending: nothing decided, nothing signed
    rig.click(p["id"], "cs_approve", "U0ALICE")
    after = rig.get(p["id"])
    assert after["execution"]["status"] == "succeeded"
    [delivery] = rig.receiver.deliveries
    assert delivery.error is None
    receipt = _header_receipt(delivery.headers)
    body = verify_receipt(key, delivery.headers[RECEIPT_HEADER.lower()], delivery.json["payload"])
    policy_bytes = (tmp_path / "policies" / "payouts.yaml").read_bytes()
    assert body == {
        "format": "countersign-receipt/1",
        "proposal_id": p["id"],
        "workflow": "payouts",
        "action": "send",
        "decision": "approved",
        "version": 1,
        "payload_sha256": payload_sha256(p["payload"]),
        "route": "approve",
        "rule": None,
        "deciders": ["U0ALICE"],
        "decided_at": after["decided_at"].replace("+00:00", "Z"),
        "policy_sha256": hashlib.sha256(policy_bytes).hexdigest(),
        "expires_at": after["expires_at"].replace("+00:00", "Z"),
    }
    assert after["receipt"] == receipt  # the agent API returns the same receipt


def test_the_receiver_refuses_a_payload_one_byte_different_from_the_approved_one(rig: Rig) -> None:
    rig.receiver.receipt_key = _public_key(rig)
    p = rig.propose()
    rig.click(p["id"], "cs_approve", "U0ALICE")
    [delivery] = rig.receiver.deliveries
    # Someone holding the webhook secret (not the receipt key) replays the delivery with 120 changed to 920.
    forged = delivery.body.replace(b'"amount":120', b'"amount":920')
    assert len(forged) == len(delivery.body)
    assert forged != delivery.body
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(WEBHOOK_SECRET, ts, forged),
        RECEIPT_HEADER: delivery.headers[RECEIPT_HEADER.lower()],
    }
    answer = httpx.post(rig.receiver.url, content=forged, headers=headers)
    assert answer.status_code == 403
    assert answer.json()["error"].startswith("payload mismatch: the receipt covers a payload with SHA-256")


def test_auto_approved_actions_are_signed_at_intake(rig: Rig) -> None:
    key = _public_key(rig)
    r = rig.http.post(
        "/api/v1/proposals",
        json={"workflow": "payouts", "action": "send", "summary": "tiny", "payload": {"to": "b@x.com", "amount": 5}},
        headers=rig.auth,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    body = verify_receipt(key, created["receipt"], {"amount": 5, "to": "b@x.com"})
    assert (body["decision"], body["deciders"], body["route"], body["rule"]) == ("auto_approved", [], "auto", 2)
    rig.settle()
    [delivery] = rig.receiver.deliveries
    assert _header_receipt(delivery.headers) == created["receipt"]


def test_rejections_and_denials_are_signed_but_do_not_authorise(rig: Rig) -> None:
    key = _public_key(rig)
    p = rig.propose()
    rig.click(p["id"], "cs_reject", "U0BOB")
    rig.driver.submit_view("U0BOB", values={"cs_reason_input": "wrong account"})
    rig.settle()
    rejected = rig.get(p["id"])["receipt"]
    body = verify_receipt(key, rejected, p["payload"], decisions=None)
    assert (body["decision"], body["deciders"]) == ("rejected", ["U0BOB"])
    denied = rig.http.post(
        "/api/v1/proposals",
        json={"workflow": "payouts", "action": "send", "summary": "s", "payload": {"to": "c@x.com", "amount": -1}},
        headers=rig.auth,
    ).json()
    assert verify_receipt(key, denied["receipt"], decisions=None)["decision"] == "denied"
    assert rig.receiver.deliveries == []


def test_cancel_and_expiry_are_signed_and_callbacks_carry_the_receipt(rig: Rig) -> None:
    key = _public_key(rig)
    agent_key = hashlib.sha256(rig.token.encode()).hexdigest()  # callbacks are HMAC-signed with the token's hash
    with WebhookReceiver(agent_key) as agent:
        cancelled = rig.propose(callback_url=agent.url)
        r = rig.http.post(f"/api/v1/proposals/{cancelled['id']}/cancel", headers=rig.auth)
        assert r.status_code == 200, r.text
        expiring = rig.propose(callback_url=agent.url, payload={"to": "d@x.com", "amount": 300})
        rig.clock.advance(timedelta(hours=25))
        rig.settle()
        rig.settle()
        by_id = {d.json["proposal"]["id"]: d for d in agent.deliveries}
    assert all(d.error is None for d in by_id.values())
    first = verify_receipt(key, by_id[cancelled["id"]].headers[RECEIPT_HEADER.lower()], decisions=None)
    assert (first["decision"], first["deciders"]) == ("cancelled", ["agent:agent-1"])
    second = verify_receipt(key, by_id[expiring["id"]].headers[RECEIPT_HEADER.lower()], decisions=None)
    assert (second["decision"], second["deciders"]) == ("expired", [])
    assert by_id[expiring["id"]].json["proposal"]["receipt"]["body"] == second


def test_the_cli_prints_the_key_and_checks_a_receipt_offline(rig: Rig, tmp_path: Path, db_url: str) -> None:
    env = {"DATABASE_URL": db_url, "COUNTERSIGN_POLICIES": str(tmp_path / "policies")}
    printed = runner.invoke(cli, ["receipts", "key"], env=env)
    assert printed.exit_code == 0, printed.output
    assert f"public_key: {_public_key(rig)}" in printed.output
    pem = runner.invoke(cli, ["receipts", "key", "--pem"], env=env).output
    (tmp_path / "key.pem").write_text(pem)
    p = rig.propose()
    rig.click(p["id"], "cs_approve", "U0ALICE")
    (tmp_path / "receipt.json").write_text(json.dumps(rig.get(p["id"])["receipt"]))
    (tmp_path / "payload.json").write_text(json.dumps(p["payload"]))
    (tmp_path / "other.json").write_text(json.dumps({**p["payload"], "amount": 121}))
    args = ["receipts", "verify", str(tmp_path / "receipt.json"), "--key", str(tmp_path / "key.pem")]
    ok = runner.invoke(cli, [*args, "--payload", str(tmp_path / "payload.json")], env={})
    assert ok.exit_code == 0, ok.output
    assert "Receipt valid: approved payouts/send" in ok.output
    assert "decided by U0ALICE" in ok.output
    assert "payload matches the signed SHA-256" in ok.output
    bad = runner.invoke(cli, [*args, "--payload", str(tmp_path / "other.json")], env={})
    assert bad.exit_code == 1
    assert "receipt not valid: payload mismatch" in bad.output
    own_key = runner.invoke(cli, ["receipts", "verify", str(tmp_path / "receipt.json")], env=env)
    assert own_key.exit_code == 0, own_key.output
    assert "payload not checked" in own_key.output
