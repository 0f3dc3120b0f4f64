"""No SSRF oracle: callback URLs and webhook targets on loopback, private, link-local or metadata addresses are
refused unless COUNTERSIGN_ALLOWED_TARGETS allows them, after name resolution, and failures tell agents a status
and a fixed reason, never what the target said or how the socket failed."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from structlog.testing import capture_logs

from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.fakes.webhook_receiver import Reply, WebhookReceiver
from bot.flow import decide, intake
from bot.flow.agents import authenticate, hash_token
from bot.flow.context import Services
from bot.flow.public import ProposalPublic, load_public
from bot.flow.requests import ProposalRequest
from bot.store.db import session_scope
from bot.targets import TargetRefused, TargetRules
from connectors.base import ConnectorContext, ConnectorError
from connectors.webhook import WebhookConnector
from tests.factories import WEBHOOK_SECRET, add_agent, make_services, proposal, sweep, write_policies

BLOCKED = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "fd00:ec2::254",  # AWS metadata over IPv6 (fc00::/7)
    "fe80::1",
    "0.0.0.0",
    "0.1.2.3",
    "::ffff:127.0.0.1",  # IPv4-mapped IPv6
    "::ffff:169.254.169.254",
    "::",
    "100.64.0.1",  # shared address space (carrier NAT)
    "224.0.0.1",
]


@pytest.mark.parametrize("address", BLOCKED)
def test_non_public_addresses_are_refused_by_default(address: str) -> None:
    with pytest.raises(TargetRefused):
        TargetRules().address_for(address, 80)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111"])
def test_public_addresses_are_reached(address: str) -> None:
    assert TargetRules().address_for(address, 443) == address


def test_a_name_is_checked_by_what_it_resolves_to() -> None:
    resolves = {"hooks.example.com": ["10.0.0.7"], "mixed.example.com": ["10.0.0.7", "93.184.215.14"]}
    rules = replace(TargetRules(), resolver=lambda host, port: resolves[host])
    with pytest.raises(TargetRefused):
        rules.address_for("hooks.example.com", 443)
    assert rules.address_for("mixed.example.com", 443) == "93.184.215.14"  # the checked one is dialled


def test_allowed_targets_take_cidrs_addresses_and_host_names() -> None:
    rules = TargetRules.parse("10.0.0.0/8, 127.0.0.1 ,hooks.internal")
    rules = replace(rules, resolver=lambda host, port: {"hooks.internal": ["192.168.4.4"]}[host])
    assert rules.address_for("10.9.9.9", 80) == "10.9.9.9"
    assert ipaddress.ip_address(rules.address_for("::ffff:127.0.0.1", 80)).ipv4_mapped == ipaddress.ip_address(
        "127.0.0.1"
    )
    assert rules.address_for("hooks.internal", 80) == "192.168.4.4"  # the operator named it
    with pytest.raises(TargetRefused):
        rules.address_for("127.0.0.2", 80)
    assert not rules.allows(ipaddress.ip_address("169.254.169.254"))


def test_a_bad_allowed_targets_entry_is_a_clear_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNTERSIGN_ALLOWED_TARGETS", "10.0.0.0/8,not a host")
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value) == (
        "COUNTERSIGN_ALLOWED_TARGETS: 'not a host' is neither an address, a CIDR (10.0.0.0/8) nor a host name"
    )
    monkeypatch.setenv("COUNTERSIGN_ALLOWED_TARGETS", "127.0.0.1")
    assert Settings(_env_file=None).targets == TargetRules.parse("127.0.0.1")


def _webhook(url: str, targets: TargetRules) -> WebhookConnector:
    config = WebhookConnector.Config.model_validate({"url": url, "secret_env": "S", "timeout": 2})
    return WebhookConnector(config, ConnectorContext(env={"S": WEBHOOK_SECRET}, targets=targets))


def _failure(conn: WebhookConnector) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        conn.execute("refund", {"order": "A-1"}, "key-1")
    return caught.value


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_webhook_on_loopback_is_refused_before_connecting(receiver: WebhookReceiver, host: str) -> None:
    url = receiver.url.replace("127.0.0.1", host)
    error = _failure(_webhook(url, TargetRules()))
    assert not error.retryable
    assert error.message.startswith(f"webhook {host}:{urlsplit(url).port} is not an allowed target")
    assert receiver.deliveries == []


def test_webhook_connects_to_the_checked_address_and_keeps_the_host_name(receiver: WebhookReceiver) -> None:
    """The name is resolved once, by the check; the connection goes to that address (DNS rebinding cannot move
    it), and the receiver still sees the name in Host. hooks.test resolves nowhere but through the check."""
    port = urlsplit(receiver.url).port
    rules = replace(TargetRules.parse("127.0.0.1"), resolver=lambda host, _: {"hooks.test": ["127.0.0.1"]}[host])
    result = _webhook(f"http://hooks.test:{port}/hook", rules).execute("refund", {"order": "A-1"}, "key-1")
    assert "200" in result.summary
    [delivery] = receiver.deliveries
    assert delivery.headers["host"] == f"hooks.test:{port}"


def test_webhook_failure_reports_the_status_not_the_body(receiver: WebhookReceiver) -> None:
    receiver.script(Reply(500, b"Traceback: db password is hunter2"))
    with capture_logs() as logs:
        error = _failure(_webhook(receiver.url, TargetRules.parse("127.0.0.1")))
    assert error.retryable
    assert "hunter2" not in error.message
    assert error.message.endswith("answered 500: Internal Server Error")
    assert [(e["log_level"], e["body"]) for e in logs if "body" in e] == [
        ("warning", "Traceback: db password is hunter2")
    ]


def test_connection_errors_have_a_fixed_reason(silent_port: int, refused_port: int) -> None:
    loopback = TargetRules.parse("127.0.0.1")
    refused = _failure(_webhook(f"http://127.0.0.1:{refused_port}/hook", loopback))
    assert refused.message == f"webhook 127.0.0.1:{refused_port} unreachable (no answer)"
    config = WebhookConnector.Config.model_validate(
        {"url": f"http://127.0.0.1:{silent_port}/hook", "secret_env": "S", "timeout": 0.3}
    )
    silent = WebhookConnector(config, ConnectorContext(env={"S": "x"}, targets=loopback))
    assert _failure(silent).message == f"webhook 127.0.0.1:{silent_port} timed out"


# Callbacks: the agent chooses the URL, so this is where an oracle would be.


def _services(tmp_path: Path, clock: FakeClock, allowed: str) -> Services:
    return make_services(
        f"sqlite:///{tmp_path}/db.sqlite", write_policies(tmp_path / "p"), clock=clock, allowed_targets=allowed
    )


def _decided_with_callback(svc: Services, hook: WebhookReceiver, token: str) -> ProposalPublic:
    agent = authenticate(svc, f"Bearer {token}")
    req = ProposalRequest.model_validate(proposal(callback_url=hook.url))
    p = intake.submit(svc, agent=agent, req=req)[0]
    decide.reject(svc, proposal_id=p.id, user="U0BOB", reason="duplicate invoice")
    sweep(svc)
    with session_scope(svc.engine) as s:
        return load_public(s, p.id)


def test_callback_to_loopback_is_refused_by_default(tmp_path: Path, clock: FakeClock) -> None:
    svc = _services(tmp_path, clock, allowed="")
    token = add_agent(svc, "cb-agent")
    with WebhookReceiver(hash_token(token)) as hook:
        view = _decided_with_callback(svc, hook, token)
        assert hook.deliveries == []
    [callback] = view.callbacks
    assert (callback.state, callback.attempts) == ("dead", 1)
    assert callback.last_error == (
        "callback_url is not an allowed target: it resolves to a loopback, private, link-local or metadata "
        "address (an operator can allow it with COUNTERSIGN_ALLOWED_TARGETS)"
    )


def test_callback_failure_tells_the_agent_the_status_only(tmp_path: Path, clock: FakeClock) -> None:
    svc = _services(tmp_path, clock, allowed="127.0.0.1")
    token = add_agent(svc, "cb-agent")
    with WebhookReceiver(hash_token(token)) as hook, capture_logs() as logs:
        hook.script(Reply(404, b"<html>admin console v1.2 at 10.0.0.5</html>"))
        view = _decided_with_callback(svc, hook, token)
    [callback] = view.callbacks
    assert (callback.state, callback.last_error) == ("dead", "callback answered 404 Not Found")
    [detail] = [e for e in logs if e["event"] == "callback answered an error"]  # the operator's log has it
    assert (detail["log_level"], detail["body"]) == ("warning", "<html>admin console v1.2 at 10.0.0.5</html>")


def test_callback_socket_errors_are_not_repeated_to_the_agent(
    tmp_path: Path, clock: FakeClock, refused_port: int
) -> None:
    svc = _services(tmp_path, clock, allowed="127.0.0.1")
    token = add_agent(svc, "cb-agent")
    agent = authenticate(svc, f"Bearer {token}")
    req = ProposalRequest.model_validate(proposal(callback_url=f"http://127.0.0.1:{refused_port}/cb"))
    p = intake.submit(svc, agent=agent, req=req)[0]
    decide.reject(svc, proposal_id=p.id, user="U0BOB", reason="duplicate invoice")
    sweep(svc)
    with session_scope(svc.engine) as s:
        [callback] = load_public(s, p.id).callbacks
    assert (callback.state, callback.last_error) == ("pending", "callback could not be delivered (no answer)")
