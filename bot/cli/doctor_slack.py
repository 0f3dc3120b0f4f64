"""doctor's Slack checks: the token works, has the manifest's scopes, and every channel, group and user exists."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.policy import ApprovalPolicy, PolicySet
from bot.words import plural

if TYPE_CHECKING:
    from bot.cli.doctor import Report

Uses = dict[str, list[str]]


def check_slack(report: Report, settings: Settings, policies: PolicySet | None, manifest: Path) -> None:
    """Run every Slack check that the token and the policies allow."""
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        report.problem(
            f"Slack refused SLACK_BOT_TOKEN: {exc.response.get('error')}",
            "copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page",
        )
        return
    except Exception as exc:  # noqa: BLE001 - DNS, refused connection, TLS: all mean Slack is out of reach from here
        report.problem(
            f"cannot reach Slack at {settings.slack_api_url} ({exc})",
            "check the network (or SLACK_API_URL if you changed it)",
        )
        return
    bot = str(auth.get("user") or "countersign")
    report.ok(f"Slack token works: @{bot} in {auth.get('team')}")
    _scopes(report, auth.headers, manifest)
    if policies is None:
        return
    channels, users, groups = _references(policies)
    for cid, uses in channels.items():
        _channel(report, client, bot, cid, uses)
    for gid, uses in groups.items():
        _group(report, client, gid, uses)
    for uid, uses in users.items():
        _user(report, client, uid, uses)


def _scopes(report: Report, headers: Any, manifest: Path) -> None:
    if not manifest.is_file():
        report.note(f"no {manifest}: the token's scopes were not compared with the app manifest")
        return
    try:
        doc = yaml.safe_load(manifest.read_text()) or {}
        wanted = set(doc["oauth_config"]["scopes"]["bot"])
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        report.problem(f"{manifest} has no readable oauth_config.scopes.bot ({exc})", "restore it from the repository")
        return
    raw = next((v for k, v in dict(headers).items() if k.lower() == "x-oauth-scopes"), "")
    granted = {s.strip() for s in str(raw).split(",") if s.strip()}
    missing = sorted(wanted - granted)
    if missing:
        report.problem(
            f"the token lacks scopes from {manifest}: {', '.join(missing)}",
            "add them under OAuth & Permissions (or update the app from the manifest), then reinstall "
            "the app to the workspace",
        )
    else:
        report.ok(f"the token has every scope {manifest} asks for")


def _references(policies: PolicySet) -> tuple[Uses, Uses, Uses]:
    """Every channel, user and user group the policies name, with where each is used."""
    channels: Uses = defaultdict(list)
    users: Uses = defaultdict(list)
    groups: Uses = defaultdict(list)
    for wf in policies.workflows.values():
        channels[wf.review_channel].append(f"{wf.name} (review channel)")
        users[wf.owner].append(f"{wf.name} (owner)")
        approvals = [(f"{wf.name}/{a.name}", a.approval) for a in wf.actions.values()]
        for where, pol in [*approvals, (f"{wf.name} handoffs", wf.handoff_policy())]:
            _approval_refs(where, pol, channels, users, groups)
    return channels, users, groups


def _approval_refs(where: str, pol: ApprovalPolicy, channels: Uses, users: Uses, groups: Uses) -> None:
    channels[pol.channel].append(where)
    for uid in pol.users:
        users[uid].append(f"{where} (approver)")
    for gid in pol.usergroups:
        groups[gid].append(f"{where} (approvers)")
    for step in pol.escalate:
        (groups if step.mention.startswith("S") else users)[step.mention].append(f"{where} (escalation)")


def _where(uses: list[str]) -> str:
    unique = list(dict.fromkeys(uses))
    return ", ".join(unique[:3]) + (f" and {len(unique) - 3} more" if len(unique) > 3 else "")


def _missing_scope(report: Report, exc: SlackApiError, what: str) -> bool:
    if exc.response.get("error") != "missing_scope":
        return False
    report.note(f"cannot check {what}: the token lacks {exc.response.get('needed')} (doctor needs it for this check)")
    return True


def _channel(report: Report, client: WebClient, bot: str, cid: str, uses: list[str]) -> None:
    try:
        ch = client.conversations_info(channel=cid)["channel"]
    except SlackApiError as exc:
        if not _missing_scope(report, exc, f"channel {cid}"):
            report.problem(
                f"channel {cid} ({_where(uses)}) cannot be seen: {exc.response.get('error')}",
                f"check the id in the policy; if it is private, invite @{bot} to it",
            )
        return
    name = ch.get("name", cid)
    if ch.get("is_archived"):
        report.problem(f"#{name} ({cid}, {_where(uses)}) is archived", "unarchive it or use another channel")
    elif not ch.get("is_member"):
        report.problem(f"@{bot} is not in #{name} ({cid}), used by {_where(uses)}", f"type `/invite @{bot}` in #{name}")
    else:
        report.ok(f"@{bot} is in #{name}")


def _group(report: Report, client: WebClient, gid: str, uses: list[str]) -> None:
    try:
        members = client.usergroups_users_list(usergroup=gid)["users"]
    except SlackApiError as exc:
        if not _missing_scope(report, exc, f"user group {gid}"):
            report.problem(
                f"user group {gid} ({_where(uses)}) cannot be resolved: {exc.response.get('error')}",
                "check the id in the policy (Slack: the group's profile, Copy group ID)",
            )
        return
    if not members:
        report.problem(
            f"user group {gid} ({_where(uses)}) has no members, so nobody from it can decide",
            "add people to the group in Slack, or list approvers by user id",
        )
    else:
        report.ok(f"user group {gid} resolves to {plural(len(members), 'member')}")


def _user(report: Report, client: WebClient, uid: str, uses: list[str]) -> None:
    try:
        user = client.users_info(user=uid)["user"]
    except SlackApiError as exc:
        if not _missing_scope(report, exc, f"user {uid}"):
            report.problem(
                f"user {uid} ({_where(uses)}) cannot be found: {exc.response.get('error')}",
                "check the id in the policy (Slack: the person's profile, Copy member ID)",
            )
        return
    if user.get("deleted"):
        report.problem(
            f"user {uid} ({user.get('name')}, {_where(uses)}) is deactivated",
            "replace them in the policy so their approvals and escalations reach someone",
        )
    else:
        report.ok(f"user {uid} is @{user.get('name')}")
