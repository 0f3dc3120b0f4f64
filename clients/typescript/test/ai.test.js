// The AI SDK adapter: generateText with the SDK's own mock model calls a guarded tool; Countersign is the real one.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { generateText, stepCountIs, tool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { z } from "zod";

import { Countersign } from "../dist/index.js";
import { requireApproval } from "../dist/ai.js";
import { Person, startService } from "./helpers.js";

let service, cs, alice;

before(async () => {
  service = await startService();
  cs = new Countersign(service.api, service.token, { retry: { backoffSeconds: 0.01 } });
  alice = new Person(service.page, "U0ALICE", cs);
});
after(async () => service?.stop());

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A model that calls `toolName` with `input`, then answers with text once it has read the tool's result. */
function modelCalling(toolName, input) {
  return new MockLanguageModelV3({
    doGenerate: [
      {
        content: [{ type: "tool-call", toolCallId: "call-1", toolName, input: JSON.stringify(input) }],
        finishReason: { unified: "tool-calls", raw: "tool_calls" },
        usage,
        warnings: [],
      },
      {
        content: [{ type: "text", text: "Done." }],
        finishReason: { unified: "stop", raw: "stop" },
        usage,
        warnings: [],
      },
    ],
  });
}

/** The refund tool an agent would write, guarded; `ran` records each real execution. */
function refundTool(ran, extra = {}) {
  const issueRefund = tool({
    description: "Refund an order to the original payment method.",
    inputSchema: z.object({ order_id: z.string(), amount: z.number() }),
    execute: async ({ order_id, amount }) => {
      ran.push({ order_id, amount });
      return { refund_id: `R-${order_id}`, amount };
    },
  });
  return requireApproval(cs, issueRefund, {
    workflow: "orders",
    action: "issue_refund",
    summary: ({ order_id, amount }) => `Refund ${amount} on ${order_id}`,
    ...extra,
  });
}

/** What the model was shown as the tool's result, on its second call. */
function toolResultShown(model) {
  const message = model.doGenerateCalls[1].prompt.find((m) => m.role === "tool");
  return message.content[0].output;
}

test("an approved call runs with the arguments the person edited, and its result is reported", async () => {
  const ran = [];
  const model = modelCalling("issue_refund", { order_id: "ORD-100", amount: 80 });
  const deciding = alice.editAndApprove("Refund 80 on ORD-100", { amount: 45 });
  const result = await generateText({
    model,
    tools: { issue_refund: refundTool(ran) },
    prompt: "Refund order ORD-100",
    stopWhen: stepCountIs(3),
  });
  await deciding;
  assert.deepEqual(ran, [{ order_id: "ORD-100", amount: 45 }]);
  const [call] = result.steps[0].toolResults;
  assert.deepEqual(call.output, { refund_id: "R-ORD-100", amount: 45 });
  assert.deepEqual(toolResultShown(model), { type: "json", value: { refund_id: "R-ORD-100", amount: 45 } });
  assert.equal(result.text, "Done.");
  assert.equal(result.steps[0].toolCalls[0].input.amount, 80); // the model's own call stays as it was
});

test("a rejected call does not run: the model reads the person's reason as the tool result", async () => {
  const ran = [];
  const model = modelCalling("issue_refund", { order_id: "ORD-101", amount: 70 });
  const deciding = alice.reject("Refund 70 on ORD-101", "customer already got a voucher");
  const result = await generateText({
    model,
    tools: { issue_refund: refundTool(ran) },
    prompt: "Refund order ORD-101",
    stopWhen: stepCountIs(3),
  });
  await deciding;
  assert.deepEqual(ran, []);
  const output = result.steps[0].toolResults[0].output;
  assert.equal(output.executed, false);
  assert.equal(output.status, "rejected");
  assert.equal(
    output.message,
    "Not executed: orders/issue_refund was rejected by U0ALICE: customer already got a voucher. " +
      "Do not retry it unchanged; tell the user why, or propose something different.",
  );
  assert.deepEqual(toolResultShown(model), { type: "json", value: output }); // a result, not a tool error
  const stored = await cs.get(output.proposalId);
  assert.equal(stored.decision_reason, "customer already got a voucher");
});

test("an expired call does not run: the model is told nobody decided in time", async () => {
  const ran = [];
  const offer = requireApproval(
    cs,
    tool({
      description: "Offer a discount code.",
      inputSchema: z.object({ code: z.string() }),
      execute: async ({ code }) => ran.push(code),
    }),
    { workflow: "orders", action: "send_offer" },
  );
  const model = modelCalling("send_offer", { code: "SPRING10" });
  const result = await generateText({ model, tools: { send_offer: offer }, prompt: "Offer", stopWhen: stepCountIs(3) });
  assert.deepEqual(ran, []);
  const output = result.steps[0].toolResults[0].output;
  assert.equal(output.status, "expired");
  assert.match(output.message, /^Not executed: orders\/send_offer expired without a decision .*you may propose it again later\.$/);
});

test("a call the policy approves runs at once and its result is reported to Countersign", async () => {
  const ran = [];
  const model = modelCalling("issue_refund", { order_id: "ORD-102", amount: 0.25 });
  const key = `refund-ORD-102-${Date.now()}`;
  const tools = { issue_refund: refundTool(ran, { idempotencyKey: (_, { toolCallId }) => `${key}-${toolCallId}` }) };
  const result = await generateText({ model, tools, prompt: "Refund", stopWhen: stepCountIs(3) });
  assert.deepEqual(ran, [{ order_id: "ORD-102", amount: 0.25 }]);
  assert.deepEqual(result.steps[0].toolResults[0].output, { refund_id: "R-ORD-102", amount: 0.25 });
  // proposing with the same key again returns the original: its execution holds the tool's reported result
  const stored = await cs.propose("orders", "issue_refund", "Refund 0.25 on ORD-102", { order_id: "ORD-102", amount: 0.25 }, {
    idempotencyKey: `${key}-call-1`,
  });
  assert.equal(stored.status, "auto_approved");
  assert.equal(stored.execution.status, "succeeded");
  assert.deepEqual(stored.execution.result, { refund_id: "R-ORD-102", amount: 0.25 });
});

test("a tool without execute cannot be guarded", () => {
  assert.throws(
    () => requireApproval(cs, tool({ inputSchema: z.object({}) }), { workflow: "orders", action: "issue_refund" }),
    /requireApproval\(orders\/issue_refund\): the tool has no execute function to guard/,
  );
});
