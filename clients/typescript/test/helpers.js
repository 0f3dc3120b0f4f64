// The real Countersign service (with a fake Slack) for the tests, and people deciding through real signed clicks.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..", "..");

/** The repository's Python (COUNTERSIGN_PYTHON overrides): the service under test is the real one. */
function python() {
  const chosen = process.env.COUNTERSIGN_PYTHON ?? join(repo, ".venv", "bin", "python");
  if (!existsSync(chosen)) {
    throw new Error(
      `no Python at ${chosen}: create the repo venv first (python3 -m venv .venv && .venv/bin/pip install -e '.[dev]')`,
    );
  }
  return chosen;
}

/** Start test/service.py; resolves to {api, page, token, stop()} once it listens. */
export async function startService() {
  const child = spawn(python(), [join(here, "service.py")], { cwd: repo, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const line = await new Promise((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", resolveLine);
    child.once("exit", (code) => reject(new Error(`test/service.py exited with ${code}:\n${stderr}`)));
  });
  const info = JSON.parse(line);
  return {
    ...info,
    stop: () =>
      new Promise((done) => {
        child.once("exit", done);
        child.stdin.end(); // the service stops at end of input
      }),
  };
}

/** A person in the fake Slack workspace, clicking on the proposal's message through the sandbox page's API. */
export class Person {
  /** `client` only reads the proposal, to learn where its card was posted. */
  constructor(page, user, client) {
    this.page = page;
    this.user = user;
    this.client = client;
  }

  async approve(proposal) {
    await this.#click(proposal, "cs_approve");
  }

  async reject(proposal, reason) {
    const before = await this.#topView();
    await this.#click(proposal, "cs_reject");
    await this.#submit(before, { cs_reason: reason });
  }

  /** Edit fields (block id f:<field> -> typed text) then approve. */
  async editAndApprove(proposal, fields) {
    const before = await this.#topView();
    const card = await this.#button(proposal, "cs_approve");
    await this.#click(proposal, "cs_edit");
    await this.#submit(before, Object.fromEntries(Object.entries(fields).map(([k, v]) => [`f:${k}`, String(v)])));
    // The card is updated with the edited version just after; approving the old version would be refused.
    for (let i = 0; i < 200 && (await this.#button(proposal, "cs_approve")).value === card.value; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.approve(proposal);
  }

  async #button(proposal, actionId) {
    const message = await this.#message(proposal);
    const button = message.blocks
      .filter((b) => b.type === "actions")
      .flatMap((b) => b.elements.map((el) => ({ ...el, block_id: b.block_id })))
      .find((el) => el.action_id === actionId);
    if (!button) throw new Error(`no ${actionId} button on the card of ${proposal.id ?? proposal}`);
    return { ...button, channel: message.channel, ts: message.ts };
  }

  async #click(proposal, actionId) {
    const button = await this.#button(proposal, actionId);
    await this.#post("/api/click", {
      channel: button.channel,
      ts: button.ts,
      action_id: button.action_id,
      block_id: button.block_id,
      value: button.value,
    });
  }

  async #topView() {
    return ((await this.#state()).workspace.views[this.user] ?? []).at(-1)?.id;
  }

  /** Submit the modal the click opened (the app opens it just after answering the click). */
  async #submit(before, values) {
    let view;
    for (let i = 0; i < 200 && (view === undefined || view === before); i++) {
      if (i) await new Promise((r) => setTimeout(r, 50));
      view = await this.#topView();
    }
    if (view === undefined || view === before) throw new Error(`no modal opened for ${this.user}`);
    const answer = await this.#post("/api/submit", { view_id: view, values });
    if (!answer.closed) throw new Error(`the modal stayed open: ${JSON.stringify(answer.errors)}`);
  }

  /** The proposal's card: `target` is a proposal, or text its card shows (when only the agent knows the id). */
  async #message(target) {
    // The card is posted right after intake, by the service's own worker: look until it is there.
    for (let i = 0; i < 200; i++) {
      const state = await this.#state();
      const cards = state.workspace.channels.flatMap((c) => c.messages.filter((m) => !m.thread_ts));
      let found;
      if (typeof target === "string") {
        found = cards.find((m) => m.text.includes(target));
      } else {
        const { channel, ts } = (await this.client.get(target.id)).slack;
        found = cards.find((m) => m.channel === channel && m.ts === ts);
      }
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no Slack message for ${typeof target === "string" ? JSON.stringify(target) : target.id}`);
  }

  async #state() {
    const response = await fetch(`${this.page}/api/state`);
    return await response.json();
  }

  async #post(path, body) {
    const response = await fetch(`${this.page}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: this.user, ...body }),
    });
    const answer = await response.json();
    if (response.status !== 200 || answer.ok === false) throw new Error(`${path}: ${JSON.stringify(answer)}`);
    return answer;
  }
}

/**
 * An HTTP proxy in front of the service that records each request ("POST /api/v1/proposals") and can cut the
 * connections of requests in flight, the way a load balancer restart or a network blip does.
 */
export async function startProxy(target) {
  const seen = [];
  const inFlight = new Set();
  const server = createServer(async (req, res) => {
    seen.push(`${req.method} ${req.url.split("?")[0]}`);
    inFlight.add(req);
    res.on("close", () => inFlight.delete(req));
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    try {
      const upstream = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== "host" && k !== "connection")),
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (req.socket.destroyed) return;
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
      res.end(body);
    } catch {
      req.socket.destroy();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    /** Resolves once `count` requests are in flight on `path`. */
    async inFlightOn(path, count = 1) {
      for (;;) {
        if ([...inFlight].filter((r) => r.url.startsWith(path)).length >= count) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    dropAll() {
      for (const req of inFlight) req.socket.destroy();
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}
