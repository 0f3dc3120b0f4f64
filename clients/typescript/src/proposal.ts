/**
 * The proposal as the agent API returns it (field names as on the wire), and what a decision means for the code
 * that asked: run it, or one error per way of not running it. Mirrors countersign.models and countersign.outcomes.
 */

import { CountersignError } from "./errors.js";

export type ProposalStatus =
  | "pending"
  | "approved"
  | "auto_approved"
  | "rejected"
  | "denied"
  | "expired"
  | "cancelled"
  | "taken";

export interface Approval {
  user: string;
  at: string;
}

export interface Execution {
  /** none | queued | running | succeeded | failed | skipped */
  status: string;
  attempts: number;
  result: unknown;
  error: string | null;
  finished_at: string | null;
}

export interface SlackRef {
  channel: string | null;
  ts: string | null;
  permalink: string | null;
}

export interface Problem {
  path: string;
  message: string;
}

export interface CallbackDelivery {
  event: string;
  /** pending (being retried) | done | dead (gave up; see last_error) */
  state: string;
  attempts: number;
  last_error: string | null;
}

export interface Link {
  title: string;
  url: string;
}

/** One proposal (or handoff) and its decision, payload, approvals and execution. Unknown fields are kept. */
export interface Proposal<P = unknown> {
  id: string;
  kind: "proposal" | "handoff" | string;
  workflow: string;
  action: string;
  status: ProposalStatus | string;
  route: string;
  reason: string;
  summary: string;
  /** The payload that runs: the proposed one, or what a person edited it to. */
  payload: P;
  original_payload: P;
  edited: boolean;
  diff: Record<string, unknown>[];
  problems: Problem[];
  required_approvals: number;
  approvals: Approval[];
  decided_by: string | null;
  decision_reason: string | null;
  execution: Execution;
  /** live | shadow */
  mode: string;
  created_at: string | null;
  decided_at: string | null;
  expires_at: string | null;
  slack: SlackRef;
  requested_by: string | null;
  idempotency_key: string | null;
  duplicate_of: string | null;
  version: number;
  escalation_level: number;
  links: Link[];
  callbacks: CallbackDelivery[];
  [field: string]: unknown;
}

const APPROVED = new Set(["approved", "auto_approved"]);
const REFUSED = new Set(["rejected", "denied"]);

/** True once decided (any status but pending). */
export function isFinal(p: Proposal): boolean {
  return p.status !== "pending";
}

/** True when approved by people or automatically by policy. */
export function isApproved(p: Proposal): boolean {
  return APPROVED.has(p.status);
}

/** True when a person rejected it or the policy denied it (never for an expiry). */
export function isRefused(p: Proposal): boolean {
  return REFUSED.has(p.status);
}

/** True when the agent itself executes (`connector: callback`) and should call reportResult. */
export function awaitsResult(p: Proposal): boolean {
  return isApproved(p) && p.mode === "live" && p.execution?.status === "skipped";
}

/** Why it was refused: the rejecter's words, else the policy's reason. */
export function refusalReason(p: Proposal): string {
  return p.decision_reason || p.reason || p.status;
}

/** Base of every outcome where the guarded code does not run; `proposal` is the final (or pending) state. */
export class NotApproved extends CountersignError {
  readonly proposal: Proposal;

  constructor(message: string, proposal: Proposal) {
    super(message);
    this.proposal = proposal;
  }

  /** The proposal's id (to look it up, or to keep waiting after TimedOut). */
  get proposalId(): string {
    return this.proposal.id;
  }
}

/** A person rejected the action (`reason` is theirs), or the policy denied it (`reason` is the rule's). */
export class Rejected extends NotApproved {
  readonly reason: string;

  constructor(reason: string, proposal: Proposal) {
    const who =
      proposal.status === "denied" ? "denied by policy" : `rejected by ${proposal.decided_by || "a person"}`;
    super(`${proposal.workflow}/${proposal.action} was ${who}: ${reason}`, proposal);
    this.reason = reason;
  }
}

/** Nobody decided in time. Not a "no": the action may be proposed again later. */
export class Expired extends NotApproved {
  constructor(proposal: Proposal) {
    super(
      `${proposal.workflow}/${proposal.action} expired without a decision ` +
        `(${proposal.decision_reason || "no decision in time"})`,
      proposal,
    );
  }
}

/** The proposal was withdrawn (by this agent, through cancel()). */
export class Cancelled extends NotApproved {
  constructor(proposal: Proposal) {
    super(`${proposal.workflow}/${proposal.action} was cancelled`, proposal);
  }
}

/** The wait ended while the proposal was still pending; it stays pending (wait(proposalId) resumes). */
export class TimedOut extends NotApproved {
  constructor(proposal: Proposal) {
    super(
      `${proposal.workflow}/${proposal.action} is still pending (proposal ${proposal.id}); it was not executed`,
      proposal,
    );
  }
}

/** Approved but not to be executed here: the workflow is in shadow mode (or the status is unknown). */
export class NotExecuted extends NotApproved {}

/** Return the proposal if the guarded code may run now, else throw the error that says why not. */
export function ensureApproved<P>(p: Proposal<P>): Proposal<P> {
  if (isApproved(p)) {
    if (p.mode === "shadow") {
      // Shadow mode measures agreement without acting: running the function would defeat it.
      throw new NotExecuted(`${p.workflow} is in shadow mode: approved, but nothing is executed`, p);
    }
    return p;
  }
  if (isRefused(p)) throw new Rejected(refusalReason(p), p);
  if (p.status === "expired") throw new Expired(p);
  if (p.status === "cancelled") throw new Cancelled(p);
  if (p.status === "pending") throw new TimedOut(p);
  throw new NotExecuted(`${p.workflow}/${p.action} ended as "${p.status}": not executed`, p);
}

/**
 * One sentence for a model or a person about where the proposal stands (used by the AI SDK adapter);
 * `pending` replaces the advice for a proposal still waiting (what the caller can do about it).
 */
export function explain(p: Proposal, options: { pending?: string } = {}): string {
  try {
    ensureApproved(p);
  } catch (error) {
    if (!(error instanceof NotApproved)) throw error;
    let advice = "";
    if (error instanceof Rejected) {
      advice = " Do not retry it unchanged; tell the user why, or propose something different.";
    } else if (error instanceof Expired) {
      advice = " Nobody decided in time; you may propose it again later.";
    } else if (error instanceof TimedOut) {
      advice = ` ${options.pending ?? `Check again later with proposal id ${p.id}.`}`;
    }
    return `Not executed: ${error.message.replace(/\.$/, "")}.${advice}`;
  }
  const edited = p.edited ? " (a person edited the arguments)" : "";
  return `Approved${edited} by ${p.decided_by || "policy"}.`;
}
