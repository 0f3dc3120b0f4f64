"""Reading the sandbox page's state the way the page does."""

from __future__ import annotations

from typing import Any

import httpx


def state(page: httpx.Client) -> dict[str, Any]:
    """GET /api/state."""
    r = page.get("/api/state")
    assert r.status_code == 200, r.text
    return r.json()


def find_message(st: dict[str, Any], text: str) -> dict[str, Any] | None:
    """The first top-level message (any channel) whose text contains `text`."""
    for ch in st["workspace"]["channels"]:
        for m in ch["messages"]:
            if not m["thread_ts"] and text in m["text"]:
                return m
    return None


def replies(st: dict[str, Any], msg: dict[str, Any]) -> list[str]:
    """Texts of the replies in a message's thread."""
    ch = next(c for c in st["workspace"]["channels"] if c["id"] == msg["channel"])
    return [m["text"] for m in ch["messages"] if m["thread_ts"] == msg["ts"]]


def buttons(msg: dict[str, Any]) -> list[str]:
    """Labels of the message's buttons."""
    return [el["text"]["text"] for b in msg["blocks"] if b["type"] == "actions" for el in b["elements"]]


def button(msg: dict[str, Any], label: str) -> dict[str, Any]:
    """What the page POSTs to /api/click for the button with that label."""
    for b in msg["blocks"]:
        for el in b.get("elements", []) if b["type"] == "actions" else []:
            if el["text"]["text"] == label:
                return {
                    "channel": msg["channel"],
                    "ts": msg["ts"],
                    "action_id": el["action_id"],
                    "block_id": b["block_id"],
                    "value": el.get("value"),
                }
    raise AssertionError(f"no button {label!r}; has {buttons(msg)}")


def block_texts(msg: dict[str, Any]) -> str:
    """Every text in the message's blocks."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                out.append(value) if key == "text" and isinstance(value, str) else walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(msg["blocks"])
    return "\n".join(out)
