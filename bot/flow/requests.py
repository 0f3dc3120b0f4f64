"""What an agent sends: validated shapes for proposals and handoffs."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from bot import limits

SLACK_TS = r"^\d{6,12}\.\d{1,9}$"
SLACK_CHANNEL = r"^[CGD][A-Z0-9]{2,30}$"


def _unicode(value: str) -> str:
    # JSON text may escape lone surrogates ("\ud800"): no database, hash or JSON encoder can take them.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates such as \\ud800)") from None
    return value


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it here keeps both databases equivalent.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return _unicode(value)


Text = Annotated[str, AfterValidator(_no_nul)]
# Surrounding whitespace is dropped, so a summary of only spaces or newlines is as empty as "" (and refused).
Summary = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=limits.SUMMARY), AfterValidator(_no_nul)
]

# Optional fields carry their length inside the type: a Field(max_length) on `Text | None` reports "items".
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=limits.IDEMPOTENCY_KEY), AfterValidator(_no_nul)
]
RequestedBy = Annotated[str, StringConstraints(min_length=1, max_length=limits.REQUESTED_BY), AfterValidator(_no_nul)]
ErrorText = Annotated[str, StringConstraints(max_length=limits.RESULT_ERROR), AfterValidator(_no_nul)]


def storable(value: Any) -> Any:
    """`value` itself, or ValueError if no database could store it as JSON (NaN, infinities, lone surrogates)."""
    # Python's JSON parser turns 1e400 into inf and accepts NaN/Infinity; neither is JSON, PostgreSQL refuses them,
    # and echoing them back would break the agent's own JSON parser. Lone surrogates cannot be stored either.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("numbers must be finite (no NaN, Infinity or values beyond ±1.8e308)")
        if isinstance(item, str):
            _unicode(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return value


Json = Annotated[JsonValue, AfterValidator(storable)]


def _fits_column(url: AnyHttpUrl) -> AnyHttpUrl:
    # Checked after normalisation, since the normalised text is what is stored (pydantic's own cap is 2083).
    if len(str(url)) > limits.CALLBACK_URL:
        raise ValueError(f"URL should have at most {limits.CALLBACK_URL} characters, not {len(str(url))}")
    return url


CallbackUrl = Annotated[AnyHttpUrl, AfterValidator(_fits_column)]


class ThreadRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(pattern=SLACK_CHANNEL)
    ts: str = Field(pattern=SLACK_TS)


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text = Field(min_length=1, max_length=limits.LINK_TITLE)
    url: AnyHttpUrl


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workflow: Text = Field(min_length=1, max_length=limits.WORKFLOW_NAME)
    summary: Summary
    idempotency_key: IdempotencyKey | None = None
    requested_by: RequestedBy | None = None
    thread: ThreadRef | None = None
    links: list[Link] = Field(default_factory=list, max_length=limits.LINKS)
    callback_url: CallbackUrl | None = None


class ProposalRequest(_Common):
    """POST /api/v1/proposals. `payload` may be any JSON: schema problems are flagged, not refused."""

    action: Text = Field(min_length=1, max_length=limits.ACTION_NAME)
    payload: Json


class HandoffRequest(_Common):
    """POST /api/v1/handoffs: a case the agent cannot handle, for a human to take."""

    payload: Json = None


class ResultReport(BaseModel):
    """POST /api/v1/proposals/{id}/result: the agent's own execution outcome (callback connectors)."""

    model_config = ConfigDict(extra="forbid")
    ok: bool
    result: Json = None
    error: ErrorText | None = None


def request_dump(req: BaseModel) -> dict[str, Any]:
    """JSON-ready dict of a request (for hashing and storage)."""
    return req.model_dump(mode="json")
