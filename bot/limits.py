"""Every length limit on what the API, the CLI and policy files accept, defined once.

The API models, the CLI, the policy loader and the column definitions (bot/store/models.py, migrations) all use
these numbers, so a value accepted at the edge always fits its column on PostgreSQL as on SQLite (which does not
enforce VARCHAR lengths at all). docs/storage-limits.md lists them.
"""

from __future__ import annotations

AGENT_NAME = 100
WORKFLOW_NAME = 100  # policy `workflow:` names and the `workflow` of a request
ACTION_NAME = 100  # policy action names and the `action` of a request
IDEMPOTENCY_KEY = 200
REQUESTED_BY = 100
CALLBACK_URL = 2000  # after normalisation (a bare host gains a trailing "/")
SUMMARY = 20_000
LINK_TITLE = 200
LINKS = 10
RESULT_ERROR = 10_000
# Who decided: a Slack user id, "policy", "countersign" or "agent:<agent name>".
DECIDER = len("agent:") + AGENT_NAME
