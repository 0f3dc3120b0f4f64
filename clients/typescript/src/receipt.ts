/**
 * Verify a Countersign decision receipt: proof, signed by the service's Ed25519 key, that a decision was made
 * about exactly this payload. Wire format:
 *
 *     {"body": {..., "payload_sha256": "<hex SHA-256 of the JCS form of the payload>"},
 *      "signature": "<base64url Ed25519 signature of the JCS form of body>", "key_id": "..."}
 *
 * JCS is RFC 8785 canonical JSON (see jcs.ts); verification uses node:crypto only.
 */

import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";

import { isObject } from "./errors.js";
import { canonicalize } from "./jcs.js";

/** The receipt is malformed, signed by another key, or about another payload; `reason` says which. */
export class InvalidReceipt extends Error {
  readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.name = "InvalidReceipt";
    this.reason = reason;
  }
}

export interface ReceiptBody {
  payload_sha256: string;
  [field: string]: unknown;
}

export interface Receipt {
  body: ReceiptBody;
  signature: string;
  key_id?: string;
}

/**
 * An Ed25519 public key: a KeyObject, a PEM string ("-----BEGIN PUBLIC KEY-----"), the 32 raw key bytes
 * (Uint8Array, or a base64url/base64 string of them), or a JWK {kty: "OKP", crv: "Ed25519", x}.
 */
export type PublicKeyInput = KeyObject | string | Uint8Array | { kty: string; crv: string; x: string };

/** One key, or keys by key_id (to keep verifying receipts across a key rotation). */
export type PublicKeys = PublicKeyInput | Record<string, PublicKeyInput>;

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** SHA-256 (hex) of the JCS form of `value`: what a receipt's payload_sha256 holds. */
export function canonicalSha256(value: unknown): string {
  return createHash("sha256").update(canonicalize(value), "utf8").digest("hex");
}

/**
 * Check `receipt` (object or JSON text) is signed by `publicKey` and is about `payload` (the payload about to
 * run). Returns the receipt's body; throws InvalidReceipt otherwise.
 */
export function verifyReceipt(publicKey: PublicKeys, receipt: Receipt | string, payload: unknown): ReceiptBody {
  const parsed = parse(receipt);
  const key = pickKey(publicKey, parsed.key_id);
  const signature = decodeSignature(parsed.signature);
  let message: string;
  try {
    message = canonicalize(parsed.body);
  } catch (error) {
    throw new InvalidReceipt(`receipt body is not canonical JSON: ${(error as Error).message}`);
  }
  if (!verify(null, Buffer.from(message, "utf8"), key, signature)) {
    throw new InvalidReceipt("signature does not match the receipt body (altered, or signed by another key)");
  }
  let digest: string;
  try {
    digest = canonicalSha256(payload);
  } catch (error) {
    throw new InvalidReceipt(`payload is not JSON: ${(error as Error).message}`);
  }
  if (digest !== parsed.body.payload_sha256.toLowerCase()) {
    throw new InvalidReceipt(
      `payload differs from the one the receipt is about (SHA-256 ${digest}, receipt says ${parsed.body.payload_sha256})`,
    );
  }
  return parsed.body;
}

function parse(receipt: Receipt | string): Receipt {
  let value: unknown = receipt;
  if (typeof receipt === "string") {
    try {
      value = JSON.parse(receipt);
    } catch (error) {
      throw new InvalidReceipt(`receipt is not JSON: ${(error as Error).message}`);
    }
  }
  if (!isObject(value)) throw new InvalidReceipt("receipt must be a JSON object with body, signature and key_id");
  if (!isObject(value.body)) throw new InvalidReceipt("receipt has no body object");
  if (typeof value.signature !== "string" || value.signature === "") {
    throw new InvalidReceipt("receipt has no signature string");
  }
  if (typeof value.body.payload_sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(value.body.payload_sha256)) {
    throw new InvalidReceipt("receipt body has no payload_sha256 (64 hex digits)");
  }
  if (value.key_id !== undefined && typeof value.key_id !== "string") {
    throw new InvalidReceipt("receipt key_id must be a string");
  }
  return value as unknown as Receipt;
}

function decodeSignature(text: string): Buffer {
  if (!/^[A-Za-z0-9_\-+/]+={0,2}$/.test(text)) throw new InvalidReceipt("signature is not base64url");
  const bytes = Buffer.from(text.replace(/\+/g, "-").replace(/\//g, "_"), "base64url");
  if (bytes.length !== 64) throw new InvalidReceipt(`signature is ${bytes.length} bytes; Ed25519 signatures are 64`);
  return bytes;
}

function pickKey(keys: PublicKeys, keyId: string | undefined): KeyObject {
  if (isKeySet(keys)) {
    if (keyId === undefined) throw new InvalidReceipt("receipt has no key_id to choose among the given keys");
    const key = (keys as Record<string, PublicKeyInput>)[keyId];
    if (key === undefined) {
      throw new InvalidReceipt(`receipt is signed with key ${keyId}; known keys: ${Object.keys(keys).join(", ")}`);
    }
    return toKey(key);
  }
  return toKey(keys);
}

function isKeySet(keys: PublicKeys): keys is Record<string, PublicKeyInput> {
  return (
    typeof keys === "object" &&
    !(keys instanceof Uint8Array) &&
    !("asymmetricKeyType" in keys) &&
    !("kty" in keys && typeof keys.kty === "string")
  );
}

function toKey(input: PublicKeyInput): KeyObject {
  let key: KeyObject;
  try {
    if (typeof input === "string" && input.includes("-----BEGIN")) key = createPublicKey(input);
    else if (typeof input === "string" || input instanceof Uint8Array) key = fromRaw(input);
    else if ("kty" in input) key = createPublicKey({ key: input, format: "jwk" });
    else key = input;
  } catch (error) {
    if (error instanceof InvalidReceipt) throw error;
    throw new InvalidReceipt(`public key is not usable: ${(error as Error).message}`);
  }
  if (key.type !== "public" || key.asymmetricKeyType !== "ed25519") {
    throw new InvalidReceipt(`public key must be an Ed25519 public key, not ${key.asymmetricKeyType ?? key.type}`);
  }
  return key;
}

function fromRaw(input: string | Uint8Array): KeyObject {
  const raw = typeof input === "string" ? Buffer.from(input.replace(/\+/g, "-").replace(/\//g, "_"), "base64url") : input;
  if (raw.length !== 32) throw new InvalidReceipt(`raw public key is ${raw.length} bytes; Ed25519 keys are 32`);
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
}
