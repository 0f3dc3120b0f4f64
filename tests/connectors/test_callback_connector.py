"""The callback connector and the registration of every built-in connector."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors.base import Connector, ConnectorContext, ConnectorError
from connectors.callback import CallbackConnector
from connectors.registry import available, build, parse_config


def test_every_builtin_is_registered_and_follows_the_contract() -> None:
    classes = available()
    assert {"webhook", "callback", "email", "slack_reply", "crm"} <= set(classes)
    for name in ("webhook", "callback", "email", "slack_reply", "crm"):
        assert classes[name].name == name
        assert isinstance(classes[name].executes_remotely, bool)


def test_callback_executes_remotely_and_refuses_to_execute() -> None:
    connector = build("callback", parse_config("callback", {}), ConnectorContext(env={}))
    assert isinstance(connector, Connector)
    assert CallbackConnector.executes_remotely is True
    with pytest.raises(ConnectorError) as caught:
        connector.execute("send_reply", {"to": "a@example.com"}, "prop-123")
    assert not caught.value.retryable
    assert "/api/v1/proposals/{id}/result" in caught.value.message
    assert "prop-123" in caught.value.message


def test_callback_takes_no_options() -> None:
    with pytest.raises(ValidationError):
        CallbackConnector.Config.model_validate({"url": "https://example.com"})
