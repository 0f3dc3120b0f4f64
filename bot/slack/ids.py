"""Every action_id, callback_id and block_id the app sends, in one place (a typo fails at import)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.errors import CountersignError


class Id(StrEnum):
    """Identifiers shared by the Block Kit builders and the listener registrations."""

    # buttons on the proposal message
    APPROVE = "cs_approve"
    EDIT = "cs_edit"
    REJECT = "cs_reject"
    ESCALATE = "cs_escalate"
    VIEW_FULL = "cs_view_full"
    TAKE = "cs_take"
    RETRY = "cs_retry"
    MARK_DONE = "cs_mark_done"
    GIVE_UP = "cs_give_up"
    # modals (callback_id) and their inputs
    EDIT_MODAL = "cs_edit_modal"
    REJECT_MODAL = "cs_reject_modal"
    FULL_MODAL = "cs_full_modal"
    REASON_BLOCK = "cs_reason"
    REASON_INPUT = "cs_reason_input"
    FIELD_INPUT = "cs_value"  # action_id of every generated edit field; its block_id names the field
    FIELD_BLOCK = "f:"  # block_id prefix of generated edit fields: "f:" + dotted path
    # blocks of the proposal message
    ACTIONS_BLOCK = "cs_actions"
    EXECUTION_ACTIONS_BLOCK = "cs_exec_actions"
    # the monthly digest
    MARK_REVIEWED = "digest_mark_reviewed"
    REVIEW_BLOCK = "digest_review"
    # slash command
    APPROVALS_COMMAND = "/approvals"


def button_value(proposal_id: str, version: int) -> str:
    """What a proposal button carries: the proposal and the version the clicker saw."""
    return f"{proposal_id}:{version}"


def parse_button_value(value: str | None) -> tuple[str, int | None]:
    """(proposal id, version or None) from a button value."""
    pid, _, version = (value or "").partition(":")
    return pid, int(version) if version.isdigit() else None


def clicked(body: dict[str, Any]) -> tuple[str, int | None]:
    """(proposal id, version seen) from the clicked button."""
    pid, version = parse_button_value((body.get("actions") or [{}])[0].get("value"))
    if not pid:
        raise CountersignError("this button carries no proposal; the message may be from an older version")
    return pid, version
