/** Countersign: the agent API as typed methods over global fetch. Mirrors the Python client (countersign.client). */

import { randomUUID } from "node:crypto";

import { ConnectionFailed, CountersignError, ServiceUnavailable, fromResponse, isObject } from "./errors.js";
import type { Link, Proposal } from "./proposal.js";
import { isFinal } from "./proposal.js";
import { VERSION } from "./version.js";

export const DEFAULT_TIMEOUT_SECONDS = 10;
export const DEFAULT_POLL_SECONDS = 30;
/** The server refuses a longer single wait (422). */
export const MAX_LONG_POLL_SECONDS = 120;

/** Bounded exponential backoff for connection errors and 503s. */
export interface Retry {
  retries: number;
  backoffSeconds: number;
  maxBackoffSeconds: number;
}

export const DEFAULT_RETRY: Retry = { retries: 4, backoffSeconds: 0.5, maxBackoffSeconds: 10 };

export interface ClientOptions {
  /** Seconds for each request to answer (a long poll gets its own wait on top). Default 10. */
  timeoutSeconds?: number;
  retry?: Partial<Retry>;
  /** A fetch to use instead of the global one (a proxy agent, instrumentation). */
  fetch?: typeof fetch;
}

export interface ThreadRef {
  channel: string;
  ts: string;
}

export interface ProposeOptions {
  /** One key per logical proposal: a repeat returns the original instead of creating a second. Default: a UUID. */
  idempotencyKey?: string;
  requestedBy?: string;
  /** Post the proposal in this Slack thread. */
  thread?: ThreadRef;
  links?: Link[];
  /** Where the service POSTs the final state (signed like webhooks). */
  callbackUrl?: string;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Stop waiting after this many seconds and return the (still pending) state. Default: no limit. */
  timeoutSeconds?: number;
  /** Seconds of one long poll (at most 120). Default 30. */
  pollSeconds?: number;
  signal?: AbortSignal;
}

export interface CallOptions {
  signal?: AbortSignal;
}

interface Call {
  method: "GET" | "POST";
  path: string;
  json?: unknown;
  query?: Record<string, string>;
  /** Seconds added to the request timeout (the server holds a long poll open that long). */
  longPoll?: number;
  signal?: AbortSignal;
}

/** `new Countersign(url, token).propose(...)`: one client per service and token; safe to share. */
export class Countersign {
  readonly url: string;
  readonly timeoutSeconds: number;
  readonly retry: Retry;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  constructor(url: string, token: string, options: ClientOptions = {}) {
    if (!/^https?:\/\//.test(url)) {
      throw new TypeError(`Countersign url must start with http:// or https://, got ${JSON.stringify(url)}`);
    }
    if (!token) throw new TypeError("Countersign needs an agent token (countersign agents create NAME prints one)");
    this.url = url.replace(/\/+$/, "");
    this.#token = token;
    this.timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Propose an action; retried on connection errors and 503 with the same idempotency key. */
  propose<P = unknown>(
    workflow: string,
    action: string,
    summary: string,
    payload: P,
    options: ProposeOptions = {},
  ): Promise<Proposal<P>> {
    // One key per logical proposal, reused by every retry: a response lost in transit can never create a second.
    const json = {
      ...compact({ workflow, action, summary, payload }),
      payload: payload === undefined ? null : payload,
      ...this.#common(options),
    };
    return this.#retried({ method: "POST", path: "/api/v1/proposals", json, signal: options.signal });
  }

  /** Hand a case to humans (posted with a Take-it button); wait() tells when someone took it. */
  handoff<P = unknown>(
    workflow: string,
    summary: string,
    payload?: P,
    options: ProposeOptions = {},
  ): Promise<Proposal<P>> {
    const json = { ...compact({ workflow, summary, payload }), ...this.#common(options) };
    return this.#retried({ method: "POST", path: "/api/v1/handoffs", json, signal: options.signal });
  }

  /** Current state of one of this agent's proposals. */
  get<P = unknown>(proposalId: string, options: CallOptions = {}): Promise<Proposal<P>> {
    return this.#retried({ method: "GET", path: `/api/v1/proposals/${segment(proposalId)}`, signal: options.signal });
  }

  /**
   * Wait until a final decision, or `timeoutSeconds` (default: no limit); returns the state either way.
   * A dropped connection or a 503 resumes waiting on the same proposal: it never proposes again.
   */
  async wait<P = unknown>(proposalId: string, options: WaitOptions = {}): Promise<Proposal<P>> {
    const poll = options.pollSeconds ?? DEFAULT_POLL_SECONDS;
    const deadline = options.timeoutSeconds === undefined ? undefined : now() + options.timeoutSeconds;
    let failures = 0;
    for (;;) {
      const left = deadline === undefined ? MAX_LONG_POLL_SECONDS : Math.max(0, deadline - now());
      const chunk = Math.round(Math.min(poll, left, MAX_LONG_POLL_SECONDS) * 1000) / 1000;
      let proposal: Proposal<P>;
      try {
        proposal = (await this.#send({
          method: "GET",
          path: `/api/v1/proposals/${segment(proposalId)}/wait`,
          query: { timeout: String(chunk) },
          longPoll: chunk,
          signal: options.signal,
        })) as Proposal<P>;
      } catch (error) {
        if (!transient(error)) throw error;
        failures += 1;
        if (failures > this.retry.retries) throw error;
        await sleep(delay(this.retry, failures - 1, error), options.signal);
        continue;
      }
      failures = 0; // the budget is for consecutive failures: a long wait may survive several outages
      if (isFinal(proposal) || (deadline !== undefined && now() >= deadline)) return proposal;
    }
  }

  /** Withdraw a pending proposal (Conflict once it is decided). Sent once: not safe to repeat blindly. */
  cancel<P = unknown>(proposalId: string, options: CallOptions = {}): Promise<Proposal<P>> {
    return this.#send({
      method: "POST",
      path: `/api/v1/proposals/${segment(proposalId)}/cancel`,
      signal: options.signal,
    }) as Promise<Proposal<P>>;
  }

  /** Report how the agent's own execution went (`connector: callback` actions). Sent once. */
  reportResult<P = unknown>(
    proposalId: string,
    ok: boolean,
    result: unknown = null,
    error?: string,
    options: CallOptions = {},
  ): Promise<Proposal<P>> {
    const json = { ok, result: result === undefined ? null : result, ...(error === undefined ? {} : { error }) };
    return this.#send({
      method: "POST",
      path: `/api/v1/proposals/${segment(proposalId)}/result`,
      json,
      signal: options.signal,
    }) as Promise<Proposal<P>>;
  }

  #common(options: ProposeOptions): Record<string, unknown> {
    return compact({
      idempotency_key: options.idempotencyKey ?? randomUUID(),
      requested_by: options.requestedBy,
      thread: options.thread,
      links: options.links,
      callback_url: options.callbackUrl,
    });
  }

  /** Repeat on connection errors and 503 (only for calls that are safe to repeat: reads, idempotency keys). */
  async #retried<T>(call: Call): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.#send(call)) as T;
      } catch (error) {
        if (!transient(error) || attempt >= this.retry.retries) throw error;
        await sleep(delay(this.retry, attempt, error), call.signal);
      }
    }
  }

  /** One HTTP request: the JSON object of a 2xx answer, or the typed error. */
  async #send(call: Call): Promise<unknown> {
    const query = call.query ? `?${new URLSearchParams(call.query)}` : "";
    const url = `${this.url}${call.path}${query}`;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#token}`,
      "User-Agent": `countersign-typescript/${VERSION}`,
      Accept: "application/json",
    };
    if (call.json !== undefined) headers["Content-Type"] = "application/json";
    const timeout = (this.timeoutSeconds + (call.longPoll ?? 0)) * 1000;
    const { signal, dispose } = withTimeout(call.signal, timeout);
    let status: number;
    let responseHeaders: Headers;
    let text: string;
    try {
      const response = await this.#fetch(url, {
        method: call.method,
        headers,
        body: call.json === undefined ? undefined : JSON.stringify(call.json),
        signal,
        redirect: "error", // an Authorization header must not follow a redirect to another host
      });
      status = response.status;
      responseHeaders = response.headers;
      text = await response.text(); // a connection dropped mid-body fails here, and is a ConnectionFailed too
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      throw new ConnectionFailed(`${call.method} ${this.url}${call.path}: ${describe(error, timeout)}`, {
        cause: error,
      });
    } finally {
      dispose();
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    if (status >= 400) {
      throw fromResponse(status, isObject(data) ? data : { error: text.slice(0, 500) || `HTTP ${status}` }, responseHeaders);
    }
    if (!isObject(data)) {
      throw new CountersignError(
        `unexpected response from ${url}: not a JSON object (is the URL the Countersign service?)`,
        { status },
      );
    }
    return data;
  }
}

function compact(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
}

function segment(proposalId: string): string {
  if (typeof proposalId !== "string" || proposalId === "") {
    throw new TypeError(`proposal id must be a non-empty string, got ${JSON.stringify(proposalId)}`);
  }
  return encodeURIComponent(proposalId);
}

function transient(error: unknown): boolean {
  return error instanceof ConnectionFailed || error instanceof ServiceUnavailable;
}

/** Seconds before attempt `attempt + 1`; a 503's Retry-After wins when it is longer. */
function delay(retry: Retry, attempt: number, error: unknown): number {
  const backoff = Math.min(retry.maxBackoffSeconds, retry.backoffSeconds * 2 ** attempt);
  const hint = error instanceof ServiceUnavailable ? error.retryAfter : undefined;
  return hint ? Math.max(backoff, Math.min(hint, retry.maxBackoffSeconds)) : backoff;
}

function now(): number {
  return performance.now() / 1000;
}

function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, seconds * 1000);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The caller's signal (if any) combined with a timeout; `dispose` clears the timer and the listener. */
function withTimeout(outer: AbortSignal | undefined, ms: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms / 1000} s`, "TimeoutError")), ms);
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return `no answer within ${timeoutMs / 1000} s`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}
