// A real webhook receiver for the workers tests, run by vitest's globalSetup in Node
// (outside workerd) on 127.0.0.1. It verifies every delivery with the `standardwebhooks`
// library, the way a customer would, and can be told to fail. Plain JavaScript: this
// project has no Node type definitions; test/support/webhooks.ts types what tests see.
//
//   POST  /hooks/:name    the webhook endpoint: 200 when verified, 400 when not,
//                         500 for the first `fail_first` requests, 503 while `down`
//   PUT   /_hooks/:name   { secrets, fail_first?, down? }: (re)configure, clearing what was received
//   PATCH /_hooks/:name   { secrets?, fail_first?, down? }: change, keeping what was received
//   GET   /_hooks/:name   { received: Received[] }
//   POST  /_verify        { secret, headers, body } → { ok, error }: verify anything, e.g. a tampered copy
//
// The base URL reaches the workers project through `provide("webhookReceiver", url)`.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

/** Verify with each secret in turn; ok when one verifies. */
export function verify(secrets, body, headers) {
  let error = "no secret configured";
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(body, headers);
      return { ok: true, error: null };
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
  return { ok: false, error };
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

export function startReceiver() {
  const hooks = new Map();
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://receiver");
      const body = await readBody(req);
      const hookMatch = /^\/hooks\/([\w-]+)$/.exec(url.pathname);
      const controlMatch = /^\/_hooks\/([\w-]+)$/.exec(url.pathname);

      if (hookMatch && req.method === "POST") {
        const hook = hooks.get(hookMatch[1]);
        if (!hook) return send(res, 404, { error: "no such hook" });
        hook.requests++;
        const headers = {
          "webhook-id": String(req.headers["webhook-id"] ?? ""),
          "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
          "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
          "user-agent": String(req.headers["user-agent"] ?? ""),
        };
        const check = verify(hook.secrets, body, headers);
        const status = hook.down ? 503 : hook.requests <= hook.failFirst ? 500 : check.ok ? 200 : 400;
        hook.received.push({ at: Date.now(), status, headers, body, verified: check.ok, error: check.error });
        return send(res, status, status === 200 ? { ok: true } : { error: status === 400 ? check.error : "unavailable" });
      }

      if (controlMatch) {
        const name = controlMatch[1];
        if (req.method === "GET") return send(res, 200, { received: hooks.get(name)?.received ?? [] });
        const input = body ? JSON.parse(body) : {};
        if (req.method === "PUT") {
          hooks.set(name, { secrets: input.secrets ?? [], failFirst: input.fail_first ?? 0, down: input.down ?? false, requests: 0, received: [] });
          return send(res, 200, { ok: true });
        }
        if (req.method === "PATCH") {
          const hook = hooks.get(name);
          if (!hook) return send(res, 404, { error: "no such hook" });
          if (input.secrets) hook.secrets = input.secrets;
          if (input.fail_first !== undefined) {
            hook.failFirst = input.fail_first;
            hook.requests = 0;
          }
          if (input.down !== undefined) hook.down = input.down;
          return send(res, 200, { ok: true });
        }
      }

      if (url.pathname === "/_verify" && req.method === "POST") {
        const input = JSON.parse(body);
        return send(res, 200, verify([input.secret], input.body, input.headers));
      }
      send(res, 404, { error: "not found" });
    } catch (e) {
      send(res, 500, { error: String(e) });
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** vitest globalSetup of the workers project. */
export default async function setup(project) {
  const receiver = await startReceiver();
  project.provide("webhookReceiver", receiver.url);
  return receiver.close;
}
