/**
 * Typed errors for every error the agent API returns, carrying the server's own message and code.
 * Same names as the Python client's `countersign.errors`.
 */

export type JsonObject = Record<string, unknown>;

export interface ErrorDetails {
  status?: number;
  code?: string;
  body?: JsonObject;
  cause?: unknown;
}

/** Base of every error the client throws; `status`, `code` and `body` come from the server when it answered. */
export class CountersignError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly body: JsonObject;

  constructor(message: string, details: ErrorDetails = {}) {
    const where = details.status ? `${details.status} ${details.code}: ` : "";
    super(`${where}${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status;
    this.code = details.code;
    this.body = details.body ?? {};
  }

  /** The server's message alone, without the status prefix. */
  get detail(): string {
    const text = this.body.error;
    return typeof text === "string" ? text : this.message;
  }
}

/** 401: the token is missing, unknown or revoked. */
export class Unauthorized extends CountersignError {}

/** 403: the token's scopes do not cover this workflow or action. */
export class Forbidden extends CountersignError {}

/** 404: unknown workflow, action, or proposal (other agents' proposals are invisible too). */
export class NotFound extends CountersignError {}

/** 409: the request contradicts stored state (idempotency key reused with other content, already decided). */
export class Conflict extends CountersignError {
  /** The existing proposal the conflict is about, when the server names it. */
  get proposalId(): string | undefined {
    const id = this.body.proposal_id;
    return typeof id === "string" ? id : undefined;
  }
}

/** 413: the body is over the server's COUNTERSIGN_MAX_BODY_BYTES. */
export class PayloadTooLarge extends CountersignError {}

export interface FieldError {
  loc: string[];
  msg: string;
  type?: string;
}

/** 415 or 422: not JSON, or an invalid shape; `errors` lists every field error as {loc, msg}. */
export class InvalidRequest extends CountersignError {
  /** Field errors as the server listed them. */
  get errors(): FieldError[] {
    const errors = this.body.errors;
    return Array.isArray(errors) ? (errors as FieldError[]) : [];
  }
}

/** 503: the service's database is unavailable; try again after `retryAfter` seconds. */
export class ServiceUnavailable extends CountersignError {
  readonly retryAfter: number | undefined;

  constructor(message: string, details: ErrorDetails & { retryAfter?: number } = {}) {
    super(message, details);
    this.retryAfter = details.retryAfter;
  }
}

/** Any other 5xx: the message quotes an incident id the operator can look up. */
export class ServerError extends CountersignError {}

/** The service could not be reached, or the connection dropped before an answer arrived. */
export class ConnectionFailed extends CountersignError {}

const BY_STATUS: Record<number, typeof CountersignError> = {
  401: Unauthorized,
  403: Forbidden,
  404: NotFound,
  409: Conflict,
  413: PayloadTooLarge,
  415: InvalidRequest,
  422: InvalidRequest,
};

/** The typed error for an error response (body `{"error", "code", "errors"?}`). */
export function fromResponse(status: number, body: unknown, headers: Headers): CountersignError {
  const data: JsonObject = isObject(body) ? body : {};
  const message = String(data.error || data.detail || `HTTP ${status}`);
  const code = String(data.code || `HTTP${status}`);
  if (status === 503) {
    return new ServiceUnavailable(message, { status, code, body: data, retryAfter: seconds(headers.get("retry-after")) });
  }
  const Cls = BY_STATUS[status] ?? (status >= 500 ? ServerError : CountersignError);
  return new Cls(message, { status, code, body: data });
}

function seconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && value.trim() !== "" ? n : undefined; // an HTTP-date: fall back to our own backoff
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
