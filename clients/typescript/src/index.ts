/** @countersign/client: propose actions to Countersign, wait for people's decisions, verify webhooks and receipts. */

export {
  Countersign,
  DEFAULT_POLL_SECONDS,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_SECONDS,
  MAX_LONG_POLL_SECONDS,
} from "./client.js";
export type { CallOptions, ClientOptions, ProposeOptions, Retry, ThreadRef, WaitOptions } from "./client.js";
export {
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
} from "./errors.js";
export type { ErrorDetails, FieldError } from "./errors.js";
export {
  Cancelled,
  Expired,
  NotApproved,
  NotExecuted,
  Rejected,
  TimedOut,
  awaitsResult,
  ensureApproved,
  explain,
  isApproved,
  isFinal,
  isRefused,
  refusalReason,
} from "./proposal.js";
export type {
  Approval,
  CallbackDelivery,
  Execution,
  Link,
  Problem,
  Proposal,
  ProposalStatus,
  SlackRef,
} from "./proposal.js";
export { canonicalize } from "./jcs.js";
export { InvalidReceipt, canonicalSha256, verifyReceipt } from "./receipt.js";
export type { PublicKeyInput, PublicKeys, Receipt, ReceiptBody } from "./receipt.js";
export {
  IDEMPOTENCY_HEADER,
  InvalidSignature,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signWebhook,
  verifyWebhook,
} from "./webhook.js";
export type { HeaderSource, VerifyWebhookOptions } from "./webhook.js";
export { VERSION } from "./version.js";
