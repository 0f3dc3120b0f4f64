"""Synthetic proposals for the digest benchmark, inserted by SQLite itself (INSERT ... SELECT over a recursive CTE).

Values come from cheap integer hashes of the row number, so a run is reproducible and SQLite never evaluates
random() twice for one row. The mix: three workflows (one in shadow mode), auto / approve / deny routes,
approvals with and without edits, rejections with reasons, expiries, cancellations, escalations, handoffs,
execution failures with a handful of distinct errors, and times to decision from one minute to a day.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

FIRST_DAY = "2025-10-01"
SECONDS = 365 * 86400

FILL = """
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :rows - 1),
h AS (
  SELECT n,
         (n * 2654435761) % 1000 AS a,          -- workflow and route
         (n * 40503 + 7) % 997 AS b,             -- decision
         (n * 69069 + 1) % 1009 AS c,            -- edits, escalations, errors
         (n * 1103515245 + 12345) % 86400 AS d   -- time to decision (seconds)
  FROM seq
),
w AS (
  SELECT h.*,
    CASE WHEN a < 500 THEN 'support-replies' WHEN a < 800 THEN 'refunds' ELSE 'crm-updates' END AS wf,
    CASE WHEN a % 10 = 9 AND a < 800 THEN 'handoff' ELSE 'proposal' END AS kind,
    CASE WHEN a % 20 = 0 THEN 'deny' WHEN a % 3 = 0 THEN 'auto' ELSE 'approve' END AS route
  FROM h
),
s AS (
  SELECT w.*,
    CASE WHEN kind = 'handoff' THEN (CASE WHEN b < 900 THEN 'taken' ELSE 'expired' END)
         WHEN route = 'auto' THEN 'auto_approved' WHEN route = 'deny' THEN 'denied'
         WHEN b < 780 THEN 'approved' WHEN b < 900 THEN 'rejected' WHEN b < 960 THEN 'expired'
         WHEN b < 990 THEN 'cancelled' ELSE 'pending' END AS status
  FROM w
)
INSERT INTO proposal (id, kind, agent, workflow, action, summary, payload, original_payload, edited, diff, version,
  problems, request_hash, content_hash, links, route, reason, rule_index, required_approvals, mode, status,
  decided_by, decision_reason, decided_at, decision_seconds, execution_status, execution_attempts, execution_error,
  created_at, escalation_level, escalated_to, escalations, reminders_sent)
SELECT
  printf('%08x-0000-4000-8000-%012x', n, n), kind, 'bench-agent', wf,
  CASE WHEN kind = 'handoff' THEN 'handoff' WHEN wf = 'support-replies' THEN 'send_reply'
       WHEN wf = 'refunds' THEN 'issue_refund' ELSE 'upsert_contact' END,
  'synthetic proposal ' || n, '{}', '{}',
  status = 'approved' AND c < 160, '[]', 1, '[]', printf('%064x', n), printf('%064x', n), '[]', route,
  'synthetic', CASE WHEN route = 'deny' THEN 0 WHEN route = 'auto' THEN (CASE wf WHEN 'refunds' THEN 2 ELSE 1 END)
       WHEN wf = 'refunds' AND a % 7 = 0 THEN 1 ELSE NULL END,
  1, CASE WHEN wf = 'crm-updates' THEN 'shadow' ELSE 'live' END, status,
  CASE WHEN status IN ('approved', 'rejected', 'taken') THEN 'U0HUMAN' END,
  CASE WHEN status = 'rejected' THEN (CASE c % 6 WHEN 0 THEN 'Wrong tone' WHEN 1 THEN 'wrong tone'
       WHEN 2 THEN 'Amount does not match the order' WHEN 3 THEN 'Customer already refunded'
       WHEN 4 THEN 'Not our policy' ELSE 'Duplicate of an earlier request' END) END,
  CASE WHEN status <> 'pending'
       THEN datetime(:first, '+' || (n * :span / :rows + 60 + d) || ' seconds') || '.000000' END,
  CASE WHEN status IN ('approved', 'rejected', 'taken') THEN 60 + d * (c % 5 + 1) / 5
       WHEN status = 'expired' THEN 86400 WHEN status <> 'pending' THEN 0 END,
  CASE WHEN wf = 'crm-updates' AND status IN ('approved', 'auto_approved') THEN 'skipped'
       WHEN status IN ('approved', 'auto_approved') THEN (CASE WHEN c < 25 THEN 'failed' ELSE 'succeeded' END)
       ELSE 'none' END,
  CASE WHEN status IN ('approved', 'auto_approved') THEN 1 + (c < 25) * 4 ELSE 0 END,
  CASE WHEN status IN ('approved', 'auto_approved') AND wf <> 'crm-updates' AND c < 25 THEN
       (CASE c % 4 WHEN 0 THEN 'HTTP 503 from refund service' WHEN 1 THEN 'SMTP 451 try again later'
        WHEN 2 THEN 'timeout after 10s' ELSE 'HTTP 422: order is closed' END) END,
  datetime(:first, '+' || (n * :span / :rows) || ' seconds') || '.000000',
  CASE WHEN route = 'approve' AND c % 10 = 0 THEN 1 WHEN route = 'approve' AND c % 33 = 1 THEN 2 ELSE 0 END,
  '[]',
  CASE WHEN route = 'approve' AND c % 10 = 0 THEN 1 WHEN route = 'approve' AND c % 33 = 1 THEN 2 ELSE 0 END,
  0
FROM s
"""


def fill(engine: Engine, rows: int) -> None:
    """Insert `rows` proposals spread evenly over the 12 months from FIRST_DAY (UTC)."""
    with engine.begin() as conn:
        conn.execute(text(FILL), {"rows": rows, "first": FIRST_DAY, "span": SECONDS})
