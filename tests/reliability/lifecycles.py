"""Proposal lifecycles driven against real `countersign serve` replicas, with kill -9 at random moments.

The outside world lives in the test process: a FakeSlack (messages, signed clicks), a webhook receiver (the executed
actions, counted per idempotency key) and agents posting over HTTP. The replicas only share the database.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlmodel import col, select

from bot.fakes.webhook_receiver import Reply, WebhookReceiver
from bot.fakeslack import FakeSlack, Message
from bot.flow import decide
from bot.flow.context import Services
from bot.store import audit
from bot.store.db import read_scope
from bot.store.models import DueWork, Proposal
from bot.words import plural
from tests.factories import WEBHOOK_SECRET, add_agent, make_services, write_policies
from tests.reliability.procs import ServiceProcess
from tests.workspace import SECRET

CHANNEL = "C0PAYOUTS"
FINAL = {"approved", "rejected", "auto_approved"}
# What each lifecycle does: auto-run (policy), approved by a signed click, or decided through the flow.
KINDS = ("auto", "click", "click", "flow_approve", "flow_reject")
AMOUNT = {"auto": 5, "click": 100, "flow_approve": 200, "flow_reject": 300}
SIDE_EFFECT_KINDS = ("slack_post", "slack_update", "slack_note", "execute", "callback")


def tag(i: int) -> str:
    """A unique marker in each summary, so its Slack message can be found whatever state it shows."""
    return f"LC{i:05d}"


@dataclass
class World:
    """Everything outside the replicas, plus a Services on the same database for reading and flow decisions."""

    db_url: str
    tmp: Path
    slack: FakeSlack
    receiver: WebhookReceiver
    svc: Services
    token: str
    lease_seconds: float = 2.0
    replicas: list[ServiceProcess] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.db_url,
            "COUNTERSIGN_POLICIES": str(self.svc.settings.policies_dir),
            "PAYOUT_SECRET": WEBHOOK_SECRET,
            "SLACK_BOT_TOKEN": "xoxb-fake",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "COUNTERSIGN_SWEEP_SECONDS": "0.2",
            "COUNTERSIGN_LEASE_SECONDS": str(self.lease_seconds),
            "COUNTERSIGN_LOG_LEVEL": "INFO",
        }

    def start_replica(self) -> ServiceProcess:
        """Start one more `countersign serve` and wait until it is ready."""
        n = len(self.replicas)
        proc = ServiceProcess(self.env(), self.tmp / f"replica-{n}.log")
        proc.wait_ready(60)
        with self._lock:
            self.replicas.append(proc)
        return proc

    def live_urls(self) -> list[str]:
        with self._lock:
            return [r.url for r in self.replicas if r.proc.poll() is None]

    def kill9(self, proc: ServiceProcess) -> None:
        proc.kill9()

    def stop_all(self) -> None:
        for proc in self.replicas:
            if proc.proc.poll() is None:
                proc.stop()

    def logs(self) -> str:
        return "\n".join(
            f"--- {r.log_path.name}\n{r.log_path.read_text(errors='replace')[-4000:]}" for r in self.replicas
        )


def make_world(db_url: str, tmp: Path, slack: FakeSlack, receiver: WebhookReceiver, lease_seconds: float) -> World:
    policies = write_policies(tmp / "policies", webhook_url=receiver.url)
    svc = make_services(db_url, policies)
    return World(db_url, tmp, slack, receiver, svc, add_agent(svc), lease_seconds)


@dataclass
class Ledger:
    """What the outside world saw: accepted proposals (by key), decisions confirmed to the decider, kills."""

    kinds: dict[int, str]
    accepted: dict[int, str] = field(default_factory=dict)  # lifecycle -> proposal id, from a 201 or 200
    confirmed: dict[str, tuple[str, str]] = field(default_factory=dict)  # proposal -> (status, decided_by)
    kills: int = 0
    intake_retries: int = 0
    clicks: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Workload:
    """Agents submitting, people deciding, a killer: run() returns once every lifecycle was accepted and decided."""

    def __init__(self, world: World, n: int, *, seed: int, pace_seconds: float) -> None:
        self.world, self.n, self.pace = world, n, pace_seconds
        self.rng = random.Random(seed)
        self.ledger = Ledger({i: KINDS[self.rng.randrange(len(KINDS))] for i in range(n)})
        world.receiver.script(*[Reply(delay=self.rng.uniform(0.0, 0.06)) for _ in range(3 * n)])  # calls in flight
        self.driver = world.slack.driver("http://127.0.0.1:9")  # its url is set per click (replicas come and go)
        self._next = 0
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._clicked: dict[str, tuple[float, str]] = {}  # proposal -> (when, response_url id)
        self._restart_time = 0.0

    # ---- agents
    def _submitter(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                with self.ledger.lock:
                    i, self._next = self._next, self._next + 1
                if i >= self.n:
                    return
                self._submit(http, i)
                time.sleep(self.pace)

    def _submit(self, http: httpx.Client, i: int) -> None:
        kind = self.ledger.kinds[i]
        body = {
            "workflow": "payouts",
            "action": "send",
            "summary": f"Pay vendor {tag(i)}",
            "idempotency_key": f"life-{i}",
            "payload": {"to": f"v{i}@example.com", "amount": AMOUNT[kind]},
        }
        headers = {"Authorization": f"Bearer {self.world.token}"}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self._stop.is_set():
            urls = self.world.live_urls()
            try:
                if not urls:
                    raise httpx.ConnectError("no replica up")
                resp = http.post(f"{self.rng.choice(urls)}/api/v1/proposals", json=body, headers=headers)
            except httpx.HTTPError:
                resp = None
            if resp is not None and resp.status_code in (200, 201):
                with self.ledger.lock:
                    self.ledger.accepted[i] = resp.json()["id"]
                return
            if resp is not None and resp.status_code != 503:
                raise AssertionError(f"intake answered {resp.status_code}: {resp.text}")
            with self.ledger.lock:
                self.ledger.intake_retries += 1  # the agent retries with the same idempotency key
            time.sleep(0.1)
        raise AssertionError(f"lifecycle {i} never accepted")

    # ---- people
    def _decider(self) -> None:
        while not self._stop.is_set():
            self._confirm_clicks()
            with self.ledger.lock:
                todo = [
                    (i, pid)
                    for i, pid in self.ledger.accepted.items()
                    if self.ledger.kinds[i] != "auto" and pid not in self.ledger.confirmed
                ]
                all_in = len(self.ledger.accepted) == self.n
            if all_in and not todo:
                return
            for i, pid in todo:
                kind = self.ledger.kinds[i]
                if kind.startswith("flow_"):
                    self._flow_decide(pid, kind)
                else:
                    self._maybe_click(i, pid)
            time.sleep(0.05)

    def _flow_decide(self, pid: str, kind: str) -> None:
        svc = self.world.svc
        if kind == "flow_approve":
            out = decide.approve(svc, proposal_id=pid, user="U0BOB")
        else:
            out = decide.reject(svc, proposal_id=pid, user="U0BOB", reason="not this vendor")
        with self.ledger.lock:  # the call returned: the decision is committed and the decider knows it
            self.ledger.confirmed[pid] = (out.proposal.status, "U0BOB")

    def _maybe_click(self, i: int, pid: str) -> None:
        last = self._clicked.get(pid)
        if last and time.monotonic() - last[0] < 4:  # give the lazy listener time to answer before clicking again
            return
        msg = self._approvable_message(i)
        urls = self.world.live_urls()
        if msg is None and last and self._shown_approved(i):
            # The answer to the click was lost with the replica that died sending it, but the message itself
            # now says "Approved": that is how the person learns the outcome.
            with self.ledger.lock:
                self.ledger.confirmed.setdefault(pid, ("approved", "U0ALICE"))
            return
        if msg is None or not urls:
            return
        self.driver.url = f"{self.rng.choice(urls)}/slack/events"
        try:
            resp = self.driver.click(CHANNEL, msg.ts, "cs_approve", "U0ALICE")
        except httpx.HTTPError:
            return  # the replica died under the click; the person clicks again
        if resp.status == 200:
            rid = str(resp.payload["response_url"]).rsplit("/", 1)[1]
            self._clicked[pid] = (time.monotonic(), rid)
            with self.ledger.lock:
                self.ledger.clicks += 1

    def _approvable_message(self, i: int) -> Message | None:
        for msg in self.world.slack.find_messages(tag(i), channel=CHANNEL):
            if msg.thread_ts is None and any(
                el.get("action_id") == "cs_approve"
                for b in msg.blocks
                if b.get("type") == "actions"
                for el in b.get("elements", [])
            ):
                return msg
        return None

    def _shown_approved(self, i: int) -> bool:
        return any(
            m.thread_ts is None and m.text.startswith("Approved ·")
            for m in self.world.slack.find_messages(tag(i), channel=CHANNEL)
        )

    def _confirm_clicks(self) -> None:
        """A click is confirmed when the person was told the outcome (the ephemeral answer through response_url)."""
        answers = {
            c.args["id"]: str((c.args.get("body") or {}).get("text") or "")
            for c in self.world.slack.calls("response_url")
            if c.status == 200
        }
        for pid, (_, rid) in list(self._clicked.items()):
            text = answers.get(rid, "")
            if text.startswith("✅ Approved") or "already approved by" in text:
                with self.ledger.lock:
                    self.ledger.confirmed.setdefault(pid, ("approved", "U0ALICE"))

    # ---- the run
    def run(
        self,
        *,
        kills: int,
        restart: bool,
        victim: Callable[[World], ServiceProcess],
        timeout: float,
        window: tuple[float, float] = (0.05, 1.0),
    ) -> None:
        """Load the replicas and kill -9 one at random moments `kills` times (restarting it when `restart`), within
        `window` (fractions of the time the load takes)."""
        threads = [
            threading.Thread(target=self._guard(t), daemon=True, name=t.__name__)
            for t in (self._submitter, self._submitter, self._decider)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + timeout
        try:
            self._killer(kills, restart, victim, deadline, window)
            for t in threads:
                t.join(max(1.0, deadline - time.monotonic()))
            assert not self._errors, self._errors
            assert all(not t.is_alive() for t in threads), f"workload not done in {timeout}s: {self.progress()}"
        finally:
            self._stop.set()
            self.driver.close()

    def _killer(
        self,
        kills: int,
        restart: bool,
        victim: Callable[[World], ServiceProcess],
        deadline: float,
        window: tuple[float, float],
    ) -> None:
        # Random moments spread over the time the load takes (restarts included), so kills land in every phase of
        # the lifecycles: intake, posting, deciding, executing, updating.
        span = self.n * self.pace / 2 + 2.0
        started = time.monotonic()
        for at in sorted(self.rng.uniform(*window) * span for _ in range(kills)):
            while time.monotonic() - started < at and not self._errors:
                time.sleep(0.02)
            started += self._restart_time if restart else 0.0
            if self._errors or time.monotonic() > deadline:
                return
            proc = victim(self.world)
            self.world.kill9(proc)
            with self.ledger.lock:
                self.ledger.kills += 1
            if restart:
                t0 = time.monotonic()
                self.world.start_replica()
                self._restart_time = time.monotonic() - t0

    def _guard(self, fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - surfaced by run(), with the other threads stopped
                self._errors.append(exc)
                self._stop.set()

        run.__name__ = fn.__name__
        return run

    def progress(self) -> str:
        with self.ledger.lock:
            waiting = [
                (i, pid)
                for i, pid in self.ledger.accepted.items()
                if self.ledger.kinds[i] != "auto" and pid not in self.ledger.confirmed
            ]
            head = (
                f"accepted {len(self.ledger.accepted)}/{self.n}, confirmed {len(self.ledger.confirmed)}, "
                f"kills {self.ledger.kills}, errors {self._errors}"
            )
        ps = rows(self.world.svc)
        answers = {c.args["id"]: (c.args.get("body") or {}).get("text") for c in self.world.slack.calls("response_url")}
        lines = [head]
        for i, pid in waiting[:5]:
            p = ps.get(pid)
            with read_scope(self.world.svc.engine) as s:
                work = [
                    (w.kind, w.state, w.attempts, w.lease_owner, w.last_error)
                    for w in s.exec(select(DueWork).where(DueWork.proposal_id == pid)).all()
                ]
            click = self._clicked.get(pid)
            lines.append(
                f"  {i} {self.ledger.kinds[i]} {pid} db={p and (p.status, p.slack_ts)} "
                f"msgs={[(m.ts, m.text[:40]) for m in self.world.slack.find_messages(tag(i))]} "
                f"click={click} answer={click and answers.get(click[1])} work={work}"
            )
        return "\n".join(lines) + "\n" + self.world.logs()


# ---- what the database and the outside world must show at the end


def rows(svc: Services) -> dict[str, Proposal]:
    with read_scope(svc.engine) as s:
        return {p.id: p for p in s.exec(select(Proposal)).all()}


def open_side_effects(svc: Services) -> list[DueWork]:
    """Side-effect work not finished yet (pending) or given up (dead)."""
    with read_scope(svc.engine) as s:
        return list(
            s.exec(select(DueWork).where(col(DueWork.kind).in_(SIDE_EFFECT_KINDS), col(DueWork.state) != "done")).all()
        )


def settled(world: World, ledger: Ledger) -> bool:
    """Every proposal final, every execution finished, every side effect done."""
    ps = rows(world.svc)
    if len(ps) < len(ledger.accepted):
        return False
    for p in ps.values():
        if p.status not in FINAL:
            return False
        if p.status != "rejected" and p.execution_status != "succeeded":
            return False
    return not open_side_effects(world.svc)


def wait_settled(world: World, ledger: Ledger, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if settled(world, ledger):
            return
        time.sleep(0.25)
    ps = rows(world.svc)
    stuck = [
        (p.id, p.status, p.execution_status)
        for p in ps.values()
        if p.status not in FINAL or (p.status != "rejected" and p.execution_status != "succeeded")
    ]
    work = [(w.kind, w.state, w.attempts, w.last_error) for w in open_side_effects(world.svc)]
    raise AssertionError(f"not settled after {timeout}s: stuck {stuck[:10]}, open work {work[:10]}\n{world.logs()}")


@dataclass
class Duplicates:
    """Side effects seen more than once in the outside world (each one must be a retry after a kill)."""

    posts: dict[str, int]
    notes: dict[str, int]
    deliveries: dict[str, int]

    @property
    def total(self) -> int:
        return sum(n - 1 for d in (self.posts, self.notes, self.deliveries) for n in d.values())

    def __str__(self) -> str:
        def extra(d: dict[str, int]) -> int:
            return sum(n - 1 for n in d.values())

        return (
            f"{plural(extra(self.posts), 'message')}, {plural(extra(self.notes), 'thread note')}, "
            f"{plural(extra(self.deliveries), 'webhook call')} repeated"
        )


def check_invariants(world: World, ledger: Ledger) -> Duplicates:
    """The guarantees: nothing accepted or decided is lost, all final, executions once per key (retries aside)."""
    ps = rows(world.svc)
    # No accepted proposal lost, and exactly one proposal per lifecycle (agent retries reused their key).
    assert set(ledger.accepted.values()) <= set(ps), "an accepted proposal is missing from the database"
    by_key = Counter(p.idempotency_key for p in ps.values())
    assert len(ps) == len(ledger.accepted)
    assert set(by_key.values()) == {1}
    # No decision lost: every decision the decider was told about is the stored one.
    for pid, (status, by) in ledger.confirmed.items():
        assert (ps[pid].status, ps[pid].decided_by) == (status, by), pid
    # Every lifecycle final, decided the way its kind says.
    expected = {"auto": "auto_approved", "click": "approved", "flow_approve": "approved", "flow_reject": "rejected"}
    for i, pid in ledger.accepted.items():
        assert ps[pid].status == expected[ledger.kinds[i]], (i, ps[pid].status)
    executed = {pid for pid, p in ps.items() if p.status in {"approved", "auto_approved"}}
    assert {pid for pid, p in ps.items() if p.execution_status == "succeeded"} == executed
    # Executions: every approved action delivered, each under its own key, all signatures valid.
    assert all(d.error is None for d in world.receiver.deliveries)
    keys = Counter(d.headers["idempotency-key"] for d in world.receiver.deliveries)
    assert set(keys) == executed
    for key, count in keys.items():
        if count > 1:  # a repeat is only ever a retry recorded as such, with the same key
            assert ps[key].execution_attempts >= count, (key, count, ps[key].execution_attempts)
    # Slack: one message per proposal that needed people, showing the decision; the execution noted once.
    posts, notes = _slack_counts(world, ledger, ps)
    # The audit chain survived every kill intact.
    with read_scope(world.svc.engine) as s:
        assert list(audit.verify(session=s)) == []
    return Duplicates(
        posts={k: v for k, v in posts.items() if v > 1},
        notes={k: v for k, v in notes.items() if v > 1},
        deliveries={k: v for k, v in keys.items() if v > 1},
    )


def _slack_counts(world: World, ledger: Ledger, ps: dict[str, Proposal]) -> tuple[Counter[str], Counter[str]]:
    posts: Counter[str] = Counter()
    notes: Counter[str] = Counter()
    for i, pid in ledger.accepted.items():
        p = ps[pid]
        if ledger.kinds[i] == "auto":
            assert not world.slack.find_messages(tag(i)), "auto-approved proposals are not posted (live mode)"
            continue
        top = [m for m in world.slack.find_messages(tag(i), channel=CHANNEL) if m.thread_ts is None]
        posts[pid] = len(top)
        assert p.slack_ts in {m.ts for m in top}, f"{pid}: the stored message is not in Slack"
        shown = world.slack.message(CHANNEL, p.slack_ts)
        word = "Approved" if p.status == "approved" else "Rejected"
        assert shown.text.startswith(f"{word} · payouts / send"), (pid, shown.text)
        assert "cs_approve" not in str(shown.blocks)
        replies = [m for m in world.slack.thread(CHANNEL, p.slack_ts) if m.ts != p.slack_ts]
        notes[pid] = sum(1 for m in replies if m.text.startswith("✅ Executed"))
        assert notes[pid] == (1 if p.status == "approved" else 0) or notes[pid] > 1, (pid, notes[pid])
    return posts, notes
