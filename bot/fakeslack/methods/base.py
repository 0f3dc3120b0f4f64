"""Registry of fake Web API methods and the per-call context they receive."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.fakeslack.limits import check_message_blocks
from bot.fakeslack.state import Workspace
from bot.fakeslack.wire import SlackError, json_arg, text_arg


@dataclass
class Ctx:
    """What a method handler sees: the workspace, parsed args and the token's scopes."""

    ws: Workspace
    args: dict[str, Any]
    scopes: frozenset[str]
    base_url: str  # http://127.0.0.1:PORT, for permalinks and upload URLs
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers

    def require_scope(self, *needed: str) -> None:
        """missing_scope (with needed/provided, as Slack reports them) unless the token has every scope."""
        missing = [s for s in needed if s not in self.scopes]
        if missing:
            raise SlackError("missing_scope", needed=",".join(missing), provided=",".join(sorted(self.scopes)))


@dataclass(frozen=True)
class Method:
    """A handler plus the scopes its token must carry."""

    handler: Callable[[Ctx], dict[str, Any]]
    scopes: tuple[str, ...]


METHODS: dict[str, Method] = {}


def method(name: str, *scopes: str) -> Callable[[Callable[[Ctx], dict[str, Any]]], Callable[[Ctx], dict[str, Any]]]:
    """Register a handler for `name`, requiring `scopes`."""

    def register(fn: Callable[[Ctx], dict[str, Any]]) -> Callable[[Ctx], dict[str, Any]]:
        METHODS[name] = Method(fn, scopes)
        return fn

    return register


def blocks_arg(args: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The `blocks` argument validated against Block Kit limits (None when absent)."""
    blocks = json_arg(args, "blocks", "invalid_blocks_format")
    if blocks is None:
        return None
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise SlackError("invalid_blocks_format")
    errors = check_message_blocks(blocks)
    if errors:
        raise SlackError("invalid_blocks", messages=errors)
    return blocks


def content_args(args: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
    """(text, blocks) of a message; no_text when there is nothing to show."""
    text, blocks = text_arg(args), blocks_arg(args)
    if not text and not blocks and not args.get("attachments"):
        raise SlackError("no_text")
    return text, blocks
