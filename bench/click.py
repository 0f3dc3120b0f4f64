"""Click path: a signed block_actions request (Approve on a posted proposal) to the HTTP response, i.e. Slack's ack.

Run:   .venv/bin/python -m bench.click [--clicks 1000] [--rate 20] [--concurrency 4]
Quick: .venv/bin/python -m bench.click --clicks 300

Countersign runs as a server process (uvicorn, scheduler on, Slack pointed at a FakeSlack in this process). The
proposals are created over the agent API and posted by the sweep; each click is the payload Slack would send for a
click on one proposal's Approve button (built from the stored message by the fake's driver), signed with the
signing secret at send time, and timed over the full HTTP round trip from a separate process (this one runs the
fake Slack, which only Countersign keeps busy). Each click approves its proposal: the lazy
listener (decision, audit, ephemeral reply, queued message update) runs in the same process while later clicks
are being acked, as in production.

Two measurements: clicks arriving at --rate per second whatever the earlier ones are doing (people do not wait
for each other; 20/s is a very busy approval workspace), which is the target; and --concurrency clients clicking
back to back, which saturates the server with approvals (reported, to show the throughput).

Baseline measured in the same run: a bare Bolt app (same slack_bolt, process_before_response=True, one listener
that only acks) served the same way, sent the same payloads. Target: p99 ratio <= 2 at --rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bench.harness import LoadResult, Served, bench_services, drive, drive_open, load_average
from bot.fakeslack import AppResponse, FakeSlack, SlackDriver
from bot.flow import agents
from bot.slack.ids import Id

SECRET = "bench-click-secret"
TOKEN = "xoxb-bench"
CHANNEL = "C0CLICK"
WARMUP = 50
POLICY = f"""
workflow: clicks
owner: U0OWNER
review_channel: C0REVIEW
actions:
  restart:
    connector: callback
    schema: {{type: object, required: [service], properties: {{service: {{type: string}}}}}}
    approval: {{channel: {CHANNEL}, approvers: {{users: [U0ALICE]}}}}
"""


class CapturingDriver(SlackDriver):
    """The fake's driver, building the exact block_actions payload of a click without sending it."""

    captured: dict[str, Any]

    def _interactive(self, payload: dict[str, Any]) -> AppResponse:
        self.captured = payload
        return AppResponse(0, {}, "", "")

    def click_body(self, channel: str, ts: str) -> str:
        """The form body Slack posts for U0ALICE clicking Approve on the message (channel, ts)."""
        self.click(channel, ts, Id.APPROVE, "U0ALICE")
        return urlencode({"payload": json.dumps(self.captured)})


def signed(verifier: SignatureVerifier, body: str) -> tuple[bytes, dict[str, str]]:
    """The body and the headers Slack sends: v0 signature over a timestamp taken now."""
    ts = str(int(time.time()))
    return body.encode(), {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
    }


async def _propose(url: str, token: str, n: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=8)) as client:
        sem = asyncio.Semaphore(8)

        async def one(i: int) -> None:
            async with sem:
                r = await client.post(
                    f"{url}/api/v1/proposals",
                    headers=headers,
                    json={
                        "workflow": "clicks",
                        "action": "restart",
                        "summary": f"Restart service {i}",
                        "payload": {"service": f"svc-{i}"},
                    },
                )
                r.raise_for_status()

        await asyncio.gather(*(one(i) for i in range(n)))


def clicks_from_child(url: str, bodies: list[str], n: int, rate: float, concurrency: int) -> LoadResult:
    """Send the clicks (signed at send time) and time them: at `rate` per second if given, else back to back."""
    verifier = SignatureVerifier(SECRET)

    def make(i: int) -> tuple[bytes, dict[str, str]]:
        return signed(verifier, bodies[i])

    if rate:
        return drive_open(url, make, n=n, rate=rate, ok=frozenset({200}))
    return drive(url, make, n=n, concurrency=concurrency, ok=frozenset({200}))


def posted(slack: FakeSlack) -> list[str]:
    """ts of the proposal messages in the channel that still show an Approve button."""
    out = []
    for msg in slack.messages(CHANNEL):
        if any(
            el.get("action_id") == Id.APPROVE
            for b in msg.blocks
            for el in b.get("elements") or []
            if isinstance(el, dict)
        ):
            out.append(msg.ts)
    return out


def approved_count(db_url: str, policies: Path) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from bot.store.db import read_scope
    from bot.store.models import Proposal

    svc = bench_services(db_url, policies, migrate_db=False)
    try:
        with read_scope(svc.engine) as s:
            return int(s.exec(select(func.count()).select_from(Proposal).where(Proposal.status == "approved")).one())
    finally:
        svc.engine.dispose()


def run(clicks: int, rate: float, concurrency: int, workdir: Path) -> list[dict[str, Any]]:
    """Post proposals, click them on Countersign and on the bare Bolt app; print and return table rows."""
    policies = workdir / "policies"
    policies.mkdir()
    (policies / "clicks.yaml").write_text(POLICY)
    db = f"sqlite:///{workdir}/click.db"
    svc = bench_services(db, policies)
    token = agents.create(svc, name="bench", scopes=["clicks"])
    svc.engine.dispose()
    total = WARMUP + 2 * clicks  # every Countersign click approves a proposal of its own
    users = {"U0ALICE": {"name": "alice"}, "U0OWNER": {"name": "owner"}}
    chans = {c: {"name": c.lower(), "members": ["UBOT", "U0ALICE", "U0OWNER"]} for c in (CHANNEL, "C0REVIEW")}
    with FakeSlack(SECRET, TOKEN, users=users, channels=chans) as slack:
        env = {
            "DATABASE_URL": db,
            "COUNTERSIGN_POLICIES": str(policies),
            "COUNTERSIGN_LOG_LEVEL": "WARNING",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
        }
        app = Served("bot.app:create_app", env, workdir / "countersign.log")
        try:
            asyncio.run(_propose(app.url, token, total))
            deadline = time.monotonic() + 120
            while len(posted(slack)) < total and time.monotonic() < deadline:
                time.sleep(0.2)
            stamps = posted(slack)
            if len(stamps) < total:
                raise RuntimeError(f"only {len(stamps)} of {total} proposals were posted in 120 s")
            driver = CapturingDriver(app.url, SECRET, slack)
            bodies = [driver.click_body(CHANNEL, ts) for ts in stamps]
            driver.close()

            # Clicks are sent and timed from a process of their own: this one also runs the fake Slack, which is
            # busy answering Countersign's calls (not the bare Bolt app's) and would slow the timer for one side.
            timer = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))

            def timed(url: str, offset: int, n: int, *, rate: float = 0.0) -> LoadResult:
                return timer.submit(clicks_from_child, url, bodies[offset : offset + n], n, rate, concurrency).result()

            base_env = {"BENCH_SIGNING_SECRET": SECRET, "BENCH_BOT_TOKEN": TOKEN, "BENCH_SLACK_API_URL": slack.api_url}
            base = Served("bench.baseline_bolt:create_app", base_env, workdir / "bolt.log")
            try:
                url = f"{base.url}/slack/events"
                timed(url, 0, WARMUP)
                base_open = timed(url, WARMUP, clicks, rate=rate)
                base_busy = timed(url, WARMUP, clicks)
            finally:
                base.close()

            url = f"{app.url}/slack/events"
            timed(url, 0, WARMUP)
            time.sleep(1)  # let the warm-up's approvals finish
            open_loop = timed(url, WARMUP, clicks, rate=rate)
            time.sleep(1)
            busy = timed(url, WARMUP + clicks, clicks)
            timer.shutdown()
            deadline = time.monotonic() + 60  # the lazy listeners finish the approvals after the acks
            while approved_count(db, policies) < total and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            app.close()
        approved = approved_count(db, policies)
    return report(open_loop, base_open, busy, base_busy, approved, total, rate, concurrency)


def report(
    result: LoadResult,
    baseline: LoadResult,
    busy: LoadResult,
    base_busy: LoadResult,
    approved: int,
    total: int,
    rate: float,
    concurrency: int,
) -> list[dict[str, Any]]:
    """Print the figures and ratios; return the table rows."""
    p99_ratio = result.pct(99) / baseline.pct(99)
    p50_ratio = result.pct(50) / baseline.pct(50)
    print(f"clicks arriving at {rate:g}/s (open loop):")
    print(baseline.line("  baseline bare Bolt ack"))
    print(
        result.line("  countersign Approve ack") + f"   p99 ratio {p99_ratio:.2f} (target <= 2: "
        f"{'OK' if p99_ratio <= 2 else 'MISSED'}), p50 ratio {p50_ratio:.2f}"
    )
    busy_ratio = busy.pct(99) / base_busy.pct(99)
    print(
        f"saturation: {concurrency} clients clicking back to back (each Countersign click approves a proposal in "
        f"the same process):"
    )
    print(base_busy.line("  baseline bare Bolt ack"))
    print(busy.line("  countersign Approve ack") + f"   p99 ratio {busy_ratio:.2f}")
    print(f"proposals approved by the clicks (lazy listeners): {approved:,}/{total:,}; load average {load_average()}")
    failed = approved != total or result.errors or busy.errors or baseline.errors or base_busy.errors
    note = " (CHECK FAILED)" if failed else ""
    return [
        {
            "benchmark": f"click path: signed Approve -> ack, {rate:g} clicks/s arriving",
            "figure": (
                f"p50 {result.pct(50):.1f} ms, p99 {result.pct(99):.1f} ms; {approved:,}/{total:,} approved{note}"
            ),
            "baseline": f"bare Bolt ack: p50 {baseline.pct(50):.1f} ms, p99 {baseline.pct(99):.1f} ms",
            "ratio": f"p99 {p99_ratio:.2f} (p50 {p50_ratio:.2f})",
            "target": "p99 <= 2",
        },
        {
            "benchmark": f"click path at saturation ({concurrency} clients back to back)",
            "figure": f"{busy.rate:.0f} approvals/s; p50 {busy.pct(50):.1f} ms, p99 {busy.pct(99):.1f} ms",
            "baseline": f"bare Bolt: {base_busy.rate:.0f} acks/s; p50 {base_busy.pct(50):.1f} ms, "
            f"p99 {base_busy.pct(99):.1f} ms",
            "ratio": f"p99 {busy_ratio:.2f}",
            "target": "(reported)",
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=1000, help="per measurement (open loop, then saturation)")
    parser.add_argument("--rate", type=float, default=20.0, help="clicks per second arriving (open loop)")
    parser.add_argument("--concurrency", type=int, default=4, help="clients clicking back to back (saturation)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.clicks, args.rate, args.concurrency, Path(tmp))


if __name__ == "__main__":
    main()
