"""`countersign policy check|explain|test`: validate policy files, explain a routing, run example cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from bot.cli.helptext import Command, Group
from bot.errors import NotFound
from bot.policy import PolicyFileError, PolicySet, evaluate, explain_rules, load_policies, validate_payload
from bot.policy.cases import case_files, orphan_case_files, run_cases
from bot.policy.routing import RouteDecision, RuleOutcome
from bot.words import plural

app = typer.Typer(
    cls=Group,
    help="Check, explain and test policy files.\n\nExample: [bold]countersign policy check --policies ./policies[/]",
    no_args_is_help=True,
)

# soft_wrap: "file:line: field: message" lines must stay whole for editors and grep.
console = Console(soft_wrap=True, highlight=False)
err_console = Console(stderr=True, soft_wrap=True, highlight=False)

PoliciesDir = Annotated[
    Path,
    typer.Option("--policies", "-p", envvar="COUNTERSIGN_POLICIES", help="Directory of policy files (*.yaml)."),
]
ROUTE_STYLE = {"auto": "green", "approve": "yellow", "deny": "red"}


def _fail(message: str, code: int) -> NoReturn:
    err_console.print(Text.assemble(("error: ", "bold red"), message))
    raise typer.Exit(code)


def _load(policies: Path) -> PolicySet:
    """The policy set, or every issue printed and exit 1."""
    try:
        return load_policies(policies)
    except PolicyFileError as exc:
        _print_issues(exc)
        raise typer.Exit(1) from None


def _print_issues(exc: PolicyFileError) -> None:
    for issue in exc.issues:
        console.print(Text(str(issue)))
    files = len({issue.file for issue in exc.issues})
    console.print(Text(f"{plural(len(exc.issues), 'issue')} in {plural(files, 'file')}", style="bold red"))


@app.command("check", cls=Command)
def check(policies: PoliciesDir = Path("policies")) -> None:
    """Validate every policy file; print each problem as file:line: field: message.

    Exits 1 when any problem is found, 0 when every workflow is valid.

    Example: countersign policy check --policies ./policies
    """
    loaded = _load(policies)
    names = ", ".join(sorted(loaded.workflows))
    console.print(Text(f"{len(loaded.workflows)} workflows OK: {names}", style="green"))


@app.command("explain", cls=Command)
def explain(
    proposal: Annotated[Path, typer.Argument(help="JSON proposal: workflow, action, payload, summary, requested_by.")],
    policies: PoliciesDir = Path("policies"),
) -> None:
    """Show how a proposal would be routed: each rule's result, the route, its reason and schema problems.

    Example: countersign policy explain refund.json, where refund.json holds
    {"workflow": "refunds", "action": "issue_refund",
    "payload": {"order_id": "ORD-1234", "amount": 750, "currency": "USD", "reason": "damaged"}}
    """
    body = _read_proposal(proposal)
    loaded = _load(policies)
    try:
        workflow = loaded.workflow(body["workflow"])
    except NotFound as exc:
        _fail(f"{exc.message} (known: {', '.join(sorted(loaded.workflows))})", 2)
    try:
        action = workflow.action(body["action"])
    except NotFound as exc:
        _fail(f"{exc.message} (known: {', '.join(workflow.actions)})", 2)
    context = {key: body.get(key) for key in ("requested_by", "agent", "summary")}
    payload = body["payload"]
    outcomes = explain_rules(workflow, action, payload=payload, context=context)
    decision = evaluate(workflow, action, payload=payload, context=context)
    header = Text.assemble("Workflow ", (workflow.name, "bold"), f" ({workflow.mode}), action ", (action.name, "bold"))
    console.print(header)
    _print_rules(outcomes)
    _print_decision(decision, validate_payload(action, payload))


def _read_proposal(path: Path) -> dict[str, Any]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {path}: {exc}", 2)
    except json.JSONDecodeError as exc:
        _fail(f"{path} is not valid JSON: {exc}", 2)
    if not isinstance(body, dict):
        _fail(f"{path} must hold a JSON object with workflow, action and payload", 2)
    missing = [key for key in ("workflow", "action", "payload") if key not in body]
    if missing:
        _fail(f"{path} is missing {', '.join(missing)}", 2)
    if not isinstance(body["workflow"], str) or not isinstance(body["action"], str):
        _fail(f"{path}: workflow and action must be strings", 2)
    return body


def _print_rules(outcomes: list[RuleOutcome]) -> None:
    if not outcomes:
        console.print("No rules: every proposal needs approval.")
        return
    console.print("Rules (first match wins):")
    first = next((o.index for o in outcomes if o.matched), None)
    for outcome in outcomes:
        console.print(
            Text.assemble(
                f"  {outcome.index}. ",
                (" ".join(outcome.rule.when.split()), "cyan"),
                f" -> {outcome.rule.route}: ",
                _status(outcome, first),
            )
        )


def _status(outcome: RuleOutcome, first: int | None) -> Text:
    if outcome.error:
        text = Text(f"error: {outcome.error}", style="red")
    elif outcome.matched:
        text = Text("matched", style="bold green")
    else:
        text = Text("not matched", style="dim")
    if first is not None and outcome.index > first:
        return Text.assemble(("not reached", "dim"), " (", text, ")")
    return text


def _print_decision(decision: RouteDecision, problems: list[Any]) -> None:
    console.print(Text.assemble("Route: ", (decision.route, f"bold {ROUTE_STYLE[decision.route]}")))
    console.print(Text(f"Reason: {decision.reason}"))
    console.print(Text(f"Required approvals: {decision.required_approvals}"))
    if not problems:
        console.print("Schema problems: none")
        return
    console.print(Text(f"Schema problems ({len(problems)}):", style="yellow"))
    for problem in problems:
        console.print(Text(f"  {problem.path or '(payload)'}: {problem.message}"))


@app.command("test", cls=Command)
def run_tests(policies: PoliciesDir = Path("policies")) -> None:
    """Run the example cases written beside each policy (<stem>.tests.yaml); exit 1 if any fails.

    Each case gives an action and a payload and expects a route (optionally: rule index, approvals, problems).

    Example: countersign policy test --policies ./policies
    """
    loaded = _load(policies)
    passed = failed = 0
    for path in orphan_case_files(policies, loaded):
        failed += 1
        console.print(Text.assemble(("FAIL ", "bold red"), f"{path}: no policy file {path.name.split('.')[0]}.yaml"))
    for workflow, path in case_files(loaded):
        results, issues = run_cases(workflow, path)
        for issue in issues:
            failed += 1
            console.print(Text.assemble(("FAIL ", "bold red"), str(issue)))
        for result in results:
            where = f"{result.file}:{result.line}" if result.line else result.file
            if result.passed:
                passed += 1
                console.print(Text.assemble(("PASS ", "green"), f"{where} {result.name}"))
                continue
            failed += 1
            console.print(Text.assemble(("FAIL ", "bold red"), f"{where} {result.name}"))
            for failure in result.failures:
                console.print(Text(f"     {failure}"))
    if passed + failed == 0:
        console.print("No example cases found (write <policy>.tests.yaml beside a policy).")
    console.print(Text(f"{passed} passed, {failed} failed", style="bold red" if failed else "bold green"))
    if failed:
        raise typer.Exit(1)
