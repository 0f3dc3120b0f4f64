/**
 * Verify Countersign webhook (and callback) signatures in your own service. Same scheme as connectors/verify.py:
 *
 *     Idempotency-Key: <proposal id>          same value on every retry of one execution
 *     X-Countersign-Timestamp: <unix seconds>
 *     X-Countersign-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>
 *
 * Pass the raw body bytes exactly as received, not re-serialized JSON.
 */

import { createHmac, timingSafeEqual } from "node:crypto";

export const TIMESTAMP_HEADER = "X-Countersign-Timestamp";
export const SIGNATURE_HEADER = "X-Countersign-Signature";
export const IDEMPOTENCY_HEADER = "Idempotency-Key";
const VERSION = "v1";

/** The request was not signed by Countersign with this secret, or is too old to trust. */
export class InvalidSignature extends Error {
  readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.name = "InvalidSignature";
    this.reason = reason;
  }
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;
export type Bytes = string | Uint8Array;

export interface VerifyWebhookOptions {
  secret: string | Uint8Array;
  headers: HeaderSource;
  /** The raw body: a Buffer/Uint8Array, or a string (encoded as UTF-8). */
  body: Bytes;
  /** Unix seconds to judge the timestamp against (default: now). */
  now?: number;
  /** Seconds a signature stays valid either side of its timestamp (default 300). */
  tolerance?: number;
}

/** The X-Countersign-Signature value for `body` sent at `timestamp`. */
export function signWebhook(secret: string | Uint8Array, timestamp: number | string, body: Bytes): string {
  const mac = createHmac("sha256", secret);
  mac.update(`${VERSION}:${timestamp}:`);
  mac.update(body);
  return `${VERSION}=${mac.digest("hex")}`;
}

/**
 * Throw InvalidSignature unless `body` is signed with `secret` within `tolerance` seconds of `now`.
 *
 * A captured request stays valid for `tolerance` seconds either side of its timestamp, and Countersign's own
 * retries re-sign with a fresh timestamp: the same action can arrive more than once, so dedupe on the
 * Idempotency-Key header, identical on every delivery of one execution.
 */
export function verifyWebhook(options: VerifyWebhookOptions): void {
  const { secret, body } = options;
  const tolerance = options.tolerance ?? 300;
  const timestamp = header(options.headers, TIMESTAMP_HEADER);
  const signature = header(options.headers, SIGNATURE_HEADER);
  if (!timestamp) throw new InvalidSignature(`missing ${TIMESTAMP_HEADER} header`);
  if (!signature) throw new InvalidSignature(`missing ${SIGNATURE_HEADER} header`);
  if (!/^[0-9]+$/.test(timestamp)) {
    throw new InvalidSignature(`${TIMESTAMP_HEADER} is not unix seconds: ${JSON.stringify(timestamp.slice(0, 40))}`);
  }
  const age = (options.now ?? Date.now() / 1000) - Number(timestamp);
  if (age > tolerance) {
    throw new InvalidSignature(`timestamp is ${Math.trunc(age)} s old, beyond the ${tolerance} s tolerance`);
  }
  if (age < -tolerance) {
    throw new InvalidSignature(`timestamp is ${Math.trunc(-age)} s in the future, beyond the ${tolerance} s tolerance`);
  }
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  // Several comma-separated signatures are accepted so a sender can rotate secrets without downtime.
  const candidates = signature.split(",").map((part) => part.trim());
  if (!candidates.some((c) => c.startsWith(`${VERSION}=`))) {
    throw new InvalidSignature(`${SIGNATURE_HEADER} has no ${VERSION}= signature`);
  }
  const matches = candidates.some((c) => {
    const given = Buffer.from(c);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new InvalidSignature("signature mismatch");
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value.join(",") : value;
  }
  return undefined;
}
