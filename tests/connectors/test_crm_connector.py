"""The CRM connector against a HubSpot-shaped fake: mapping, validation, upsert and failures."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bot.fakes.crm import FakeCrm
from bot.targets import TargetRules
from connectors.base import ConnectorContext, ConnectorError
from connectors.crm import CrmConnector

KEY = "6f1c2a9e-4b7d-4e8a-9c3f-2d5b8a7e1f00"
MAPPING = {
    "email": "customer.email",
    "firstname": "customer.name",
    "lifecyclestage": "stage",
    "annualrevenue": "revenue",
    "closedate": "closed_on",
    "vip": "flags.vip",
    "last_sku": "items.0.sku",
}
OPTIONS: dict[str, Any] = {
    "required": ["firstname"],
    "types": {"annualrevenue": "number", "closedate": "date", "vip": "bool"},
    "options": {"lifecyclestage": ["subscriber", "lead", "customer"]},
}
PAYLOAD = {
    "customer": {"email": "carol@example.com", "name": "Carol"},
    "stage": "lead",
    "revenue": 1200.5,
    "closed_on": "2026-10-01T10:00:00+00:00",
    "flags": {"vip": True},
    "items": [{"sku": "SKU-1"}],
}


LOOPBACK = TargetRules.parse("127.0.0.1")  # the fake CRM listens on loopback


def connector(url: str, token: str = "pat-test-token", **options: Any) -> CrmConnector:
    config = CrmConnector.Config.model_validate(
        {"base_url": url, "token_env": "CRM_TOKEN", "mapping": MAPPING, "timeout": 2, **OPTIONS, **options}
    )
    return CrmConnector(config, ConnectorContext(env={"CRM_TOKEN": token} if token else {}, targets=LOOPBACK))


def failure(conn: CrmConnector, payload: dict[str, Any] = PAYLOAD) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        conn.execute("update_contact", payload, KEY)
    return caught.value


def test_creates_the_record_with_mapped_properties(crm: FakeCrm) -> None:
    result = connector(crm.url).execute("update_contact", PAYLOAD, KEY)

    expected = {
        "email": "carol@example.com",
        "firstname": "Carol",
        "lifecyclestage": "lead",
        "annualrevenue": "1200.5",
        "closedate": "2026-10-01",
        "vip": "true",
        "last_sku": "SKU-1",
    }
    assert result.data == {"id": "101", "created": True, "properties": expected}
    assert result.summary == "created contacts record 101"
    [request] = crm.requests
    assert request.path == "/crm/v3/objects/contacts/batch/upsert"
    assert request.headers["authorization"] == "Bearer pat-test-token"
    assert request.body == {
        "inputs": [
            {"idProperty": "email", "id": "carol@example.com", "properties": expected, "objectWriteTraceId": KEY}
        ]
    }


def test_a_second_upsert_updates_and_never_duplicates(crm: FakeCrm) -> None:
    conn = connector(crm.url)
    first = conn.execute("update_contact", PAYLOAD, KEY)
    second = conn.execute("update_contact", {**PAYLOAD, "stage": "customer"}, "another-key")

    assert second.data["id"] == first.data["id"]
    assert second.data["created"] is False
    assert second.summary == f"updated contacts record {first.data['id']}"
    assert len(crm.records["contacts"]) == 1
    stored = httpx.get(
        f"{crm.url}/crm/v3/objects/contacts/carol@example.com?idProperty=email",
        headers={"Authorization": "Bearer pat-test-token"},
    ).json()
    assert stored["id"] == first.data["id"]
    assert stored["properties"]["lifecyclestage"] == "customer"


def test_concurrent_retries_of_one_execution_make_one_record(crm: FakeCrm) -> None:
    conn = connector(crm.url)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: conn.execute("update_contact", PAYLOAD, KEY), range(6)))
    assert len(crm.records["contacts"]) == 1
    assert [r.data["created"] for r in results].count(True) == 1


def test_payload_errors_name_the_exact_field_and_nothing_is_sent(crm: FakeCrm) -> None:
    payload = {
        "customer": {"name": " "},
        "stage": "lead2",
        "revenue": "lots",
        "closed_on": "2026-13-01",
        "flags": {"vip": "yes"},
        "items": [{"sku": {"id": 1}}],
    }
    conn = connector(crm.url)
    expected = [
        ("customer.email", "required by CRM property email, but missing or empty"),
        ("customer.name", "required by CRM property firstname, but missing or empty"),
        ("stage", "CRM property lifecyclestage: 'lead2' is not one of the allowed options: subscriber, lead, customer"),
        ("revenue", "CRM property annualrevenue: expected a number, got 'lots'"),
        ("closed_on", "CRM property closedate: expected a date like 2026-10-01, got '2026-13-01'"),
        ("flags.vip", "CRM property vip: expected true or false, got 'yes'"),
        ("items.0.sku", "CRM property last_sku: expected a single string value, got an object"),
    ]
    assert conn.problems("update_contact", payload) == expected
    error = failure(conn, payload)
    assert not error.retryable
    assert error.details["problems"] == expected
    assert "stage: CRM property lifecyclestage" in error.message
    assert crm.requests == []


def test_absent_optional_fields_are_left_out(crm: FakeCrm) -> None:
    payload = {"customer": {"email": "dan@example.com", "name": "Dan"}, "revenue": ""}
    result = connector(crm.url).execute("update_contact", payload, KEY)
    assert result.data["properties"] == {"email": "dan@example.com", "firstname": "Dan", "annualrevenue": ""}


def test_crm_validation_errors_carry_its_message_and_property_names(crm: FakeCrm) -> None:
    # Without local options, the CRM itself refuses the value.
    error = failure(connector(crm.url, options={}), {**PAYLOAD, "stage": "lead2"})
    assert not error.retryable
    assert error.details["status"] == 400
    assert "Property values were not valid" in error.message
    assert "lead2 was not one of the allowed options" in error.message
    assert "(properties: lifecyclestage)" in error.message


def test_a_rejected_token_is_permanent(crm: FakeCrm) -> None:
    error = failure(connector(crm.url, token="pat-revoked"))
    assert not error.retryable
    assert error.message.startswith("CRM token rejected (401)")


def test_missing_token_variable_is_permanent(crm: FakeCrm) -> None:
    error = failure(connector(crm.url, token=""))
    assert not error.retryable
    assert "CRM_TOKEN" in error.message
    assert crm.requests == []


def test_rate_limit_is_retryable_with_retry_after(crm: FakeCrm) -> None:
    crm.fail_next(429, retry_after=3)
    error = failure(connector(crm.url))
    assert error.retryable
    assert error.details["retry_after"] == 3.0


def test_server_errors_are_retryable_then_the_retry_succeeds(crm: FakeCrm) -> None:
    crm.fail_next(502, count=2)
    conn = connector(crm.url)
    assert failure(conn).retryable
    assert failure(conn).retryable
    assert conn.execute("update_contact", PAYLOAD, KEY).data["created"] is True
    assert len(crm.records["contacts"]) == 1


def test_timeout_is_retryable(crm: FakeCrm) -> None:
    crm.delay(5)
    error = failure(connector(crm.url, timeout=0.3))
    assert error.retryable
    assert "timed out" in error.message


def test_connection_refused_is_retryable(refused_port: int) -> None:
    assert failure(connector(f"http://127.0.0.1:{refused_port}")).retryable


def test_other_object_types_use_their_own_path(crm: FakeCrm) -> None:
    conn = connector(
        crm.url, object="companies", id_property="domain", mapping={"domain": "d"}, required=[], types={}, options={}
    )
    crm.required = {"domain"}
    assert conn.execute("upsert_company", {"d": "example.com"}, KEY).data["created"] is True
    assert crm.requests[0].path == "/crm/v3/objects/companies/batch/upsert"


@pytest.mark.parametrize(
    "changes",
    [
        {"api_key": "x"},
        {"base_url": "crm.example.com"},
        {"id_property": "phone"},
        {"required": ["phone"]},
        {"types": {"email": "uuid"}},
        {"types": {"lifecyclestage": "string"}},
        {"object": "contacts/../deals"},
        {"mapping": {}},
    ],
)
def test_bad_config_is_refused(changes: dict[str, Any]) -> None:
    options = {"base_url": "https://api.hubapi.example", "token_env": "T", "mapping": MAPPING, **OPTIONS, **changes}
    with pytest.raises(ValidationError):
        CrmConnector.Config.model_validate(options)
