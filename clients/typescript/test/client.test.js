// The client against the real service: proposals, decisions by people in (fake) Slack, errors, dropped connections.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  Conflict,
  ConnectionFailed,
  Countersign,
  InvalidRequest,
  NotFound,
  Rejected,
  TimedOut,
  Unauthorized,
  awaitsResult,
  ensureApproved,
  explain,
  isApproved,
} from "../dist/index.js";
import { Person, startProxy, startService } from "./helpers.js";

const FAST = { retries: 50, backoffSeconds: 0.01, maxBackoffSeconds: 0.1 }; // quick, but outlasts a blip
let service, cs, alice;

before(async () => {
  service = await startService();
  cs = new Countersign(service.api, service.token, { retry: FAST });
  alice = new Person(service.page, "U0ALICE", cs);
});
after(async () => service?.stop());

const refund = (amount, order = "ORD-1") => ({ order_id: order, amount });

describe("propose and decide", () => {
  test("a small refund is auto-approved by the policy and awaits the agent's result", async () => {
    const p = await cs.propose("orders", "issue_refund", "Refund 50 cents", refund(0.5));
    assert.equal(p.status, "auto_approved");
    assert.equal(p.route, "auto");
    assert.deepEqual(p.payload, refund(0.5));
    assert.ok(awaitsResult(p));
    const reported = await cs.reportResult(p.id, true, { refund_id: "R-1" });
    assert.equal(reported.execution.status, "succeeded");
    assert.deepEqual(reported.execution.result, { refund_id: "R-1" });
  });

  test("a person's approval in Slack ends the wait with the approved state", async () => {
    const p = await cs.propose("orders", "issue_refund", "Refund order 2", refund(12, "ORD-2"));
    assert.equal(p.status, "pending");
    const waiting = cs.wait(p.id, { pollSeconds: 1 });
    await alice.approve(p);
    const decided = await waiting;
    assert.equal(decided.status, "approved");
    assert.equal(decided.decided_by, "U0ALICE");
    assert.ok(isApproved(decided));
    assert.equal(explain(decided), "Approved by U0ALICE.");
  });

  test("an edited proposal runs with what the person approved", async () => {
    const p = await cs.propose("orders", "issue_refund", "Refund order 3", refund(80, "ORD-3"));
    await alice.editAndApprove(p, { amount: 40 });
    const decided = await cs.wait(p.id, { pollSeconds: 1 });
    assert.equal(decided.status, "approved");
    assert.ok(decided.edited);
    assert.deepEqual(decided.payload, refund(40, "ORD-3"));
    assert.deepEqual(decided.original_payload, refund(80, "ORD-3"));
  });

  test("a rejection carries the person's reason to the agent", async () => {
    const p = await cs.propose("orders", "issue_refund", "Refund order 4", refund(15, "ORD-4"));
    await alice.reject(p, "already refunded last week");
    const decided = await cs.wait(p.id, { pollSeconds: 1 });
    assert.equal(decided.status, "rejected");
    assert.throws(() => ensureApproved(decided), (error) => {
      assert.ok(error instanceof Rejected);
      assert.equal(error.reason, "already refunded last week");
      assert.equal(error.message, "orders/issue_refund was rejected by U0ALICE: already refunded last week");
      return true;
    });
  });

  test("the policy's deny rule refuses at once, with the rule's reason", async () => {
    const p = await cs.propose("orders", "issue_refund", "Refund nothing", refund(-5));
    assert.equal(p.status, "denied");
    assert.throws(() => ensureApproved(p), { name: "Rejected", reason: "refund amount must be positive" });
  });

  test("the same idempotency key returns the original proposal instead of a second one", async () => {
    const key = `order-5-${Date.now()}`;
    const first = await cs.propose("orders", "issue_refund", "Refund order 5", refund(9, "ORD-5"), { idempotencyKey: key });
    const again = await cs.propose("orders", "issue_refund", "Refund order 5", refund(9, "ORD-5"), { idempotencyKey: key });
    assert.equal(again.id, first.id);
    assert.equal(again.idempotency_key, key);
    await assert.rejects(
      cs.propose("orders", "issue_refund", "Refund order 5", refund(900, "ORD-5"), { idempotencyKey: key }),
      (error) => error instanceof Conflict && error.status === 409,
    );
  });

  test("get, a bounded wait that ends pending, and cancel", async () => {
    const p = await cs.propose("orders", "issue_refund", "Refund order 6", refund(7, "ORD-6"), { requestedBy: "U0RILEY" });
    assert.equal((await cs.get(p.id)).requested_by, "U0RILEY");
    const still = await cs.wait(p.id, { timeoutSeconds: 0.3, pollSeconds: 0.1 });
    assert.equal(still.status, "pending");
    assert.throws(() => ensureApproved(still), TimedOut);
    const cancelled = await cs.cancel(p.id);
    assert.equal(cancelled.status, "cancelled");
    await assert.rejects(cs.cancel(p.id), Conflict); // already decided: cancelling again is a conflict
  });

  test("a handoff is posted for people to take", async () => {
    const h = await cs.handoff("orders", "Customer wants to talk to a person", { order_id: "ORD-7" });
    assert.equal(h.kind, "handoff");
    assert.equal(h.status, "pending");
  });
});

describe("errors are typed like the Python client's", () => {
  test("an unknown token is Unauthorized", async () => {
    const stranger = new Countersign(service.api, "cs_not-a-token");
    await assert.rejects(stranger.get("anything"), (error) => {
      assert.ok(error instanceof Unauthorized);
      assert.equal(error.status, 401);
      return true;
    });
  });

  test("an unknown proposal is NotFound", async () => {
    await assert.rejects(cs.get("no-such-proposal"), (error) => error instanceof NotFound && error.status === 404);
  });

  test("an invalid request lists every field error", async () => {
    await assert.rejects(cs.propose("orders", "issue_refund", "", refund(1)), (error) => {
      assert.ok(error instanceof InvalidRequest);
      assert.equal(error.status, 422);
      assert.deepEqual(error.errors.map((e) => e.loc), [["summary"]]);
      return true;
    });
  });

  test("a service that is not there is ConnectionFailed, after the retries", async () => {
    const proxy = await startProxy(service.api);
    const url = proxy.url;
    await proxy.close();
    const nowhere = new Countersign(url, service.token, { retry: { retries: 2, backoffSeconds: 0.01 } });
    await assert.rejects(nowhere.get("x"), (error) => {
      assert.ok(error instanceof ConnectionFailed);
      assert.match(error.message, /^GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/proposals\/x: /);
      return true;
    });
  });
});

describe("a dropped connection during the wait", () => {
  test("resumes waiting on the same proposal and never proposes again", async () => {
    const proxy = await startProxy(service.api);
    try {
      const viaProxy = new Countersign(proxy.url, service.token, { retry: FAST });
      const p = await viaProxy.propose("orders", "issue_refund", "Refund order 8", refund(30, "ORD-8"));
      const waiting = viaProxy.wait(p.id, { pollSeconds: 30 });
      await proxy.inFlightOn(`/api/v1/proposals/${p.id}/wait`);
      proxy.dropAll(); // the long poll's connection dies mid-wait
      await proxy.inFlightOn(`/api/v1/proposals/${p.id}/wait`); // ... and the client is waiting again
      await alice.approve(p);
      const decided = await waiting;
      assert.equal(decided.id, p.id);
      assert.equal(decided.status, "approved");
      assert.equal(proxy.seen.filter((r) => r === "POST /api/v1/proposals").length, 1);
      assert.ok(proxy.seen.filter((r) => r === `GET /api/v1/proposals/${p.id}/wait`).length >= 2);
    } finally {
      await proxy.close();
    }
  });
});
