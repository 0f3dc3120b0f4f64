"""Block Kit limits (slack-contract §5) as pure checks returning Slack-style error messages."""

from __future__ import annotations

import json
from typing import Any

from bot.fakeslack.blockrules import BLOCK_CHECKS, ELEMENT_CHECKS, TEXT_TYPES

MESSAGE_MAX_BLOCKS = 50
SURFACE_MAX_BLOCKS = 100  # modals and Home tabs
MESSAGE_TEXT_MAX = 40_000  # chat.postMessage truncates beyond this
VIEW_MAX_BYTES = 250_000
ID_MAX = 255
OTHER_ELEMENTS = (
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
    "external_select",
    "multi_external_select",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "number_input",
    "email_text_input",
    "url_text_input",
    "rich_text_input",
    "file_input",
    "image",
    "workflow_button",
)
PASSIVE_BLOCKS = ("divider", "rich_text", "file", "video", "table", "context_actions")


def check_message_blocks(blocks: list[Any]) -> list[str]:
    """Errors for a message's blocks (chat.postMessage/update/postEphemeral, response_url)."""
    check = Checker()
    check.blocks(blocks, "/blocks", MESSAGE_MAX_BLOCKS)
    return check.errors


def check_view(view: Any) -> list[str]:
    """Errors for a modal or Home view (views.open/update/push/publish, response_action)."""
    check = Checker()
    if not isinstance(view, dict):
        check.err("/view", "must be an object")
        return check.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        check.err("/view/type", "must be one of: modal, home")
    if kind == "modal":
        check.text(view, "title", 24, "/view", plain=True)
        check.text(view, "submit", 24, "/view", plain=True, required=False)
        check.text(view, "close", 24, "/view", plain=True, required=False)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and not view.get("submit"):
            check.err("/view/submit", "submit is required when an input block is present")
    check.length(view, "private_metadata", 3000, "/view")
    check.length(view, "callback_id", ID_MAX, "/view")
    check.length(view, "external_id", ID_MAX, "/view")
    check.blocks(view.get("blocks"), "/view/blocks", SURFACE_MAX_BLOCKS)
    return check.errors


def view_size(view: Any) -> int:
    """Bytes of the view JSON as Slack measures it for view_too_large."""
    return len(json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


class Checker:
    """Walks one payload collecting errors; ids must be unique per payload (block_id) or block (action_id)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.block_ids: set[str] = set()
        self.action_ids: set[str] = set()  # reset per block: Slack scopes action_id uniqueness to a block
        self.markdown_chars = 0

    def err(self, ptr: str, message: str) -> None:
        """Record one error at a json-pointer."""
        self.errors.append(f"[ERROR] {message} [json-pointer:{ptr}]")

    def length(self, obj: dict[str, Any], key: str, limit: int, ptr: str) -> None:
        """A string field no longer than `limit`."""
        value = obj.get(key)
        if isinstance(value, str) and len(value) > limit:
            self.err(f"{ptr}/{key}", f"must be less than {limit + 1} characters")

    def items(self, obj: dict[str, Any], key: str, ptr: str, most: int, least: int = 0) -> list[Any]:
        """An array field with between `least` and `most` items; returns the items to walk."""
        value = obj.get(key)
        if value is None:
            if least:
                self.err(ptr, f"missing required field: {key}")
            return []
        if not isinstance(value, list):
            self.err(f"{ptr}/{key}", "must be an array")
            return []
        if len(value) > most:
            self.err(f"{ptr}/{key}", f"no more than {most} items allowed")
        if len(value) < least:
            self.err(f"{ptr}/{key}", f"must provide at least {least} items")
        return value

    def text(
        self, obj: dict[str, Any], key: str, limit: int, ptr: str, *, plain: bool = False, required: bool = True
    ) -> None:
        """A text-object field (optionally plain_text only) whose text is at most `limit`."""
        value = obj.get(key)
        if value is None:
            if required:
                self.err(ptr, f"missing required field: {key}")
            return
        self.text_obj(value, limit, f"{ptr}/{key}", plain=plain)

    def text_obj(self, value: Any, limit: int, ptr: str, *, plain: bool = False) -> None:
        """A text object: type plain_text/mrkdwn and a bounded text."""
        if not isinstance(value, dict):
            self.err(ptr, "must be a text object")
            return
        if plain and value.get("type") != "plain_text":
            self.err(f"{ptr}/type", "must be plain_text")
        elif value.get("type") not in TEXT_TYPES:
            self.err(f"{ptr}/type", "must be one of: plain_text, mrkdwn")
        if not isinstance(value.get("text"), str):
            self.err(ptr, "missing required field: text")
        self.length(value, "text", limit, ptr)

    def identifier(self, obj: dict[str, Any], key: str, ptr: str, seen: set[str], scope: str) -> None:
        """block_id/action_id: at most 255 chars and unique in its scope."""
        value = obj.get(key)
        if value is None:
            return
        self.length(obj, key, ID_MAX, ptr)
        if value in seen:
            self.err(f"{ptr}/{key}", f"{key} must be unique within the {scope}")
        seen.add(value)

    def blocks(self, blocks: Any, ptr: str, most: int) -> None:
        """A blocks array."""
        if blocks is None:
            return
        if not isinstance(blocks, list):
            self.err(ptr, "must be an array")
            return
        if len(blocks) > most:
            self.err(ptr, f"no more than {most} items allowed")
        for i, block in enumerate(blocks):
            self.block(block, f"{ptr}/{i}")

    def block(self, block: Any, ptr: str) -> None:
        """One block, dispatched by type."""
        if not isinstance(block, dict):
            self.err(ptr, "must be an object")
            return
        kind = block.get("type")
        self.identifier(block, "block_id", ptr, self.block_ids, "payload")
        self.action_ids = set()
        if kind in BLOCK_CHECKS:
            BLOCK_CHECKS[kind](self, block, ptr)
        elif kind not in PASSIVE_BLOCKS:
            self.err(f"{ptr}/type", f"unsupported type: {kind}")

    def element(self, el: Any, ptr: str) -> None:
        """One interactive element, dispatched by type."""
        if not isinstance(el, dict):
            self.err(ptr, "must be an object")
            return
        kind = el.get("type")
        self.identifier(el, "action_id", ptr, self.action_ids, "block")
        self.text(el, "placeholder", 150, ptr, plain=True, required=False)
        if isinstance(el.get("confirm"), dict):
            self.confirm(el["confirm"], f"{ptr}/confirm")
        if kind in ELEMENT_CHECKS:
            ELEMENT_CHECKS[kind](self, el, ptr)
        elif kind not in OTHER_ELEMENTS:
            self.err(f"{ptr}/type", f"unsupported type: {kind}")

    def confirm(self, obj: dict[str, Any], ptr: str) -> None:
        """A confirm dialog object."""
        self.text(obj, "title", 100, ptr, plain=True)
        self.text(obj, "text", 300, ptr)
        self.text(obj, "confirm", 30, ptr, plain=True)
        self.text(obj, "deny", 30, ptr, plain=True)

    def options(self, el: dict[str, Any], ptr: str, most: int, least: int = 1, key: str = "options") -> None:
        """An options array and each option in it."""
        for i, opt in enumerate(self.items(el, key, ptr, most, least)):
            self.option(opt, f"{ptr}/{key}/{i}")

    def option(self, opt: Any, ptr: str) -> None:
        """One option object."""
        if not isinstance(opt, dict):
            self.err(ptr, "must be an object")
            return
        self.text(opt, "text", 75, ptr)
        self.text(opt, "description", 75, ptr, required=False)
        if not isinstance(opt.get("value"), str):
            self.err(ptr, "missing required field: value")
        self.length(opt, "value", 150, ptr)
        self.length(opt, "url", 3000, ptr)
