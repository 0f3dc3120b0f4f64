"""The email connector against a real SMTP server: plain, STARTTLS, implicit TLS and failures."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.fakes.smtp import Certificates, FakeSmtp
from connectors.base import ConnectorContext, ConnectorError
from connectors.email import EmailConnector

KEY = "6f1c2a9e-4b7d-4e8a-9c3f-2d5b8a7e1f00"
PAYLOAD = {
    "to": ["carol@example.com", "Dan Doe <dan@example.org>"],
    "cc": "erin@example.net",
    "subject": "Your refund",
    "body": "Hello Carol,\nyour refund is on its way.\n",
    "in_reply_to": "<ticket-42@helpdesk.example.com>",
    "references": ["<ticket-41@helpdesk.example.com>", "<ticket-42@helpdesk.example.com>"],
}


def connector(port: int, env: dict[str, str] | None = None, **options: Any) -> EmailConnector:
    base = {"from": "Support <support@example.com>", "host": "127.0.0.1", "port": port, "timeout": 2}
    config = EmailConnector.Config.model_validate({**base, **options})
    return EmailConnector(config, ConnectorContext(env=env or {}))


def failure(conn: EmailConnector, payload: dict[str, Any] = PAYLOAD) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        conn.execute("send_reply", payload, KEY)
    return caught.value


@pytest.fixture
def smtp() -> Any:
    with FakeSmtp() as fake:
        yield fake


def test_sends_a_threaded_message_with_a_deterministic_message_id(smtp: FakeSmtp) -> None:
    result = connector(smtp.port, reply_to="help@example.com").execute("send_reply", PAYLOAD, KEY)

    [received] = smtp.messages
    message = received.message
    assert received.mail_from == "support@example.com"
    assert received.rcpt_tos == ["carol@example.com", "dan@example.org", "erin@example.net"]
    assert message["Message-ID"] == f"<{KEY}@example.com>"
    assert message["In-Reply-To"] == "<ticket-42@helpdesk.example.com>"
    assert message["References"] == "<ticket-41@helpdesk.example.com> <ticket-42@helpdesk.example.com>"
    assert message["Reply-To"] == "help@example.com"
    assert message["Subject"] == "Your refund"
    assert message["Date"]
    assert message.get_content().replace("\r\n", "\n") == PAYLOAD["body"]  # SMTP sends CRLF line ends
    assert result.summary == "email sent to c***@example.com and 2 more"
    assert result.data == {"message_id": f"<{KEY}@example.com>", "recipients": 3}


def test_a_retry_after_451_sends_the_same_message_id(smtp: FakeSmtp) -> None:
    smtp.deferred.add("carol@example.com")
    payload = {**PAYLOAD, "to": "carol@example.com", "cc": None}
    conn = connector(smtp.port)
    error = failure(conn, payload)
    assert error.retryable
    assert "451" in error.message

    smtp.deferred.clear()
    conn.execute("send_reply", payload, KEY)
    conn.execute("send_reply", payload, KEY)  # a duplicate delivery is recognisable by the receiver
    assert [m.message["Message-ID"] for m in smtp.messages] == [f"<{KEY}@example.com>"] * 2


def test_recipient_refused_with_550_is_permanent_and_masked(smtp: FakeSmtp) -> None:
    smtp.rejected.add("carol@example.com")
    error = failure(connector(smtp.port), {**PAYLOAD, "to": "carol@example.com", "cc": None})
    assert not error.retryable
    assert "550" in error.message
    assert "User unknown" in error.message
    assert "c***@example.com" in error.message
    assert "carol@" not in error.message


def test_partly_refused_recipients_are_reported_not_retried(smtp: FakeSmtp) -> None:
    smtp.rejected.add("dan@example.org")
    result = connector(smtp.port).execute("send_reply", PAYLOAD, KEY)
    assert result.data["recipients"] == 2
    assert list(result.data["refused"]) == ["d***@example.org"]
    assert "dan@" not in str(result.data)
    assert "refused: d***@example.org" in result.summary


def test_a_hang_up_after_acceptance_still_counts_as_sent(smtp: FakeSmtp) -> None:
    smtp.drop_at_quit = True
    result = connector(smtp.port).execute("send_reply", PAYLOAD, KEY)  # failing here would make a retry resend
    assert result.data["recipients"] == 3
    assert len(smtp.messages) == 1


def test_starttls_with_login(certificates: Certificates) -> None:
    with FakeSmtp(tls="starttls", certificates=certificates, login=("bot", "s3cret")) as smtp:
        conn = connector(
            smtp.port,
            {"SMTP_PASSWORD": "s3cret"},
            security="starttls",
            ca_file=certificates.ca_file,
            username="bot",
            password_env="SMTP_PASSWORD",
        )
        conn.execute("send_reply", PAYLOAD, KEY)
    assert len(smtp.messages) == 1


def test_rejected_login_is_permanent(certificates: Certificates) -> None:
    with FakeSmtp(tls="starttls", certificates=certificates, login=("bot", "s3cret")) as smtp:
        conn = connector(
            smtp.port,
            {"SMTP_PASSWORD": "wrong"},
            security="starttls",
            ca_file=certificates.ca_file,
            username="bot",
            password_env="SMTP_PASSWORD",
        )
        error = failure(conn)
    assert not error.retryable
    assert "535" in error.message
    assert smtp.messages == []


def test_implicit_tls(certificates: Certificates) -> None:
    with FakeSmtp(tls="ssl", certificates=certificates) as smtp:
        result = connector(smtp.port, security="ssl", ca_file=certificates.ca_file).execute("send_reply", PAYLOAD, KEY)
    assert result.data["recipients"] == 3
    assert smtp.messages[0].message["Message-ID"] == f"<{KEY}@example.com>"


def test_an_untrusted_certificate_is_permanent(certificates: Certificates) -> None:
    with FakeSmtp(tls="ssl", certificates=certificates) as smtp:
        error = failure(connector(smtp.port, security="ssl"))
    assert not error.retryable
    assert "certificate" in error.message


def test_an_unreadable_ca_file_is_permanent(refused_port: int, tmp_path: Any) -> None:
    error = failure(connector(refused_port, security="starttls", ca_file=str(tmp_path / "missing.pem")))
    assert not error.retryable
    assert "missing.pem" in error.message


def test_plaintext_to_a_server_that_requires_starttls_is_permanent(certificates: Certificates) -> None:
    with FakeSmtp(tls="starttls", certificates=certificates) as smtp:
        error = failure(connector(smtp.port))
    assert not error.retryable
    assert "530" in error.message


def test_starttls_configured_but_not_offered_is_permanent(smtp: FakeSmtp) -> None:
    error = failure(connector(smtp.port, security="starttls"))
    assert not error.retryable
    assert "STARTTLS" in error.message


def test_connection_refused_is_retryable(refused_port: int) -> None:
    error = failure(connector(refused_port))
    assert error.retryable
    assert "unreachable" in error.message


def test_a_server_that_never_greets_times_out(silent_port: int) -> None:
    assert failure(connector(silent_port, timeout=0.3)).retryable


def test_missing_password_variable_is_permanent(refused_port: int) -> None:
    conn = connector(refused_port, security="ssl", username="bot", password_env="SMTP_PASSWORD")
    error = failure(conn)
    assert not error.retryable
    assert "SMTP_PASSWORD" in error.message


def test_problems_name_every_bad_field(smtp: FakeSmtp) -> None:
    payload = {
        "to": "not-an-address",
        "cc": ["ok@example.com", "bad@"],
        "subject": "two\nlines",
        "body": "",
        "in_reply_to": "ticket-42",
    }
    conn = connector(smtp.port)
    assert conn.problems("send_reply", payload) == [
        ("body", "is required"),
        ("to", "'not-an-address' is not a valid email address"),
        ("cc.1", "'bad@' is not a valid email address"),
        ("subject", "must be a single line of text"),
        ("in_reply_to", "must be Message-IDs like <id@host>"),
    ]
    assert conn.problems("send_reply", {})[:3] == [
        ("to", "is required"),
        ("subject", "is required"),
        ("body", "is required"),
    ]
    error = failure(conn, payload)
    assert not error.retryable
    assert "cc.1" in error.message
    assert smtp.messages == []


def test_message_id_stays_header_safe_and_deterministic() -> None:
    conn = connector(25)
    odd = "key with spaces <and> @"
    first = conn.build_message(PAYLOAD, odd)["Message-ID"]
    assert first == conn.build_message(PAYLOAD, odd)["Message-ID"]
    assert first.startswith("<")
    assert first.endswith("@example.com>")
    assert " " not in first


def test_config_accepts_from_alias_or_name() -> None:
    by_alias = EmailConnector.Config.model_validate({"from": "support@example.com"})
    by_name = EmailConnector.Config.model_validate({"from_address": "support@example.com"})
    assert by_alias == by_name
    assert (by_alias.host, by_alias.port, by_alias.security, by_alias.timeout) == ("localhost", 25, "none", 10)


@pytest.mark.parametrize(
    "options",
    [
        {"from": "support@example.com", "smtp_host": "mail"},
        {"from": "support"},
        {"from": "support@example.com", "security": "tls"},
        {"from": "support@example.com", "security": "ssl", "username": "bot"},
        {"from": "support@example.com", "username": "bot", "password_env": "P"},
        {"from": "support@example.com", "port": 0},
        {},
    ],
)
def test_bad_config_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        EmailConnector.Config.model_validate(options)
