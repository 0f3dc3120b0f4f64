"""Edits change exactly the edited field: keys with dots, brackets, spaces or unicode are keys, never paths."""

from __future__ import annotations

from typing import Any

import pytest

from tests.slack.rig import Rig

KEYS_POLICY = """
workflow: keys
owner: U0OWNER
review_channel: C0REVIEW
actions:
  set:
    connector: callback
    schema:
      type: object
      properties:
        "limits.max_cents": {type: integer}
        limits: {type: object, properties: {max_cents: {type: integer}}}
        "items[0]": {type: string}
        "with space": {type: string}
        "größe €": {type: number}
        "#tag": {type: string}
        "a.b": {type: object, properties: {"c.d": {type: boolean}, "e": {type: string}}}
        plain: {type: string}
    approval:
      channel: C0OPS
      approvers: {users: [U0ALICE]}
"""
PAYLOAD: dict[str, Any] = {
    "limits.max_cents": 100,
    "limits": {"max_cents": 5},
    "items[0]": "first",
    "with space": "spaced",
    "größe €": 1.5,
    "#tag": "t",
    "a.b": {"c.d": True, "e": "e"},
    "plain": "p",
}


@pytest.fixture
def extra_policies() -> dict[str, str]:
    return {"keys": KEYS_POLICY}


def _blocks_by_label(rig: Rig, user: str) -> dict[str, dict[str, Any]]:
    [modal] = rig.slack.views(user)
    return {b["label"]["text"]: b for b in modal.blocks if b["type"] == "input"}


def test_every_key_shape_round_trips_unchanged(rig: Rig) -> None:
    p = rig.propose(workflow="keys", action="set", payload=PAYLOAD)
    rig.click(p["id"], "cs_edit", "U0ALICE")
    blocks = _blocks_by_label(rig, "U0ALICE")
    assert len({b["block_id"] for b in blocks.values()}) == len(blocks) == 9
    assert {"limits.max_cents", '"limits.max_cents"', '"a.b".e', '"a.b"."c.d"'} <= set(blocks)
    prefilled = {label: b["element"].get("initial_value") for label, b in blocks.items()}
    assert prefilled["with space"] == "spaced"
    assert prefilled["größe €"] == "1.5"
    assert prefilled["items[0]"] == "first"
    resp = rig.driver.submit_view("U0ALICE", values={b["block_id"]: _as_typed(b) for b in blocks.values()})
    rig.settle()
    assert resp.ack is None
    after = rig.get(p["id"])
    assert after["payload"] == PAYLOAD
    assert after["version"] == 1  # nothing changed, so no new version


def _as_typed(block: dict[str, Any]) -> Any:
    element = block["element"]
    if element["type"] == "checkboxes":
        return [o["value"] for o in element.get("initial_options") or []]
    return element.get("initial_value") or ""


def test_editing_a_dotted_key_changes_that_key_only(rig: Rig) -> None:
    p = rig.propose(workflow="keys", action="set", payload=PAYLOAD)
    rig.click(p["id"], "cs_edit", "U0ALICE")
    [modal] = rig.slack.views("U0ALICE")
    inputs = [b for b in modal.blocks if b["type"] == "input"]
    dotted = next(b for b in inputs if b["label"]["text"] == '"limits.max_cents"')
    nested = next(b for b in inputs if b["label"]["text"] == "limits.max_cents")
    assert (dotted["element"]["initial_value"], nested["element"]["initial_value"]) == ("100", "5")
    spaced = next(b for b in inputs if b["label"]["text"] == "with space")
    unicode = next(b for b in inputs if b["label"]["text"] == "größe €")
    inner = next(b for b in inputs if b["label"]["text"] == '"a.b".e')
    rig.driver.submit_view(
        "U0ALICE",
        values={
            dotted["block_id"]: "250",
            nested["block_id"]: "5",
            spaced["block_id"]: "changed",
            unicode["block_id"]: "2",
            inner["block_id"]: "E",
        },
    )
    rig.settle()
    after = rig.get(p["id"])
    assert after["payload"] == {
        **PAYLOAD,
        "limits.max_cents": 250,
        "with space": "changed",
        "größe €": 2,
        "a.b": {"c.d": True, "e": "E"},
    }
    rig.click(p["id"], "cs_approve", "U0ALICE")
    approved = rig.get(p["id"])
    assert (approved["status"], approved["payload"]["limits.max_cents"]) == ("approved", 250)
