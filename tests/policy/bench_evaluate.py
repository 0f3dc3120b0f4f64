"""Microseconds per `evaluate()` on the shipped policies (a script, not a test: no timing is asserted anywhere).

Run: .venv/bin/python -m tests.policy.bench_evaluate [--rounds 2000]
"""

from __future__ import annotations

import argparse
import inspect
import time
from typing import Any

from bot.policy import evaluate, load_policies
from bot.policy.cel import activation, run
from tests.policy.helpers import SHIPPED

# (workflow, action, payload, what it exercises); each payload makes every rule of its action run.
CASES: list[tuple[str, str, Any, str]] = [
    (
        "refunds",
        "issue_refund",
        {"order_id": "ORD-1", "amount": 19.99, "currency": "USD", "reason": "damaged"},
        "3 rules, auto",
    ),
    (
        "refunds",
        "issue_refund",
        {"order_id": "ORD-2", "amount": 120, "currency": "USD", "reason": "late"},
        "3 rules, no match",
    ),
    (
        "support-replies",
        "send_reply",
        {"to": "qa@example.com", "subject": "Re: order", "body": "Hello " * 200},
        "2 regex rules",
    ),
    (
        "crm-updates",
        "upsert_contact",
        {"email": "ana@client.test", "stage": "lead", "first_name": "Ana", "last_name": "Lima"},
        "3 rules, map lookups",
    ),
]
CONTEXT = {"requested_by": "U0ALICE", "agent": "bench-agent", "summary": "a proposal"}


def _per_call(func: Any, rounds: int) -> float:
    func()  # warm up
    best = float("inf")
    for _ in range(5):  # best of five batches: the least disturbed by the rest of the machine
        start = time.perf_counter()
        for _ in range(rounds):
            func()
        best = min(best, (time.perf_counter() - start) / rounds)
    return best * 1e6


def main() -> None:
    """Print µs per evaluate() (activation + rules), per activation, and per single rule."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    policies = load_policies(SHIPPED)
    print(f"{'case':<38} {'evaluate':>10} {'activation':>11} {'per rule':>10}")
    for workflow_name, action_name, payload, label in CASES:
        wf = policies.workflow(workflow_name)
        act = wf.action(action_name)
        whole = _per_call(lambda: evaluate(wf, act, payload=payload, context=CONTEXT), rounds)  # noqa: B023
        variables = {**CONTEXT, "workflow": wf.name, "action": act.name}
        args: tuple[Any, ...] = (payload, variables)
        if len(inspect.signature(activation).parameters) > 2:  # converts only the variables the rules read
            args += ({name for rule in act.rules for name in rule.condition.names},)
        setup = _per_call(lambda: activation(*args), rounds)  # noqa: B023
        values = activation(*args)
        rule = sum(_per_call(lambda r=r, v=values: run(r.condition, v), rounds) for r in act.rules)
        rule /= len(act.rules)
        print(f"{workflow_name + ' (' + label + ')':<38} {whole:>8.1f}µs {setup:>9.1f}µs {rule:>8.1f}µs")


if __name__ == "__main__":
    main()
