"""Slack backlog: N approval messages queued while the fake Slack enforces Slack's rate limits.

Run:   .venv/bin/python -m bench.backlog            (full size: 10,000 messages over 50 channels, about 4 minutes)
Quick: .venv/bin/python -m bench.backlog --quick    (2,500 messages over 50 channels, about 1 minute; bench/run_all)

The N proposals are queued first (through the intake flow, Slack not configured yet), the same number for each of
C approval channels (50 by default, so that 10,000 messages at Slack's 1 message/second/channel take 200 s, not
3 hours), in a shuffled order. Then `countersign serve` starts against a FakeSlack that answers chat.postMessage
beyond 1 message/second/channel (token bucket, bursts of 3) and the Web API methods listed in TIERS beyond their
tier's per-minute quota with HTTP 429 + Retry-After, and we wait until every message is posted.

Checks: every proposal is posted exactly once (messages counted per proposal in the fake Slack, by the proposal
id on their buttons), none is lost (every proposal has its message ts, every slack_post item is done), no due
work is dead. Figure: the drain rate (posts from the first to the end of the last one's 1-second slot) against
the limit's maximum, C x 1 message/s (target: at least 90% of it; the fake's burst of 3 at the start can put a
short run slightly above 1.0). Baseline measured in the same run: a bare slack_sdk client, one thread per channel
paced at exactly the limit, against the same kind of fake (it shows what the fake and this machine can carry).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bench.harness import Served, bench_services, load_average
from bot.fakeslack import FakeSlack
from bot.fakeslack.faults import Fault, Faults
from bot.flow import agents, intake
from bot.flow.agents import AgentIdentity
from bot.flow.requests import ProposalRequest
from bot.slack.ids import Id, parse_button_value
from bot.store.db import read_scope

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
RATE = 1.0  # chat.postMessage per second per channel (Slack: "generally 1 per second per channel")
BURST = 3
# Per-minute quotas of the other Web API methods the app may call (slack-contract.md section 6; per method,
# per workspace). chat.getPermalink is in Slack's "special" tier with no published figure: not limited here.
TIERS = {
    "usergroups.users.list": 20,
    "conversations.members": 20,
    "chat.update": 50,
    "conversations.info": 50,
    "users.list": 50,
    "chat.postEphemeral": 100,
    "users.info": 100,
    "views.open": 100,
    "views.update": 100,
    "views.push": 100,
    "views.publish": 100,
    "auth.test": 100,
    "files.getUploadURLExternal": 100,
    "files.completeUploadExternal": 100,
}


class TieredFaults(Faults):
    """The fake's per-channel chat.postMessage bucket, plus one bucket per method for its tier's quota."""

    def __init__(self, clock: Any, tiers: dict[str, int]) -> None:
        super().__init__(clock)
        self.tiers = tiers
        self._tier_buckets: dict[str, tuple[float, float]] = {}

    def throttle(self, method: str, channel: Any) -> Fault | None:
        """429 + Retry-After when the channel's or the method's bucket is empty."""
        hit = super().throttle(method, channel)
        if hit or method not in self.tiers:
            return hit
        per_minute = self.tiers[method]
        rate, burst = per_minute / 60, max(3.0, per_minute / 6)  # bursts of ~10 seconds' worth
        with self._lock:
            now = float(self._clock())
            tokens, last = self._tier_buckets.get(method, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < 1:
                self._tier_buckets[method] = (tokens, now)
                return Fault(429, retry_after=max(1, math.ceil((1 - tokens) / rate)))
            self._tier_buckets[method] = (tokens - 1, now)
            return None


def channel_ids(channels: int) -> list[str]:
    return [f"C0BL{i:04d}" for i in range(channels)]


def policy(channels: int) -> str:
    """One workflow, one action per approval channel."""
    actions = "".join(
        f"  note_{i}:\n    connector: callback\n"
        f"    schema: {{type: object, required: [text], properties: {{text: {{type: string}}}}}}\n"
        f"    approval: {{channel: {cid}, approvers: {{users: [U0ALICE]}}}}\n"
        for i, cid in enumerate(channel_ids(channels))
    )
    return f"workflow: backlog\nowner: U0OWNER\nreview_channel: C0REVIEW\nactions:\n{actions}"


def fake_slack(channels: int) -> FakeSlack:
    everyone = ["UBOT", "U0ALICE", "U0OWNER"]
    chans = {cid: {"name": cid.lower(), "members": everyone} for cid in [*channel_ids(channels), "C0REVIEW"]}
    slack = FakeSlack(SECRET, TOKEN, users={"U0ALICE": {"name": "alice"}, "U0OWNER": {"name": "owner"}}, channels=chans)
    slack.faults = TieredFaults(slack.clock, TIERS)
    slack.rate_limit(per_channel_per_second=RATE, burst=BURST)
    return slack


def queue(db_url: str, policies: Path, n: int, channels: int, seed: int = 7) -> tuple[list[str], float]:
    """Queue `n` approval proposals through the intake flow (Slack not configured, so nothing is posted)."""
    svc = bench_services(db_url, policies)
    try:
        agents.create(svc, name="bench", scopes=["backlog"])
        agent = AgentIdentity("bench", ("backlog",))
        order = [i % channels for i in range(n)]  # the same share for every channel, in a shuffled order
        random.Random(seed).shuffle(order)
        ids, start = [], time.perf_counter()
        for i, channel in enumerate(order):
            req = ProposalRequest(
                workflow="backlog", action=f"note_{channel}", summary=f"backlog note {i}", payload={"text": f"note {i}"}
            )
            view, _ = intake.submit(svc, agent=agent, req=req)
            ids.append(view.id)
        return ids, time.perf_counter() - start
    finally:
        svc.engine.dispose()


def baseline(channels: int, seconds: float) -> float:
    """A bare slack_sdk client posting as fast as the limit allows: one thread per channel at exactly RATE."""
    with fake_slack(channels) as slack:
        per_channel = max(2, int(seconds * RATE))
        errors: list[str] = []

        def post_all(cid: str) -> None:
            client = WebClient(token=TOKEN, base_url=slack.api_url)
            start = time.monotonic()
            for k in range(per_channel):
                time.sleep(max(0.0, start + k / RATE - time.monotonic()))
                try:
                    client.chat_postMessage(channel=cid, text=f"baseline {k}")
                except Exception as exc:  # noqa: BLE001 - a 429 here would mean the pacing is wrong
                    errors.append(str(exc))

        threads = [threading.Thread(target=post_all, args=(cid,)) for cid in channel_ids(channels)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds * 4 + 30)
        return drain_rate([c.time for c in slack.calls("chat.postMessage") if c.status == 200])


def drain_rate(times: list[float]) -> float:
    """Posts per second from the first post to the end of the last one's one-second slot (so a client posting at
    exactly 1/s/channel measures exactly channels x 1/s, whatever the run length)."""
    times = sorted(times)
    return len(times) / (times[-1] - times[0] + 1 / RATE) if times else float("nan")


def slack_idle(posts: list[tuple[str, float]]) -> float:
    """Seconds channels waited beyond one interval between two of their posts (what pacing left unused)."""
    by_channel: dict[str, list[float]] = {}
    for channel, at in posts:
        by_channel.setdefault(channel, []).append(at)
    return sum(
        max(0.0, b - a - 1 / RATE)
        for times in by_channel.values()
        for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
    )


def posted_per_proposal(slack: FakeSlack) -> Counter[str]:
    """How many top-level messages carry each proposal's Approve button."""
    seen: Counter[str] = Counter()
    with slack.ws.lock:
        for ch in slack.ws.channels.values():
            for msg in ch.messages.values():
                for block in msg.blocks:
                    for el in block.get("elements") or []:
                        if isinstance(el, dict) and el.get("action_id") == Id.APPROVE:
                            seen[parse_button_value(el.get("value"))[0]] += 1
    return seen


def database_state(db_url: str, policies: Path) -> tuple[int, Counter[str]]:
    """(proposals with a message ts, slack_post items by state)."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from bot.store.models import DueWork, Proposal

    svc = bench_services(db_url, policies, migrate_db=False)
    try:
        with read_scope(svc.engine) as s:
            with_ts = s.exec(
                select(func.count()).select_from(Proposal).where(col(Proposal.slack_ts).is_not(None))
            ).one()
            states = Counter(
                dict(
                    s.exec(
                        select(DueWork.state, func.count()).where(DueWork.kind == "slack_post").group_by(DueWork.state)
                    ).all()
                )
            )
            dead = s.exec(select(func.count()).select_from(DueWork).where(DueWork.state == "dead")).one()
        states["dead (any kind)"] = dead
        return int(with_ts), states
    finally:
        svc.engine.dispose()


def run(n: int, channels: int, workdir: Path, db_url: str | None = None) -> list[dict[str, Any]]:
    """Queue, drain, check; print and return table rows."""
    limit = channels * RATE
    base_rate = baseline(channels, seconds=10)
    print(
        f"baseline bare slack_sdk, {channels} paced threads: {base_rate:.1f} posts/s "
        f"(limit max {limit:.0f}/s; ratio {base_rate / limit:.2f})"
    )
    policies = workdir / "policies"
    policies.mkdir()
    (policies / "backlog.yaml").write_text(policy(channels))
    db = db_url or f"sqlite:///{workdir}/backlog.db"
    ids, queue_s = queue(db, policies, n, channels)
    print(f"queued {n:,} approval proposals over {channels} channels in {queue_s:.1f} s")
    expected = n / limit
    deadline_s = max(120.0, 3 * expected + 60)
    with fake_slack(channels) as slack:
        env = {
            "DATABASE_URL": db,
            "COUNTERSIGN_POLICIES": str(policies),
            "COUNTERSIGN_LOG_LEVEL": "WARNING",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
        }
        server = Served(
            None,
            env,
            workdir / "serve.log",
            cmd=[str(Path(sys.executable).parent / "countersign"), "serve", "--port", "{port}"],
        )
        try:
            start = time.monotonic()
            while time.monotonic() - start < deadline_s:
                ok = sum(1 for c in slack.calls("chat.postMessage") if c.status == 200)
                if ok >= n:
                    break
                time.sleep(1)
            drained_s = time.monotonic() - start
            time.sleep(3)  # a late duplicate would show up here
        finally:
            server.close()
        posts = [c for c in slack.calls("chat.postMessage") if c.status == 200]
        throttled = Counter(c.method for c in slack.calls() if c.status == 429)
        per = posted_per_proposal(slack)
        calls = Counter(c.method for c in slack.calls())
    rate = drain_rate([c.time for c in posts])
    idle = slack_idle([(str(c.args.get("channel")), c.time) for c in posts])
    with_ts, states = database_state(db, policies)
    once = sum(1 for pid in ids if per.get(pid) == 1)
    twice = sum(1 for pid in ids if per.get(pid, 0) > 1)
    missing = sum(1 for pid in ids if pid not in per)
    ratio = rate / limit
    print(
        f"drained {len(posts):,} posts in {drained_s:.1f} s after start-up; drain rate {rate:.1f} posts/s = "
        f"{ratio:.2f} of the limit max {limit:.0f}/s (target >= 0.90: {'OK' if ratio >= 0.9 else 'MISSED'})"
    )
    print(
        f"posted exactly once: {once:,}/{n:,}; more than once: {twice}; never: {missing}; "
        f"proposals with a message ts: {with_ts:,}; slack_post items: {dict(states)}"
    )
    print(f"429 answers: {dict(throttled) or 'none'}; Web API calls: {dict(calls)}; load average {load_average()}")
    span = max(c.time for c in posts) - min(c.time for c in posts) if posts else 0.0
    print(
        f"channels left idle beyond the limit while they still had messages queued: {idle:.0f} channel-seconds "
        f"({idle / (channels * span) if span else 0:.1%} of {channels} channels x {span:.0f} s)"
    )
    good = once == n and twice == 0 and missing == 0 and with_ts == n and states.get("dead (any kind)", 0) == 0
    return [
        {
            "benchmark": f"Slack backlog, {n:,} messages, {channels} channels at {RATE:g}/s/channel",
            "figure": f"{rate:.1f} posts/s; {once:,}/{n:,} posted exactly once, {twice} twice, {missing} lost"
            f"{'' if good else ' (CHECK FAILED)'}",
            "baseline": f"limit max {limit:.0f}/s (bare paced slack_sdk: {base_rate:.1f}/s)",
            "ratio": f"{ratio:.2f}",
            "target": ">= 0.90, exactly once",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="2,500 messages (about a minute)")
    args = parser.parse_args()
    n = 2_500 if args.quick else args.messages
    with tempfile.TemporaryDirectory() as tmp:
        run(n, args.channels, Path(tmp))


if __name__ == "__main__":
    main()
