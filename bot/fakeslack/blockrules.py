"""Per-block and per-element Block Kit rules; limits.Checker walks the payload and calls these."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.fakeslack.limits import Checker

TEXT_TYPES = ("plain_text", "mrkdwn")


def _section(c: Checker, b: dict[str, Any], ptr: str) -> None:
    if b.get("text") is None and b.get("fields") is None:
        c.err(ptr, "must provide either text or fields")
    c.text(b, "text", 3000, ptr, required=False)
    for i, field in enumerate(c.items(b, "fields", ptr, 10)):
        c.text_obj(field, 2000, f"{ptr}/fields/{i}")
    if b.get("accessory") is not None:
        c.element(b["accessory"], f"{ptr}/accessory")


def _header(c: Checker, b: dict[str, Any], ptr: str) -> None:
    c.text(b, "text", 150, ptr, plain=True)


def _context(c: Checker, b: dict[str, Any], ptr: str) -> None:
    for i, el in enumerate(c.items(b, "elements", ptr, 10, least=1)):
        if isinstance(el, dict) and el.get("type") == "image":
            _image(c, el, f"{ptr}/elements/{i}")
        elif isinstance(el, dict) and el.get("type") in TEXT_TYPES:
            c.text_obj(el, 3000, f"{ptr}/elements/{i}")
        else:
            c.err(f"{ptr}/elements/{i}", "must be a text or image element")


def _actions(c: Checker, b: dict[str, Any], ptr: str) -> None:
    for i, el in enumerate(c.items(b, "elements", ptr, 25, least=1)):
        c.element(el, f"{ptr}/elements/{i}")


def _input(c: Checker, b: dict[str, Any], ptr: str) -> None:
    c.text(b, "label", 2000, ptr, plain=True)
    c.text(b, "hint", 2000, ptr, plain=True, required=False)
    if b.get("element") is None:
        c.err(ptr, "missing required field: element")
    else:
        c.element(b["element"], f"{ptr}/element")


def _image(c: Checker, b: dict[str, Any], ptr: str) -> None:
    if b.get("image_url") is None and b.get("slack_file") is None:
        c.err(ptr, "missing required field: image_url")
    c.length(b, "image_url", 3000, ptr)
    if not isinstance(b.get("alt_text"), str):
        c.err(ptr, "missing required field: alt_text")
    c.length(b, "alt_text", 2000, ptr)
    c.text(b, "title", 2000, ptr, plain=True, required=False)


def _markdown(c: Checker, b: dict[str, Any], ptr: str) -> None:
    c.markdown_chars += len(str(b.get("text") or ""))
    if c.markdown_chars > 12000:  # cumulative across all markdown blocks of the payload
        c.err(f"{ptr}/text", "must be less than 12001 characters")


def _button(c: Checker, el: dict[str, Any], ptr: str) -> None:
    c.text(el, "text", 75, ptr, plain=True)
    c.length(el, "value", 2000, ptr)
    c.length(el, "url", 3000, ptr)
    c.length(el, "accessibility_label", 75, ptr)
    if el.get("style") is not None and el["style"] not in ("primary", "danger"):
        c.err(f"{ptr}/style", "must be one of: primary, danger")


def _static_select(c: Checker, el: dict[str, Any], ptr: str) -> None:
    if el.get("option_groups") is not None:
        for i, group in enumerate(c.items(el, "option_groups", ptr, 100, least=1)):
            gptr = f"{ptr}/option_groups/{i}"
            if isinstance(group, dict):
                c.text(group, "label", 75, gptr, plain=True)
                c.options(group, gptr, 100)
    else:
        c.options(el, ptr, 100)


def _plain_text_input(c: Checker, el: dict[str, Any], ptr: str) -> None:
    for key in ("max_length", "min_length"):
        value = el.get(key)
        if isinstance(value, int) and value > 3000:
            c.err(f"{ptr}/{key}", "must be less than or equal to 3000")


BLOCK_CHECKS: dict[str, Callable[[Checker, dict[str, Any], str], None]] = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image,
    "markdown": _markdown,
}
ELEMENT_CHECKS: dict[str, Callable[[Checker, dict[str, Any], str], None]] = {
    "button": _button,
    "static_select": _static_select,
    "multi_static_select": _static_select,
    "checkboxes": lambda c, el, ptr: c.options(el, ptr, 10),
    "radio_buttons": lambda c, el, ptr: c.options(el, ptr, 10),
    "overflow": lambda c, el, ptr: c.options(el, ptr, 5, least=2),
    "plain_text_input": _plain_text_input,
}
