"""The CEL engine's guarantees: numbers compare as numbers, failures are rule errors, payloads never leak or crash."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import cel
import pytest

from bot.policy import RuleOutcome, WorkflowPolicy, evaluate, explain_rules, load_policies
from bot.policy import cel as policy_cel
from bot.policy.cel import MAX_DEPTH
from tests.policy.helpers import replaced, write

REPO = Path(__file__).resolve().parents[2]


def _demo(tmp_path: Path, when: str) -> WorkflowPolicy:
    """The demo workflow with rule 2 (auto) replaced by `when`."""
    write(tmp_path, "demo.yaml", replaced('"payload.amount <= 20"', f'"{when}"'))
    return load_policies(tmp_path).workflow("demo")


def _rule2(tmp_path: Path, when: str, payload: Any, **context: Any) -> RuleOutcome:
    wf = _demo(tmp_path, when)
    return explain_rules(wf, wf.action("refund"), payload=payload, context=context)[2]


@pytest.mark.parametrize(
    ("when", "amount"),
    [
        ("payload.amount == 500", 500.0),
        ("payload.amount == 500.0", 500),
        ("payload.amount <= 20", 20.0),
        ("payload.amount < 20.5", 20),
        ("payload.amount >= 19.99", 20),
        ("payload.amount != 7", 7.5),
        ("payload.amount in [1, 2.5, 20]", 20.0),
        ("payload.amount in [1, 2.5, 20]", 2.5),
        ("[payload.amount] == [3]", 3.0),
        ("{'a': payload.amount} == {'a': 3}", 3.0),
        ("payload.amount > 500", 2**63),  # beyond int64: compared as a double
        ("payload.amount > 9223372036854775807", 10**30),
    ],
)
def test_ints_and_doubles_compare_as_numbers(tmp_path: Path, when: str, amount: Any) -> None:
    outcome = _rule2(tmp_path, when, {"amount": amount})
    assert (outcome.matched, outcome.error) == (True, None)


def test_int_and_double_that_differ_do_not_match(tmp_path: Path) -> None:
    outcome = _rule2(tmp_path, "payload.amount == 500", {"amount": 500.5})
    assert (outcome.matched, outcome.error) == (False, None)


def test_arithmetic_still_needs_one_numeric_type(tmp_path: Path) -> None:
    # Comparisons mix int and double; arithmetic does not (CEL has no implicit conversion): write 2.0 or double().
    outcome = _rule2(tmp_path, "payload.amount * 2 > 10", {"amount": 7.5})
    assert (outcome.matched, outcome.error) == (False, "no matching overload for double * int")
    assert _rule2(tmp_path, "payload.amount * 2.0 > 10", {"amount": 7.5}).matched


def test_equality_across_types_is_false_not_an_error(tmp_path: Path) -> None:
    # CEL's heterogeneous equality: a string never equals a number (ordering across them is still an error).
    outcome = _rule2(tmp_path, "payload.amount == 5", {"amount": "5"})
    assert (outcome.matched, outcome.error) == (False, None)
    assert _rule2(tmp_path, "payload.amount != 5", {"amount": "5"}).matched


@pytest.mark.parametrize(
    ("when", "kind"),
    [
        ("payload.amount", "double"),
        ("payload.items", "list"),
        ("payload", "map"),
        ("payload.email", "string"),
        ("duration('1h')", "duration"),
        ("timestamp('2024-01-01T00:00:00Z')", "timestamp"),
    ],
)
def test_non_boolean_results_are_errors(tmp_path: Path, when: str, kind: str) -> None:
    outcome = _rule2(tmp_path, when, {"amount": 1.5, "items": [], "email": "a@b.c"})
    assert (outcome.matched, outcome.error) == (False, f"result is {kind}, not a boolean")


class _Exploding:
    """A compiled program stand-in whose execution raises `error`."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def execute(self, context: object) -> object:
        raise self.error


class PanicException(BaseException):
    """What pyo3 raises for a panic inside the Rust engine (a BaseException, not an Exception)."""


@pytest.mark.parametrize("error", [RuntimeError("boom"), MemoryError(), PanicException("index out of range")])
def test_any_failure_inside_the_engine_is_a_rule_error(tmp_path: Path, error: BaseException) -> None:
    wf = _demo(tmp_path, "payload.amount > 1")
    act = wf.action("refund")
    act.rules[2].condition.program = _Exploding(error)  # type: ignore[assignment]
    decision = evaluate(wf, act, payload={"amount": 5})
    assert decision.route == "approve"
    assert len(decision.errors) == 1
    assert decision.errors[0].startswith("rule 2 (payload.amount > 1): ")


def test_interrupts_are_not_swallowed(tmp_path: Path) -> None:
    wf = _demo(tmp_path, "payload.amount > 1")
    act = wf.action("refund")
    act.rules[2].condition.program = _Exploding(KeyboardInterrupt())  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        evaluate(wf, act, payload={"amount": 5})


SECRET = "customer-secret-value"


@pytest.mark.parametrize(
    ("when", "payload"),
    [
        ("{'lead': 1}[payload.email] > 0", {"email": SECRET}),  # a missing key taken from the payload
        ("payload[payload.email] > 0", {"email": SECRET}),
        ("duration(payload.email) > duration('1h')", {"email": SECRET}),  # the engine dumps the bad argument
        ("timestamp(payload.email) > timestamp('2024-01-01T00:00:00Z')", {"email": SECRET}),
        ("int(payload.email) > 1", {"email": SECRET}),
        ("'x'.matches(payload.email)", {"email": f"[{SECRET}"}),  # an invalid regular expression
        ("payload.amount + 1 > 0", {"amount": 9223372036854775807}),  # overflow messages quote the operands
        ("payload.items[payload.amount] == 1", {"items": [], "amount": 987654321}),
    ],
)
def test_rule_errors_do_not_echo_payload_values(tmp_path: Path, when: str, payload: dict[str, Any]) -> None:
    outcome = _rule2(tmp_path, when, payload)
    assert outcome.error
    assert not outcome.matched
    assert not any(value in outcome.error for value in (SECRET, "987654321", "9223372036854775807"))


def test_keys_the_rule_names_are_kept_in_errors(tmp_path: Path) -> None:
    outcome = _rule2(tmp_path, "payload.customer.vip", {"amount": 5})
    assert outcome.error == "no such member in mapping: 'customer'"


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_up_to_the_limit_is_evaluated(tmp_path: Path) -> None:
    # The payload itself is one level, so MAX_DEPTH - 1 more fit.
    outcome = _rule2(tmp_path, "size(payload.deep) == 1", {"amount": 5, "deep": _nested(MAX_DEPTH - 1)})
    assert (outcome.matched, outcome.error) == (True, None)


def test_nesting_beyond_the_limit_makes_every_rule_an_error(tmp_path: Path) -> None:
    wf = _demo(tmp_path, "payload.amount > 1")
    decision = evaluate(wf, wf.action("refund"), payload={"amount": 5, "deep": _nested(MAX_DEPTH)})
    assert decision.route == "approve"
    assert len(decision.errors) == 3
    message = f"payload cannot be evaluated: it nests too deeply (more than {MAX_DEPTH} levels)"
    assert decision.errors[0].endswith(message)


@pytest.mark.parametrize(
    ("payload", "context", "message"),
    [
        ({"amount": 5, "note": "\ud800"}, {}, "it holds a string that is not valid Unicode (a lone surrogate)"),
        ({"amount": 5, "\udc00": 1}, {}, "it has a key that is not valid Unicode, which CEL cannot represent"),
        ({"amount": 5, "tags": {"a", "b"}}, {}, "it holds a set, which is not a JSON value"),
        ({"amount": 5}, {"summary": "x\ud800"}, "summary is not valid Unicode (it holds a lone surrogate)"),
    ],
)
def test_values_cel_cannot_represent_are_rule_errors(
    tmp_path: Path, payload: Any, context: dict[str, Any], message: str
) -> None:
    wf = _demo(tmp_path, "summary != 'x'")
    decision = evaluate(wf, wf.action("refund"), payload=payload, context=context)
    assert decision.route == "approve"
    assert decision.errors[0] == f"rule 0 (payload.amount <= 0): payload cannot be evaluated: {message}"


def test_context_variables_no_rule_reads_are_not_converted(tmp_path: Path) -> None:
    wf = _demo(tmp_path, "payload.amount < 10")
    decision = evaluate(wf, wf.action("refund"), payload={"amount": 5}, context={"summary": "x\ud800"})
    assert (decision.route, decision.errors) == ("auto", [])


def test_nul_and_unicode_strings_are_evaluated(tmp_path: Path) -> None:
    payload = {"amount": 5, "note": "a\x00b \u202eevil\u202c 日本"}
    outcome = _rule2(tmp_path, "payload.note.contains('\\u0000') && payload.note.endsWith('日本')", payload)
    assert (outcome.matched, outcome.error) == (True, None)


def test_the_activation_is_built_once_per_proposal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wf = _demo(tmp_path, "payload.amount > 1000")
    built: list[object] = []
    real = cel.Context

    def counting(*args: Any) -> Any:
        built.append(args)
        return real(*args)

    monkeypatch.setattr(cel, "Context", counting)
    decision = evaluate(wf, wf.action("refund"), payload={"amount": 100})
    assert decision.rule_index is None  # all three rules ran
    assert len(built) == 1


def test_conditions_survive_copy_and_pickle(tmp_path: Path) -> None:
    wf = _demo(tmp_path, "payload.amount > 1")
    condition = wf.action("refund").rules[2].condition
    for clone in (copy.deepcopy(condition), pickle.loads(pickle.dumps(condition))):
        assert clone == condition
        assert clone.program is not condition.program
        values = policy_cel.activation({"amount": 5}, {})
        assert policy_cel.run(clone, values) == (True, None)


_ISOLATED = textwrap.dedent(
    """
    import sys, threading
    limit = sys.getrecursionlimit()
    from bot.policy import evaluate, load_policies
    wf = load_policies("policies").workflow("refunds")
    act = wf.action("issue_refund")
    value = "bottom"
    for _ in range(150):  # 300 containers: under Python's recursion limit, far over what the thread can convert
        value = {"a": [value]}
    payload = {"order_id": "ORD-1", "amount": 5, "currency": "USD", "reason": "damaged", "deep": value}
    threading.stack_size(128 * 1024)  # musl's default; native code would overflow it on such a payload
    routes = []
    thread = threading.Thread(target=lambda: routes.append(str(evaluate(wf, act, payload=payload).route)))
    thread.start()
    thread.join()
    print(routes, sys.getrecursionlimit() == limit, "celpy" in sys.modules)
    """
)


@pytest.fixture(scope="module")
def isolated_run() -> subprocess.CompletedProcess[str]:
    # A fresh interpreter: a crash there fails a test instead of killing the test run.
    return subprocess.run(
        [sys.executable, "-c", _ISOLATED], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


def test_deep_payload_does_not_crash_a_small_stack_thread(isolated_run: subprocess.CompletedProcess[str]) -> None:
    assert isolated_run.returncode == 0, isolated_run.stderr[-2000:]
    assert isolated_run.stdout.split()[0] == "['approve']"


def test_no_global_side_effects(isolated_run: subprocess.CompletedProcess[str]) -> None:
    # celpy raised the process-wide recursion limit to 2500 as soon as a policy was compiled.
    assert isolated_run.returncode == 0, isolated_run.stderr[-2000:]
    assert isolated_run.stdout.split()[1:] == ["True", "False"]
