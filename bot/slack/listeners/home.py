"""App Home: the same "waiting for you" list, published when the person opens the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.flow import lookup
from bot.flow.context import Services
from bot.slack.errors import ack_only, guarded
from bot.slack.lists import home_view


def register(app: App, svc: Services) -> None:
    """app_home_opened (Home tab only) -> views.publish."""

    def publish(body: dict[str, Any], client: WebClient) -> None:
        event = body["event"]
        if event.get("tab", "home") != "home":
            return
        views = lookup.waiting_for(svc, user=event["user"])
        client.views_publish(user_id=event["user"], view=home_view(views, svc.settings.zone).to_dict())

    app.event("app_home_opened")(ack=ack_only, lazy=[guarded(svc, publish)])
