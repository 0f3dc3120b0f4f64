"""The demo agent: proposes realistic actions with the real Python client, then watches how they end."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.words import plural
from countersign.client import Countersign
from countersign.errors import CountersignError
from countersign.models import Proposal

REQUESTER = "U0RILEY"  # the support agent the demo agent works for (cannot approve her own refunds)
BIG_REFUND = {
    "order_id": "ORD-1182",
    "amount": 640,
    "currency": "USD",
    "reason": "damaged",
    "customer_email": "mei.tanaka@customer.test",
}
CUSTOMER_EMAIL = (
    "📧 *New email from Ana Silva*: “Hi, my order ORD-3321 was due last Friday and it still hasn't "
    "arrived. Can you tell me where it is?”"
)


@dataclass(frozen=True)
class Step:
    """One proposal of the demo."""

    label: str
    workflow: str
    action: str
    summary: str
    payload: dict[str, Any]
    requested_by: str | None = REQUESTER
    in_thread: str | None = None  # a channel where a person's message starts the thread first


STEPS = [
    Step(
        "small refund for a damaged item → auto-approved, executed at once",
        "refunds",
        "issue_refund",
        "Refund $18.50 for order ORD-10442: the mug arrived cracked (customer sent a photo)",
        {
            "order_id": "ORD-10442",
            "amount": 18.5,
            "currency": "USD",
            "reason": "damaged",
            "customer_email": "ana.silva@customer.test",
        },
    ),
    Step(
        "ordinary refund → one approval from finance",
        "refunds",
        "issue_refund",
        "Refund €120 for order ORD-20331: the customer received the wrong size and has already sent it back",
        {
            "order_id": "ORD-20331",
            "amount": 120,
            "currency": "EUR",
            "reason": "wrong_item",
            "customer_email": "jonas.weber@customer.test",
            "note": "Return tracking 1Z999AA10123456784 shows it delivered to our warehouse on Monday.",
        },
    ),
    Step(
        "refund over $500 → two approvals",
        "refunds",
        "issue_refund",
        "Refund $640 for order ORD-1182: the espresso machine arrived with a cracked water tank",
        BIG_REFUND,
    ),
    Step(
        "the same refund again → flagged as a possible duplicate",
        "refunds",
        "issue_refund",
        "Refund $640 for order ORD-1182: customer wrote again about the cracked espresso machine",
        BIG_REFUND,
    ),
    Step(
        "refund with missing fields → problems listed, Approve hidden until fixed with Edit",
        "refunds",
        "issue_refund",
        "Refund $89.90 for order ORD-20417: the customer says the parcel never arrived",
        {"order_id": "ORD-20417", "amount": 89.9},
    ),
    Step(
        "customer email reply → a support lead signs off, in the customer's thread",
        "support-replies",
        "send_reply",
        "Reply to Ana Silva: her order ORD-3321 shipped late, with tracking and a 10% voucher",
        {
            "to": "ana.silva@customer.test",
            "subject": "Re: Where is my order ORD-3321?",
            "body": "Hi Ana,\n\nSorry for the wait! Your order ORD-3321 left our warehouse yesterday; tracking number "
            "1Z999AA10123456784. As an apology, here is 10% off your next order: SORRY10.\n\nBest,\nRiley",
            "in_reply_to": "<CA+ana-3321@mail.customer.test>",
        },
        in_thread="C0SUPPORT",
    ),
    Step(
        "CRM update in shadow mode → people record what they would decide; nothing is written",
        "crm-updates",
        "upsert_contact",
        "Set Bo Jensen's lifecycle stage to lead (the CRM says customer)",
        {
            "email": "bo.jensen@customer.test",
            "first_name": "Bo",
            "last_name": "Jensen",
            "stage": "lead",
            "current_stage": "customer",
        },
        requested_by=None,
    ),
]
FINAL_EXECUTION = {"succeeded", "failed", "skipped"}


@dataclass
class Entry:
    """What the agent proposed and what it learned since, for the page's agent log."""

    label: str
    workflow: str
    action: str
    proposal: dict[str, Any] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON for the page."""
        p = self.proposal
        return {
            "label": self.label,
            "workflow": self.workflow,
            "action": self.action,
            "error": self.error,
            "events": list(self.events),
            "id": p.get("id"),
            "status": p.get("status"),
            "route": p.get("route"),
            "reason": p.get("reason"),
            "summary": p.get("summary"),
            "problems": len(p.get("problems") or []),
            "duplicate_of": p.get("duplicate_of"),
            "execution": (p.get("execution") or {}).get("status"),
            "decided_by": p.get("decided_by"),
            "decision_reason": p.get("decision_reason"),
            "slack": p.get("slack") or {},
        }

    def done(self) -> bool:
        """Nothing more will happen: decided, and executed (or nothing to execute)."""
        p = self.proposal
        if not p or p.get("status") == "pending":
            return False
        return (p.get("execution") or {}).get("status") in FINAL_EXECUTION | {"none"}


class DemoAgent:
    """Runs STEPS against the service; `post_customer_message(channel, text) -> ts` starts threads in Slack."""

    def __init__(
        self, api_url: str, token: str, workflows: set[str], post_customer_message: Callable[[str, str], str | None]
    ) -> None:
        self.client = Countersign(api_url, token, timeout=10)
        self.workflows = workflows
        self.post_customer_message = post_customer_message
        self.entries: list[Entry] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._watcher = threading.Thread(target=self._watch, name="sandbox-demo-agent", daemon=True)

    def run(self, steps: list[Step] = STEPS) -> None:
        """Propose every step whose workflow exists, then keep watching in the background."""
        for step in steps:
            if step.workflow in self.workflows:
                self._propose(step)
        self._watcher.start()

    def _propose(self, step: Step) -> None:
        entry = Entry(step.label, step.workflow, step.action)
        try:
            thread = None
            if step.in_thread:
                ts = self.post_customer_message(step.in_thread, CUSTOMER_EMAIL)
                thread = {"channel": step.in_thread, "ts": ts} if ts else None
            p = self.client.propose(
                step.workflow, step.action, step.summary, step.payload, requested_by=step.requested_by, thread=thread
            )
            entry.proposal = p.model_dump(mode="json")
            entry.events.append(_headline(p))
        except CountersignError as exc:  # the log shows it; the rest of the demo goes on
            entry.error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self.entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        """The agent log, oldest first."""
        with self._lock:
            return [e.as_dict() for e in self.entries]

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                waiting = [e for e in self.entries if e.proposal and not e.done()]
            for entry in waiting:
                try:
                    fresh = self.client.get(entry.proposal["id"]).model_dump(mode="json")
                except CountersignError:  # the service may be stopping; try again next round
                    continue
                with self._lock:
                    entry.events += _changes(entry.proposal, fresh)
                    entry.proposal = fresh

    def stop(self) -> None:
        """Stop watching and close the client."""
        self._stop.set()
        if self._watcher.is_alive():
            self._watcher.join(5)
        self.client.close()


def _headline(p: Proposal) -> str:
    words = {"auto_approved": "auto-approved by the policy", "pending": "waiting for people", "denied": "denied"}
    text = f"proposed: {words.get(p.status, p.status)} ({p.reason or 'no rule matched'})"
    if p.problems:
        text += f"; {plural(len(p.problems), 'problem')} in the payload"
    if p.duplicate_of:
        text += "; possible duplicate"
    return text


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    if new.get("version") != old.get("version") and new.get("edited"):
        out.append(f"edited by a person (version {new.get('version')})")
    if len(new.get("approvals") or []) > len(old.get("approvals") or []) and new.get("status") == "pending":
        out.append(f"{len(new['approvals'])} of {new.get('required_approvals')} approvals")
    if new.get("status") != old.get("status"):
        reason = f": {new['decision_reason']}" if new.get("decision_reason") else ""
        out.append(f"{new.get('status')} by {new.get('decided_by') or 'someone'}{reason}")
    ex_old, ex_new = old.get("execution") or {}, new.get("execution") or {}
    if ex_new.get("status") != ex_old.get("status") and ex_new.get("status") in FINAL_EXECUTION:
        detail = (
            (ex_new.get("result") or {}).get("summary") if ex_new.get("status") == "succeeded" else ex_new.get("error")
        )
        out.append(f"execution {ex_new['status']}" + (f": {detail}" if detail else ""))
    return out
