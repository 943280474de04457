/**
 * `Idempotency-Key` is required on every POST and PATCH of an agent or a principal: a
 * call without one is refused before any object is reached (nothing changes), with a
 * problem that names the header, the rule and the fix. DELETE converges by itself and
 * takes it optionally; operator calls are outside the rule.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { generateAgentKey } from "../../sdk/src/keys";
import { ADMIN_TOKEN, agentCall, call, createPrincipal, grant, problemName, type Agent } from "../support/harness";
import { bearer } from "../support/webhooks";

const none = { idempotencyKey: false } as const;
const ID = "0".repeat(26);

function expectKeyRequired(r: Awaited<ReturnType<typeof call>>, what: string) {
  expect(r.status, `${what}: ${r.text}`).toBe(400);
  expect(problemName(r), what).toBe("validation-failed");
  expect(r.json.errors, what).toEqual([
    { field: "Idempotency-Key", rule: "idempotency_key_required", message: expect.stringContaining("send `Idempotency-Key: <uuid>`") },
  ]);
  expect(r.json.errors[0].message).toContain("retries with the same key return the first result");
  expect(r.json.detail, what).toContain("Idempotency-Key is required");
}

let p: { id: string; apiKey: string };
let agent: Agent;

beforeAll(async () => {
  p = await createPrincipal("Keys");
  agent = await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "1000" }] } });
});

describe("Idempotency-Key is required on mutating calls", () => {
  describe("error", () => {
    it("refuses every principal POST and PATCH without one", async () => {
      const routes: [string, string, unknown][] = [
        [
          "POST",
          "/v1/sessions",
          { agent_jwk: generateAgentKey().publicJwk, scopes: ["http:GET:a.example/*"], expires_at: new Date(Date.now() + 3600_000).toISOString() },
        ],
        ["POST", `/v1/sessions/${agent.session.id}/revoke`, {}],
        ["POST", "/v1/freeze", {}],
        ["POST", "/v1/unfreeze", {}],
        ["POST", "/v1/api-keys", { label: "x" }],
        ["POST", "/v1/webhook-endpoints", { url: "https://hooks.example.com/x", events: ["*"] }],
        ["PATCH", `/v1/webhook-endpoints/whe_${ID}`, { description: "x" }],
        ["POST", `/v1/webhook-endpoints/whe_${ID}/rotate-secret`, {}],
        ["POST", `/v1/webhook-deliveries/dlv_${ID}/redeliver`, {}],
        ["POST", `/v1/approvals/apr_${ID}/approve`, {}],
        ["POST", `/v1/approvals/apr_${ID}/deny`, {}],
      ];
      for (const [method, path, body] of routes) expectKeyRequired(await call(method, path, { headers: bearer(p.apiKey), body, ...none }), `${method} ${path}`);
    });

    it("refuses every agent POST without one", async () => {
      const spend = { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "5" } };
      const routes: [string, unknown][] = [
        ["/v1/authorize", spend],
        ["/v1/holds", spend],
        [`/v1/holds/hld_${ID}/capture`, {}],
        [`/v1/holds/hld_${ID}/void`, {}],
        ["/v1/delegations", { agent_jwk: generateAgentKey().publicJwk, scopes: agent.session.scopes }],
        [`/v1/approvals/apr_${ID}/cancel`, {}],
      ];
      for (const [path, body] of routes) expectKeyRequired(await agentCall(agent, "POST", path, body, none), `POST ${path}`);
    });

    it("changes nothing when it refuses: no key made, no call counted, no session granted", async () => {
      const keysBefore = (await call("GET", "/v1/api-keys", { headers: bearer(p.apiKey) })).json.data.length;
      await call("POST", "/v1/api-keys", { headers: bearer(p.apiKey), body: { label: "not made" }, ...none });
      expect((await call("GET", "/v1/api-keys", { headers: bearer(p.apiKey) })).json.data.length).toBe(keysBefore);

      const before = (await call("GET", `/v1/sessions/${agent.session.id}`, { headers: bearer(p.apiKey) })).json;
      await agentCall(agent, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "5" } }, none);
      const after = (await call("GET", `/v1/sessions/${agent.session.id}`, { headers: bearer(p.apiKey) })).json;
      expect(after.counters).toEqual(before.counters);

      const fresh = await createPrincipal("Untouched");
      const key = generateAgentKey();
      const body = { agent_jwk: key.publicJwk, scopes: ["http:GET:a.example/*"], expires_at: new Date(Date.now() + 3600_000).toISOString() };
      expectKeyRequired(await call("POST", "/v1/sessions", { headers: bearer(fresh.apiKey), body, ...none }), "grant");
      expect((await call("GET", "/v1/events", { headers: bearer(fresh.apiKey) })).json.data).toEqual([]);
    });

    it("authenticates first: a call without a key or credentials is unauthenticated, not told about the header", async () => {
      const r = await call("POST", "/v1/freeze", { body: {}, ...none });
      expect(r.status).toBe(401);
    });
  });

  describe("happy", () => {
    it("takes a key, and a retry with it returns the first result", async () => {
      const headers = { ...bearer(p.apiKey), "idempotency-key": crypto.randomUUID() };
      const first = await call("POST", "/v1/api-keys", { headers, body: { label: "once" } });
      const again = await call("POST", "/v1/api-keys", { headers, body: { label: "once" } });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(again.json.id).toBe(first.json.id);
    });

    it("does not need one on DELETE: revoking a key twice ends the same", async () => {
      const made = await call("POST", "/v1/api-keys", { headers: bearer(p.apiKey), body: { label: "gone" } });
      const once = await call("DELETE", `/v1/api-keys/${made.json.id}`, { headers: bearer(p.apiKey), ...none });
      const twice = await call("DELETE", `/v1/api-keys/${made.json.id}`, { headers: bearer(p.apiKey), ...none });
      expect(once.status).toBe(200);
      expect(twice.json.revoked_at).toBe(once.json.revoked_at);
    });

    it("does not apply to the operator's calls", async () => {
      const r = await call("POST", "/v1/principals", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { name: "No key" }, ...none });
      expect(r.status).toBe(201);
    });

    it("the document marks the header required on POST and PATCH, optional on DELETE", async () => {
      const doc = (await call("GET", "/openapi.json")).json;
      const header = (method: string, path: string) =>
        (doc.paths[path][method].parameters as { name: string; in: string; required?: boolean }[]).find((x) => x.in === "header" && x.name === "idempotency-key");
      expect(header("post", "/v1/authorize")?.required).toBe(true);
      expect(header("post", "/v1/sessions")?.required).toBe(true);
      expect(header("patch", "/v1/webhook-endpoints/{id}")?.required).toBe(true);
      expect(header("delete", "/v1/api-keys/{id}")?.required ?? false).toBe(false);
      // Every principal or agent POST and PATCH, whoever adds it: the operator's calls aside.
      const OPERATOR = new Set(["/v1/principals", "/v1/admin/settle"]);
      const loose: string[] = [];
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>))
        for (const method of ["post", "patch"])
          if (ops[method] && !OPERATOR.has(path) && header(method, path)?.required !== true) loose.push(`${method.toUpperCase()} ${path}`);
      expect(loose).toEqual([]);
    });
  });
});
