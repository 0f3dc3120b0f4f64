/**
 * Vercel AI SDK adapter: a tool whose every call is approved in Countersign before it runs.
 *
 * The wrapped execute proposes the tool call's input, waits for people, runs the original execute with the
 * approved (maybe edited) input, and otherwise returns a result the model can read (rejected with the reason,
 * expired, still pending) instead of throwing, so the model can tell the user what happened rather than retrying
 * blindly. Mirrors the Python client's OpenAI Agents adapter.
 */

import type { Tool, ToolExecutionOptions } from "ai";

import type { Countersign } from "./client.js";
import type { Proposal } from "./proposal.js";
import { awaitsResult, ensureApproved, explain, NotApproved } from "./proposal.js";

// Calling the tool again would propose the action a second time, so the model is told to stop and say so instead.
export const STILL_PENDING = "Tell the user it is waiting for a person's approval; do not call this tool again for it.";

/** What the model receives instead of the tool's output when the call was not approved. */
export interface NotApprovedResult {
  executed: false;
  /** rejected | denied | expired | cancelled | pending (the wait ended first) | approved (shadow mode) */
  status: string;
  proposalId: string;
  /** One sentence for the model: what happened and what to do about it. */
  message: string;
}

export interface ApprovalOptions<INPUT> {
  workflow: string;
  action: string;
  /** The line people read in Slack: text, or made from the input. Default: the tool's description. */
  summary?: string | ((input: INPUT) => string);
  /** Stop waiting after this many seconds; the model is told it is still pending. Default: wait until decided. */
  timeoutSeconds?: number;
  pollSeconds?: number;
  requestedBy?: string;
  callbackUrl?: string;
  /** Key per tool call (default: a fresh UUID per call). */
  idempotencyKey?: (input: INPUT, options: ToolExecutionOptions) => string;
  /** Where a failed result report is logged (the action already ran, so it is not thrown). Default: console.error. */
  onReportError?: (error: unknown, proposal: Proposal) => void;
}

/**
 * `requireApproval(client, tool({...}), {workflow, action})`: the same tool, but each call is approved in
 * Countersign first and runs with the input people approved. Not approved: the tool's result is a
 * NotApprovedResult (never a thrown error).
 */
export function requireApproval<INPUT, OUTPUT>(
  client: Countersign,
  tool: Tool<INPUT, OUTPUT>,
  options: ApprovalOptions<INPUT>,
): Tool<INPUT, OUTPUT | NotApprovedResult> {
  const original = tool.execute;
  if (typeof original !== "function") {
    throw new TypeError(
      `requireApproval(${options.workflow}/${options.action}): the tool has no execute function to guard`,
    );
  }
  const report = async (p: Proposal, ok: boolean, result: unknown, error?: string) => {
    if (!awaitsResult(p)) return;
    try {
      await client.reportResult(p.id, ok, ok ? (result ?? null) : null, error);
    } catch (failure) {
      // Not thrown: the action already happened, and an error would invite the model to do it a second time.
      (options.onReportError ?? defaultReportError)(failure, p);
    }
  };
  const execute = async (input: INPUT, callOptions: ToolExecutionOptions): Promise<OUTPUT | NotApprovedResult> => {
    const signal = callOptions?.abortSignal;
    const proposed = await client.propose(options.workflow, options.action, describe(tool, options, input), input, {
      idempotencyKey: options.idempotencyKey?.(input, callOptions),
      requestedBy: options.requestedBy,
      callbackUrl: options.callbackUrl,
      signal,
    });
    const p = isPending(proposed)
      ? await client.wait<INPUT>(proposed.id, {
          timeoutSeconds: options.timeoutSeconds,
          pollSeconds: options.pollSeconds,
          signal,
        })
      : proposed;
    try {
      ensureApproved(p);
    } catch (error) {
      if (!(error instanceof NotApproved)) throw error;
      return { executed: false, status: p.status, proposalId: p.id, message: explain(p, { pending: STILL_PENDING }) };
    }
    let result: OUTPUT;
    try {
      result = await lastOf(original.call(tool, p.payload, callOptions));
    } catch (error) {
      await report(p, false, null, failureText(error));
      throw error; // the AI SDK turns it into a tool error the model sees
    }
    await report(p, true, result);
    return result;
  };
  return { ...tool, execute } as Tool<INPUT, OUTPUT | NotApprovedResult>;
}

function isPending(p: Proposal): boolean {
  return p.status === "pending";
}

function describe<INPUT>(tool: { description?: string }, options: ApprovalOptions<INPUT>, input: INPUT): string {
  if (typeof options.summary === "function") return String(options.summary(input));
  if (options.summary) return options.summary;
  const first = tool.description?.split("\n")[0]?.trim();
  return first || `${options.action.replace(/_/g, " ")} (${options.workflow}/${options.action})`;
}

/** A streaming tool's last value is its result; anything else is awaited. */
async function lastOf<OUTPUT>(value: OUTPUT | PromiseLike<OUTPUT> | AsyncIterable<OUTPUT>): Promise<OUTPUT> {
  if (value !== null && typeof value === "object" && Symbol.asyncIterator in value) {
    let last: OUTPUT | undefined;
    for await (const item of value as AsyncIterable<OUTPUT>) last = item;
    return last as OUTPUT;
  }
  return await value;
}

function failureText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 10_000); // the service keeps up to 10,000 characters
}

function defaultReportError(error: unknown, p: Proposal): void {
  console.error(`countersign: could not report the result of proposal ${p.id}; it stays "skipped" until reported`, error);
}
