"""OCSF 1.3.0 mapping: each audit event becomes one API Activity event (class 6003, category 6 Application Activity).

API Activity fits: every event records an operation on a Countersign resource (a proposal or an agent token), made
by an actor (an agent, a person in Slack, an operator at the command line, or Countersign itself). The original
event travels in `raw_data` unchanged, so the hash chain can still be checked on the OCSF copy
(`countersign audit verify --file`). docs/operations.md lists the mapping.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import __version__

VERSION = "1.3.0"
CLASS_UID, CATEGORY_UID = 6003, 6
CREATE, UPDATE, DELETE, OTHER = 1, 3, 4, 99
ACTIVITY_NAMES = {CREATE: "Create", UPDATE: "Update", DELETE: "Delete", OTHER: "Other"}
# Audit actions by what they do to the resource; any action not listed is an Update of its proposal.
ACTIVITIES = {
    "intake": CREATE,
    "agent_created": CREATE,
    "agent_revoked": DELETE,
    "refused": OTHER,
    "reminder": OTHER,
    "escalation": OTHER,
    "digest_reviewed": OTHER,
}
SUCCESS, FAILURE = 1, 2
INFORMATIONAL, LOW = 1, 2
USER, ADMIN, SYSTEM = 1, 2, 3


def _actor(actor: str) -> tuple[dict[str, Any], str]:
    """The OCSF actor object and the source endpoint name for an audit actor string."""
    if actor.startswith("agent:"):
        name = actor.removeprefix("agent:")
        return {"user": {"name": name, "uid": actor, "type_id": SYSTEM, "type": "System"}}, "agent API"
    if actor == "cli":
        return {"user": {"name": "command line", "uid": actor, "type_id": ADMIN, "type": "Admin"}}, "command line"
    if actor == "countersign":
        return {"user": {"name": "Countersign", "uid": actor, "type_id": SYSTEM, "type": "System"}}, "Countersign"
    return {"user": {"name": actor, "uid": actor, "type_id": USER, "type": "User"}}, "Slack"


def event(rec: dict[str, Any], *, raw: str) -> dict[str, Any]:
    """One OCSF API Activity event for an exported audit record (`raw`: the record's JSON Lines form)."""
    activity = ACTIVITIES.get(rec["action"], UPDATE)
    refused = rec["action"] == "refused"
    actor, source = _actor(rec["actor"])
    resources = []
    if rec["proposal_id"]:
        resources.append({"type": "proposal", "uid": rec["proposal_id"]})
    elif rec["action"].startswith("agent_") and rec["reason"]:
        resources.append({"type": "agent", "name": rec["reason"]})
    out: dict[str, Any] = {
        "class_uid": CLASS_UID,
        "class_name": "API Activity",
        "category_uid": CATEGORY_UID,
        "category_name": "Application Activity",
        "activity_id": activity,
        "activity_name": ACTIVITY_NAMES[activity],
        "type_uid": CLASS_UID * 100 + activity,
        "severity_id": LOW if refused else INFORMATIONAL,
        "status_id": FAILURE if refused else SUCCESS,
        "status": "Failure" if refused else "Success",
        "time": int(datetime.fromisoformat(rec["at"]).timestamp() * 1000),
        "message": rec["reason"] or rec["action"],
        "actor": actor,
        "api": {"operation": rec["action"], "service": {"name": "Countersign"}},
        "src_endpoint": {"name": source},
        "metadata": {
            "version": VERSION,
            "uid": str(rec["seq"]),
            "sequence": rec["seq"],
            "original_time": rec["at"],
            "log_name": "audit",
            "product": {"name": "Countersign", "vendor_name": "Countersign", "version": __version__},
        },
        "unmapped": {k: rec[k] for k in ("before", "after", "data", "prev_hash", "hash")},
        "raw_data": raw,
    }
    if refused:
        out["status_detail"] = rec["reason"]
    if resources:
        out["resources"] = resources
    return out
