"""Countersign for agents: propose actions, wait for people to decide in Slack, act on the decision."""

from countersign.calls import Retry
from countersign.client import AsyncCountersign, Countersign
from countersign.decorators import (
    Cancelled,
    Expired,
    Gate,
    NotApproved,
    NotExecuted,
    Rejected,
    TimedOut,
    requires_approval,
)
from countersign.errors import (
    Conflict,
    ConnectionFailed,
    CountersignError,
    Forbidden,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
)
from countersign.models import Approval, Execution, Proposal

__all__ = [
    "Approval",
    "AsyncCountersign",
    "Cancelled",
    "Conflict",
    "ConnectionFailed",
    "Countersign",
    "CountersignError",
    "Execution",
    "Expired",
    "Forbidden",
    "Gate",
    "InvalidRequest",
    "NotApproved",
    "NotExecuted",
    "NotFound",
    "PayloadTooLarge",
    "Proposal",
    "Rejected",
    "Retry",
    "ServerError",
    "ServiceUnavailable",
    "TimedOut",
    "Unauthorized",
    "requires_approval",
]
