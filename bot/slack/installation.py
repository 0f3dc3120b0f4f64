"""Only this installation's requests: team, enterprise and app ids of every request must be the expected ones.

A valid signature only proves the request came from Slack for an app with this signing secret; an app installed
in several workspaces or organisations (or a signing secret shared by mistake) would otherwise let a click from
another workspace decide here. The expected ids are the configured ones (SLACK_TEAM_ID, SLACK_ENTERPRISE_ID,
SLACK_APP_ID), else what auth.test said about the bot token (asked once by the app's `authorize`). While auth.test
fails and nothing is configured, a (signed) request goes on unchecked, logged: a Slack blip must not lose a click.
Configure the ids to check every request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from slack_bolt import BoltResponse

from bot.config import Settings

log = structlog.get_logger(__name__)
REFUSED = "This request is not for this Countersign installation."
LEARNT_APP_ID = "countersign_app_id"  # key `authorize` adds to an AuthorizeResult learnt from auth.test


@dataclass(frozen=True)
class Installation:
    """The ids requests must carry; enterprise_id None means a workspace outside any Enterprise Grid org."""

    team_id: str | None
    enterprise_id: str | None
    app_id: str | None


def expected(settings: Settings, context: Any) -> Installation | None:
    """The configured ids, completed from auth.test; None while neither is known."""
    learnt = context.authorize_result
    if learnt is None or LEARNT_APP_ID not in learnt:
        learnt = None
    if settings.slack_team_id or settings.slack_enterprise_id:
        team, enterprise = settings.slack_team_id, settings.slack_enterprise_id
    elif learnt is not None:
        team, enterprise = learnt.team_id, learnt.enterprise_id
    else:
        return None
    app = settings.slack_app_id or (learnt[LEARNT_APP_ID] if learnt is not None else None) or None
    return Installation(team, enterprise, app)


def installation_gate(settings: Settings) -> Callable[..., Any]:
    """Bolt middleware refusing (403, logged) a request whose ids are not this installation's."""

    def gate(body: dict[str, Any], context: Any, next: Callable[[], Any]) -> Any:
        want = expected(settings, context)
        team, enterprise, app = context.team_id, context.enterprise_id, body.get("api_app_id")
        problem = _mismatch(want, team, enterprise, app)
        if want is None:
            log.warning("installation ids unknown (auth.test failed); request not checked", team=team, app=app)
        if problem:
            log.warning("slack request refused: wrong installation", problem=problem, team=team, app=app)
            return BoltResponse(status=403, body=REFUSED)
        return next()

    return gate


def _mismatch(want: Installation | None, team: str | None, enterprise: str | None, app: str | None) -> str | None:
    if want is None:
        return None
    if (want.enterprise_id or None) != (enterprise or None):
        return "enterprise"
    if want.enterprise_id is None and team != want.team_id:  # in an Enterprise Grid org, teams vary by workspace
        return "team"
    if want.app_id and app != want.app_id:
        return "app"
    return None
