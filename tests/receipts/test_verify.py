"""verify_receipt: the receiver's side, on receipts signed the way the service signs them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.receipts.canonical import canonical_json as library_canonical
from bot.receipts.canonical import payload_sha256
from bot.receipts.keys import ServiceKey
from connectors.verify import InvalidReceipt, canonical_json, encode_receipt_header, verify_receipt

PAYLOAD = {"to": "a@example.com", "amount": 50, "memo": "März"}


def _receipt(key: ServiceKey, payload: Any = PAYLOAD, decision: str = "approved") -> dict[str, Any]:
    body = {
        "format": "countersign-receipt/1",
        "proposal_id": "p-1",
        "decision": decision,
        "version": 2,
        "payload_sha256": payload_sha256(payload),
        "deciders": ["U0ALICE"],
    }
    return key.sign(body)


@pytest.fixture
def key() -> ServiceKey:
    return ServiceKey(Ed25519PrivateKey.generate())


def test_a_receipt_verifies_in_every_form_it_travels(key: ServiceKey) -> None:
    receipt = _receipt(key)
    public = key.describe()
    for form in (receipt, json.dumps(receipt), encode_receipt_header(receipt)):
        for k in (public["public_key"], public["public_key_pem"]):
            assert verify_receipt(k, form, PAYLOAD)["proposal_id"] == "p-1"
    assert len(receipt["key_id"]) == 16
    assert "=" not in receipt["signature"]


def test_a_payload_one_byte_different_is_refused(key: ServiceKey) -> None:
    receipt = _receipt(key)
    raw = json.dumps(PAYLOAD).encode()
    changed = json.loads(raw.replace(b"50", b"51"))
    with pytest.raises(InvalidReceipt, match="payload mismatch"):
        verify_receipt(key.describe()["public_key"], receipt, changed)
    with pytest.raises(InvalidReceipt, match="payload mismatch"):
        verify_receipt(key.describe()["public_key"], receipt, {**PAYLOAD, "memo": "Marz"})


def test_key_order_and_spacing_do_not_matter_but_values_do(key: ServiceKey) -> None:
    receipt = _receipt(key)
    reordered = json.loads('{ "memo" : "M\\u00e4rz", "amount": 50.0, "to": "a@example.com" }')
    assert verify_receipt(key.describe()["public_key"], receipt, reordered)


def test_a_tampered_body_is_refused(key: ServiceKey) -> None:
    receipt = _receipt(key)
    receipt["body"]["deciders"] = ["U0MALLORY"]
    with pytest.raises(InvalidReceipt, match="signature mismatch"):
        verify_receipt(key.describe()["public_key"], receipt, PAYLOAD)


def test_a_tampered_signature_is_refused(key: ServiceKey) -> None:
    receipt = _receipt(key)
    raw = bytearray(base64.urlsafe_b64decode(receipt["signature"] + "=="))
    raw[0] ^= 1
    receipt["signature"] = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(InvalidReceipt, match="signature mismatch"):
        verify_receipt(key.describe()["public_key"], receipt, PAYLOAD)


def test_another_key_is_named_in_the_error(key: ServiceKey) -> None:
    other = ServiceKey(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidReceipt, match=f"signed with key {key.key_id}, not with the given key {other.key_id}"):
        verify_receipt(other.describe()["public_key"], _receipt(key), PAYLOAD)


def test_a_rejected_decision_is_not_an_authorisation(key: ServiceKey) -> None:
    receipt = _receipt(key, decision="rejected")
    with pytest.raises(InvalidReceipt, match="the decision was 'rejected', not approved or auto_approved"):
        verify_receipt(key.describe()["public_key"], receipt, PAYLOAD)
    assert verify_receipt(key.describe()["public_key"], receipt, PAYLOAD, decisions=None)["decision"] == "rejected"


@pytest.mark.parametrize(
    ("receipt", "message"),
    [
        ("not base64!", "neither JSON nor base64url JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"signature": "x", "key_id": "y"}', "no body object"),
        ('{"body": {}, "key_id": "y"}', "needs a signature and a key_id"),
    ],
)
def test_malformed_receipts_say_what_is_wrong(key: ServiceKey, receipt: str, message: str) -> None:
    with pytest.raises(InvalidReceipt, match=message):
        verify_receipt(key.describe()["public_key"], receipt, PAYLOAD)


def test_a_bad_public_key_says_so() -> None:
    with pytest.raises(InvalidReceipt, match="32 bytes, this one is 3"):
        verify_receipt("AAAA", {}, PAYLOAD)


def test_rfc8785_example_object() -> None:
    # The sample from RFC 8785 section 3.2.2, and its canonical form from section 3.2.3.
    sample = json.loads(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(sample).decode() == expected
    assert library_canonical(sample).decode() == expected


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_the_copyable_verifier_canonicalises_exactly_like_the_library(value: Any) -> None:
    try:
        expected = library_canonical(value)
    except UnicodeEncodeError:  # lone surrogates: neither side accepts them
        with pytest.raises(UnicodeEncodeError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected
