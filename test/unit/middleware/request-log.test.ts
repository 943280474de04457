// Specification of the request log line (src/middleware/request-log.ts): its fields, from the
// real app (createApp) and from a small app that sets what the auth middleware sets; and that
// headers, query strings and bodies never reach it. test/e2e/log-secrets.test.ts does the same
// against a whole stack under wrangler dev.
import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../../src/app";
import { problem, problemResponse } from "../../../src/core/errors";
import type { AppEnv } from "../../../src/middleware/auth";
import { requestLog, type RequestLogLine } from "../../../src/middleware/request-log";

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
});
afterEach(() => vi.restoreAllMocks());

const logged = (): RequestLogLine[] => lines.map((l) => JSON.parse(l) as RequestLogLine);
const env = { REMIT_ADMIN_TOKEN: "operator-token-never-logged", REMIT_SIGNING_KEY: "A".repeat(43) };

/** An app shaped like ours: a principal route and an agent route that set what auth.ts sets, and a refusal. */
function appWithAuthContext() {
  const app = new Hono<AppEnv>();
  app.use("*", requestLog);
  app.get("/v1/api-keys/:id", (c) => {
    c.set("principalId", "prn_abc");
    return c.json({ ok: true });
  });
  app.post("/v1/authorize", (c) => {
    c.set("agent", { claims: { sub: "ses_xyz" }, call: {} } as unknown as AppEnv["Variables"]["agent"]);
    return problemResponse(problem("budget-exceeded", "over budget"), "https://remit.example");
  });
  return app;
}

describe("request log", () => {
  it("writes one JSON line per request with the matched route pattern, not the path", async () => {
    const res = await createApp().request("/v1/sessions/ses_secretish", { headers: { authorization: "Bearer not-a-key" } }, env);
    expect(res.status).toBe(401);
    expect(logged()).toEqual([
      expect.objectContaining({ msg: "request", method: "GET", route: "/v1/sessions/:id", status: 401, decision: "refused", problem: "unauthenticated" }),
    ]);
  });

  it("marks a success allowed, with no problem", async () => {
    const res = await createApp().request("/healthz", {}, env);
    expect(res.status).toBe(200);
    const [line] = logged();
    expect(line).toMatchObject({ route: "/healthz", status: 200, decision: "allowed", level: "info" });
    expect(line).not.toHaveProperty("problem");
    expect(typeof line!.latency_ms).toBe("number");
  });

  it("logs a route of null when nothing matched", async () => {
    const res = await createApp().request("/nowhere", {}, env);
    expect(res.status).toBe(404);
    expect(logged()[0]).toMatchObject({ route: null, status: 404, problem: "not-found" });
  });

  it("returns the request id as Request-Id, taken from cf-ray when it looks like one", async () => {
    const ray = "8f1c2a3b4d5e6f70-AMS";
    const res = await createApp().request("/healthz", { headers: { "cf-ray": ray } }, env);
    expect(res.headers.get("request-id")).toBe(ray);
    expect(logged()[0]!.request_id).toBe(ray);
  });

  it("generates a request id when cf-ray is absent or malformed", async () => {
    const res = await createApp().request("/healthz", { headers: { "cf-ray": "<script>" } }, env);
    const id = res.headers.get("request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(logged()[0]!.request_id).toBe(id);
  });

  it("names the principal the API key middleware established", async () => {
    await appWithAuthContext().request("/v1/api-keys/key_1");
    expect(logged()[0]).toMatchObject({ route: "/v1/api-keys/:id", principal: "prn_abc", decision: "allowed" });
  });

  it("names the session of an agent call and the problem of its refusal", async () => {
    await appWithAuthContext().request("/v1/authorize", { method: "POST" });
    expect(logged()[0]).toMatchObject({ session: "ses_xyz", status: 403, decision: "refused", problem: "budget-exceeded", level: "warn" });
  });

  it("refuses to log headers, query strings or bodies", async () => {
    const secrets = ["rmt_principal_key_SECRETSECRET", "eyJhbGciOiJFZERTQSJ9.payload.sig", "whsec_bodysecret", "querytoken123"];
    await createApp().request(
      `/v1/sessions?token=${secrets[3]}`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${secrets[0]}`, dpop: secrets[1]!, "content-type": "application/json" },
        body: JSON.stringify({ secret: secrets[2] }),
      },
      env,
    );
    expect(lines).toHaveLength(1);
    expect(secrets.filter((s) => lines[0]!.includes(s))).toEqual([]);
    expect(lines[0]!.includes(env.REMIT_ADMIN_TOKEN)).toBe(false);
  });

  it("is silent when REMIT_REQUEST_LOG is off, and still returns Request-Id", async () => {
    const res = await createApp().request("/healthz", {}, { ...env, REMIT_REQUEST_LOG: "off" });
    expect(res.headers.get("request-id")).toBeTruthy();
    expect(lines).toEqual([]);
  });
});
