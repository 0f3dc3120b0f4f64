"""Long-polls at scale: Slack ack p99 and intake p99 with no waiters, then with --waiters concurrent /wait calls.

Run:   .venv/bin/python -m bench.waits [--waiters 2000] [--acks 400] [--rate 20] [--proposals 1000]

Countersign runs as a server process (uvicorn, Slack pointed at a FakeSlack in this process, SQLite). Its sweep is
off (COUNTERSIGN_SCHEDULER=false) so that posting the waited proposals to Slack does not run during the
measurement. --waiters pending proposals are created before it starts; a child process then holds one
GET /proposals/{id}/wait?timeout=120 open on each (asking again when one returns), and the bench checks that the
server really holds all of them (one more wait is answered 429: COUNTERSIGN_MAX_WAITS_PER_AGENT is set to
--waiters). Measured twice, idle then with the waiters, in the same run: a signed /approvals slash command (the
signature check and Bolt; the list itself is read and sent lazily, in the same process) arriving at --rate per
second, timed to its ack;
and --proposals proposals needing approval, 4 clients back to back, timed to the 201.

Target: ack p99 with the waiters under 2x the idle figure and under 100 ms. Before, each waiter read the
database every 250 ms (8,000 reads a second for 2,000 waiters); now they cost nothing until their decision.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import tempfile
import time
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bench.harness import LoadResult, Served, bench_services, drive, drive_open, load_average
from bot.fakeslack import FakeSlack, envelopes
from bot.flow import agents, intake
from bot.flow.requests import ProposalRequest
from bot.slack.ids import Id

SECRET = "bench-waits-secret"
TOKEN = "xoxb-bench"
CHANNEL = "C0WAITS"
POLICY = f"""
workflow: waits
owner: U0OWNER
review_channel: C0REVIEW
actions:
  restart:
    connector: callback
    schema: {{type: object, required: [service], properties: {{service: {{type: string}}}}}}
    approval: {{channel: {CHANNEL}, approvers: {{users: [U0ALICE]}}}}
"""


def _proposal(i: int) -> dict[str, Any]:
    return {
        "workflow": "waits",
        "action": "restart",
        "summary": f"Restart service {i}",
        "payload": {"service": f"s{i}"},
    }


def _commands(slack: FakeSlack, n: int) -> list[str]:
    """Form bodies of `n` /approvals slash commands, as Slack sends them (each with its own response_url), from
    someone who approves none of the waited proposals: the lazy reply is short and the ack is what is timed."""
    with slack.ws.lock:
        return [
            urlencode(envelopes.command_fields(slack, Id.APPROVALS_COMMAND, "U0CAROL", CHANNEL, "")) for _ in range(n)
        ]


def _signed(verifier: SignatureVerifier, body: str) -> tuple[bytes, dict[str, str]]:
    ts = str(int(time.time()))
    return body.encode(), {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
    }


def hold_waits(url: str, token: str, ids: list[str], stop: EventType) -> None:
    """Child process: keep one /wait open per proposal until `stop` is set."""

    async def main() -> None:
        limits = httpx.Limits(max_connections=len(ids) + 10, max_keepalive_connections=len(ids) + 10)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=150, limits=limits, headers=headers) as client:

            async def one(pid: str) -> None:
                while not stop.is_set():
                    try:
                        await client.get(f"{url}/api/v1/proposals/{pid}/wait", params={"timeout": 120})
                    except httpx.HTTPError:
                        await asyncio.sleep(0.5)

            tasks = [asyncio.create_task(one(pid)) for pid in ids]
            while not stop.is_set():
                await asyncio.sleep(0.2)
            for t in tasks:
                t.cancel()

    asyncio.run(main())


def _all_held(url: str, token: str, spare: str, timeout: float = 120) -> bool:
    """True once one more wait is refused (429): the server holds every waiter's wait."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = httpx.get(
            f"{url}/api/v1/proposals/{spare}/wait",
            params={"timeout": 0.05},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        if r.status_code == 429:
            return True
        time.sleep(0.5)
    return False


def _measure(
    url: str, token: str, commands: list[str], rate: float, proposals: int, phase: str
) -> tuple[LoadResult, ...]:
    verifier = SignatureVerifier(SECRET)
    ack = drive_open(
        f"{url}/slack/events", lambda i: _signed(verifier, commands[i]), n=len(commands), rate=rate, ok=frozenset({200})
    )
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    first = 10**6 if phase == "idle" else 2 * 10**6
    made = drive(
        f"{url}/api/v1/proposals",
        lambda i: (json.dumps(_proposal(first + i)).encode(), auth),
        n=proposals,
        concurrency=4,
        ok=frozenset({201}),
    )
    return ack, made


def run(waiters: int, acks: int, rate: float, proposals: int, workdir: Path) -> list[dict[str, Any]]:
    """Measure idle, then with `waiters` long-polls held; print and return table rows."""
    policies = workdir / "policies"
    policies.mkdir()
    (policies / "waits.yaml").write_text(POLICY)
    db = f"sqlite:///{workdir}/waits.db"
    svc = bench_services(db, policies)
    token = agents.create(svc, name="bench", scopes=["waits"])
    agent = agents.authenticate(svc, f"Bearer {token}")
    ids = [intake.submit(svc, agent=agent, req=ProposalRequest(**_proposal(i)))[0].id for i in range(waiters + 1)]
    svc.engine.dispose()
    spare, ids = ids[-1], ids[:-1]
    users = {"U0ALICE": {"name": "alice"}, "U0OWNER": {"name": "owner"}, "U0CAROL": {"name": "carol"}}
    members = ["UBOT", "U0ALICE", "U0OWNER", "U0CAROL"]
    chans = {c: {"name": c.lower(), "members": members} for c in (CHANNEL, "C0REVIEW")}
    with FakeSlack(SECRET, TOKEN, users=users, channels=chans) as slack:
        env = {
            "DATABASE_URL": db,
            "COUNTERSIGN_POLICIES": str(policies),
            "COUNTERSIGN_LOG_LEVEL": "WARNING",
            "COUNTERSIGN_SCHEDULER": "false",
            "COUNTERSIGN_MAX_WAITS_PER_AGENT": str(waiters),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
        }
        app = Served("bot.app:create_app", env, workdir / "countersign.log")
        try:
            _measure(app.url, token, _commands(slack, 100), rate * 2, 200, "warm")  # connections, caches, first imports
            idle_ack, idle_made = _measure(app.url, token, _commands(slack, acks), rate, proposals, "idle")
            ctx = multiprocessing.get_context("spawn")
            stop = ctx.Event()
            holder = ctx.Process(target=hold_waits, args=(app.url, token, ids, stop))
            holder.start()
            try:
                if not _all_held(app.url, token, spare):
                    raise RuntimeError(f"the server never held {waiters:,} waits at once")
                busy_ack, busy_made = _measure(app.url, token, _commands(slack, acks), rate, proposals, "busy")
                still_held = _all_held(app.url, token, spare, timeout=5)
            finally:
                stop.set()
                holder.join(10)
                if holder.is_alive():
                    holder.terminate()
        finally:
            app.close()
    ack_ratio = busy_ack.pct(99) / idle_ack.pct(99)
    made_ratio = busy_made.pct(99) / idle_made.pct(99)
    ok = ack_ratio < 2 and busy_ack.pct(99) < 100
    errors = busy_ack.errors + busy_made.errors + idle_ack.errors + idle_made.errors
    note = "" if still_held else "; some waits ended during the measurement"
    for name, result in [
        ("ack, idle", idle_ack),
        (f"ack, {waiters} waiters", busy_ack),
        ("intake, idle", idle_made),
        (f"intake, {waiters} waiters", busy_made),
    ]:
        print(result.line(name))
    print(f"ack p99 ratio {ack_ratio:.2f}, intake p99 ratio {made_ratio:.2f}; target met: {ok}; errors {errors}")
    print(f"load average {load_average()}")
    return [
        {
            "benchmark": f"Slack ack (/approvals) with {waiters:,} long-polls held ({rate:g}/s)",
            "figure": f"p50 {busy_ack.pct(50):.1f} ms, p99 {busy_ack.pct(99):.1f} ms{note}",
            "baseline": f"no waiters: p50 {idle_ack.pct(50):.1f} ms, p99 {idle_ack.pct(99):.1f} ms",
            "ratio": f"p99 {ack_ratio:.2f}",
            "target": "p99 < 2 and < 100 ms",
        },
        {
            "benchmark": f"intake with {waiters:,} long-polls held (4 clients)",
            "figure": f"{busy_made.rate:.0f} req/s; p50 {busy_made.pct(50):.1f} ms, p99 {busy_made.pct(99):.1f} ms",
            "baseline": f"no waiters: {idle_made.rate:.0f} req/s; p99 {idle_made.pct(99):.1f} ms",
            "ratio": f"p99 {made_ratio:.2f}",
            "target": "(reported)",
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--waiters", type=int, default=2000)
    parser.add_argument("--acks", type=int, default=400)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--proposals", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cs-bench-waits-") as tmp:
        run(args.waiters, args.acks, args.rate, args.proposals, Path(tmp))


if __name__ == "__main__":
    main()
