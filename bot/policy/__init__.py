"""Policies: YAML files -> validated models; CEL rules -> a route for each proposal."""

from bot.policy.approval import ApprovalPolicy, Approvers, EscalationStep
from bot.policy.cel import Condition
from bot.policy.checks import Directory
from bot.policy.durations import format_duration, parse_duration
from bot.policy.issues import PolicyFileError, PolicyIssue
from bot.policy.loader import load_policies, policy_files
from bot.policy.models import ActionPolicy, ConnectorRef, PolicySet, Rule, SuccessCriterion, WorkflowPolicy
from bot.policy.payload import Problem, validate_payload
from bot.policy.routing import NO_MATCH, RouteDecision, RuleOutcome, evaluate, explain_rules

__all__ = [
    "NO_MATCH",
    "ActionPolicy",
    "ApprovalPolicy",
    "Approvers",
    "Condition",
    "ConnectorRef",
    "Directory",
    "EscalationStep",
    "PolicyFileError",
    "PolicyIssue",
    "PolicySet",
    "Problem",
    "RouteDecision",
    "Rule",
    "RuleOutcome",
    "SuccessCriterion",
    "WorkflowPolicy",
    "evaluate",
    "explain_rules",
    "format_duration",
    "load_policies",
    "parse_duration",
    "policy_files",
    "validate_payload",
]
