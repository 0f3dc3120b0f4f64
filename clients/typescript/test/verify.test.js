// Webhook signatures (the scheme of connectors/verify.py) and decision receipts (Ed25519 over JCS).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import {
  InvalidReceipt,
  InvalidSignature,
  canonicalSha256,
  canonicalize,
  signWebhook,
  verifyReceipt,
  verifyWebhook,
} from "../dist/index.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const python = process.env.COUNTERSIGN_PYTHON ?? join(repo, ".venv", "bin", "python");
const SECRET = "whsec-test";
const BODY = '{"action":"issue_refund","idempotency_key":"p-1","payload":{"amount":12,"order_id":"ORD-1"}}';
const NOW = 1_800_000_000;

/** What the service's own webhook connector (connectors/webhook.py) sends: the reference, not a copy. */
function signedByTheService(timestamp, body) {
  const script =
    "import sys; from connectors.verify import sign; print(sign(sys.argv[1], sys.argv[2], sys.argv[3].encode()))";
  return execFileSync(python, ["-c", script, SECRET, String(timestamp), body], { cwd: repo }).toString().trim();
}

test("a webhook signed by the service verifies, from a Headers object or Node's header record", () => {
  const signature = signedByTheService(NOW, BODY);
  assert.equal(signWebhook(SECRET, NOW, BODY), signature);
  const headers = { "x-countersign-timestamp": String(NOW), "x-countersign-signature": signature };
  verifyWebhook({ secret: SECRET, headers, body: Buffer.from(BODY), now: NOW + 10 });
  verifyWebhook({ secret: SECRET, headers: new Headers(headers), body: BODY, now: NOW });
});

test("a webhook with any change, an old timestamp or a missing header is refused with the reason", () => {
  const signature = signWebhook(SECRET, NOW, BODY);
  const headers = { "X-Countersign-Timestamp": String(NOW), "X-Countersign-Signature": signature };
  const refused = (options, reason) =>
    assert.throws(() => verifyWebhook({ secret: SECRET, headers, body: BODY, now: NOW, ...options }), (error) => {
      assert.ok(error instanceof InvalidSignature);
      assert.equal(error.reason, reason);
      return true;
    });
  refused({ body: BODY.replace("12", "120") }, "signature mismatch");
  refused({ secret: "another" }, "signature mismatch");
  refused({ now: NOW + 301 }, "timestamp is 301 s old, beyond the 300 s tolerance");
  refused({ now: NOW - 400 }, "timestamp is 400 s in the future, beyond the 300 s tolerance");
  refused({ headers: { "X-Countersign-Signature": signature } }, "missing X-Countersign-Timestamp header");
  refused({ headers: { ...headers, "X-Countersign-Signature": "sha256=abc" } }, "X-Countersign-Signature has no v1= signature");
  refused({ headers: { ...headers, "X-Countersign-Timestamp": "soon" } }, 'X-Countersign-Timestamp is not unix seconds: "soon"');
});

test("several signatures are accepted, so a secret can be rotated", () => {
  const headers = {
    "x-countersign-timestamp": String(NOW),
    "x-countersign-signature": `${signWebhook("old", NOW, BODY)}, ${signWebhook(SECRET, NOW, BODY)}`,
  };
  verifyWebhook({ secret: SECRET, headers, body: BODY, now: NOW });
});

// ---- receipts
const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const payload = { order_id: "ORD-9", amount: 40, note: "edited by Alice" };

function receiptFor(body, key = privateKey) {
  const signature = sign(null, Buffer.from(canonicalize(body), "utf8"), key).toString("base64url");
  return { body, signature, key_id: "k1" };
}

const body = {
  proposal_id: "p-9",
  status: "approved",
  decided_by: "U0ALICE",
  payload_sha256: canonicalSha256(payload),
};

test("a receipt signed over the JCS body verifies for the payload it is about, with every key form", () => {
  const receipt = receiptFor(body);
  const raw = publicKey.export({ format: "jwk" }).x; // base64url of the 32 key bytes
  const forms = [
    publicKey,
    publicKey.export({ format: "pem", type: "spki" }).toString(),
    raw,
    Buffer.from(raw, "base64url"),
    publicKey.export({ format: "jwk" }),
    { k0: generateKeyPairSync("ed25519").publicKey, k1: publicKey },
  ];
  for (const key of forms) assert.deepEqual(verifyReceipt(key, receipt, payload), body);
  // JSON text works too, and so does the payload with its members in another order
  assert.deepEqual(verifyReceipt(publicKey, JSON.stringify(receipt), { note: "edited by Alice", amount: 40, order_id: "ORD-9" }), body);
});

test("a receipt is refused for another payload, an altered body, another key, or a broken shape", () => {
  const receipt = receiptFor(body);
  const refused = (key, r, p, reason) =>
    assert.throws(() => verifyReceipt(key, r, p), (error) => {
      assert.ok(error instanceof InvalidReceipt);
      assert.match(error.reason, reason);
      return true;
    });
  refused(publicKey, receipt, { ...payload, amount: 400 }, /^payload differs from the one the receipt is about/);
  refused(publicKey, { ...receipt, body: { ...body, decided_by: "U0MALLORY" } }, payload, /^signature does not match/);
  refused(generateKeyPairSync("ed25519").publicKey, receipt, payload, /^signature does not match/);
  refused({ k0: publicKey }, receipt, payload, /^receipt is signed with key k1; known keys: k0$/);
  refused(publicKey, { ...receipt, signature: "AAAA" }, payload, /^signature is 3 bytes; Ed25519 signatures are 64$/);
  refused(publicKey, { body: { status: "approved" }, signature: receipt.signature }, payload, /no payload_sha256/);
  refused(publicKey, "not json", payload, /^receipt is not JSON/);
  refused(generateKeyPairSync("x25519").publicKey, receipt, payload, /must be an Ed25519 public key, not x25519/);
});
