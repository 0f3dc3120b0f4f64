"""End to end in a real headless browser (Debian's chromium driven by Playwright): click, see, edit.

The setup installs chromium with apt-get when it is missing (never `playwright install`: no browser
downloads work here). Set SANDBOX_SCREENSHOT=docs/sandbox.png to refresh the README's screenshot.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from bot.sandbox import Sandbox
from tests.sandbox.conftest import ROOT, wait_for
from tests.sandbox.helpers import find_message, state

CHROMIUM = Path("/usr/bin/chromium")
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> & <!channel>'


def _apt_install(*packages: str) -> None:
    """apt-get install under a lock, so parallel workers do not fight over dpkg; fails the run loudly."""
    with open("/tmp/countersign-apt.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *packages]):
            done = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
            if done.returncode != 0:
                pytest.fail(
                    f"{' '.join(cmd)} failed ({done.returncode}); the browser test needs {packages}:\n"
                    f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}",
                    pytrace=False,
                )


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed here when missing (with a colour emoji font, for readable screenshots)."""
    if not CHROMIUM.exists() or not EMOJI_FONT.exists():
        _apt_install("chromium", "fonts-noto-color-emoji")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is still missing after apt-get install chromium", pytrace=False)
    return str(CHROMIUM)


@pytest.fixture
def browser_page(chromium: str) -> Iterator[tuple[Page, list[str]]]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(15_000)
        yield page, errors
        browser.close()


def message_selector(api: httpx.Client, text: str) -> str:
    """CSS selector of the top-level message whose text contains `text` (ids hold the ts, dots included)."""
    msg = wait_for(lambda: find_message(state(api), text), what=f"a message about {text}")
    return f'[id="m-{msg["channel"]}-{msg["ts"]}"]'


def propose_hostile_summary(sandbox: Sandbox) -> None:
    body: dict[str, Any] = {
        "workflow": "refunds",
        "action": "issue_refund",
        "summary": f"Refund ORD-31337 {HOSTILE}",
        "payload": {"order_id": "ORD-31337", "amount": 75, "currency": "USD", "reason": "late"},
    }
    r = httpx.post(
        f"{sandbox.api_url}/api/v1/proposals", json=body, headers={"Authorization": f"Bearer {sandbox.agent_token}"}
    )
    assert r.status_code == 201, r.text


def test_approve_then_edit_in_a_real_browser(
    sandbox: Sandbox, page: httpx.Client, browser_page: tuple[Page, list[str]], tmp_path: Path
) -> None:
    tab, errors = browser_page
    propose_hostile_summary(sandbox)
    one_approver = message_selector(page, "ORD-20331")
    broken = message_selector(page, "ORD-20417")
    hostile = message_selector(page, "ORD-31337")
    tab.goto(f"{sandbox.page_url}/?as=U0FINANCE1")
    expect(tab.locator("#who")).to_have_value("U0FINANCE1")
    tab.locator("#channels li", has_text="finance").click()

    # as an approver, Approve a one-approver refund: the message updates and the result lands in its thread
    message = tab.locator(one_approver)
    expect(message).to_contain_text("Waiting for approval")
    message.get_by_role("button", name="Approve", exact=True).click()
    expect(message).to_contain_text("Approved by @Fatima Diaz")
    expect(message.get_by_role("button")).to_have_count(0)
    expect(tab.locator(f"{one_approver} + .thread")).to_contain_text("Executed: webhook localhost")
    expect(tab.locator("#webhooks")).to_contain_text("ORD-20331")
    expect(tab.locator("#agent")).to_contain_text("approved by Fatima Diaz")  # the agent learned it too
    tab.locator("#main").evaluate("() => document.querySelector('#messages').scrollTo(0, 0)")
    _screenshot(tab, tmp_path)

    # Edit the refund with problems: an invalid value comes back as an inline error, a fix updates the message
    tab.locator(broken).get_by_role("button", name="Edit", exact=True).click()
    modal = tab.locator(".modal")
    expect(modal).to_contain_text("Edit proposal")
    expect(modal.locator('[data-block-id="f:order_id"] input')).to_have_value("ORD-20417")
    modal.locator('[data-block-id="f:order_id"] input').fill("20417")
    modal.locator('[data-block-id="f:currency"] select').select_option(label="USD")
    modal.locator('[data-block-id="f:reason"] select').select_option(label="not_received")
    modal.get_by_role("button", name="Save").click()
    expect(modal.locator('[data-block-id="f:order_id"] .err')).to_contain_text(
        "order_id must look like ORD-1234"
    )  # plain words, never the validator's
    expect(modal.locator('[data-block-id="f:currency"] select')).not_to_have_value("")  # what was typed stays
    modal.locator('[data-block-id="f:order_id"] input').fill("ORD-20417")
    modal.get_by_role("button", name="Save").click()
    expect(tab.locator(".modal")).to_have_count(0)
    fixed = tab.locator(broken)
    expect(fixed.get_by_role("button", name="Approve", exact=True)).to_be_visible()
    expect(fixed).to_contain_text("Edited")
    expect(fixed).not_to_contain_text("Problems with the payload")

    # the agent's text is shown as text: nothing it wrote runs or becomes markup
    expect(tab.locator(hostile)).to_contain_text('<img src=x onerror="window.__pwned=1">')
    expect(tab.locator(hostile)).to_contain_text("<!channel>")
    assert tab.evaluate("() => window.__pwned") is None
    assert tab.locator(f"{hostile} img, {hostile} script").count() == 0
    assert errors == []


def _screenshot(tab: Page, tmp_path: Path) -> None:
    tab.screenshot(path=str(tmp_path / "sandbox.png"))
    target = os.environ.get("SANDBOX_SCREENSHOT")
    if target:
        tab.screenshot(path=str(ROOT / target))
