/**
 * The dashboard's sign-in, cookie, CSRF and page policy, in workerd against the real objects.
 * (The pages themselves, in a browser: test/e2e/dashboard.test.ts.)
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, call as apiCall, createPrincipal, grant } from "../support/harness";

/** As the harness's `call`, but redirects are answers (a browser's 303s are what is tested here). */
async function call(method: string, path: string, init: { body?: string | Record<string, unknown>; headers?: Record<string, string> } = {}) {
  if (typeof init.body === "object" || path.startsWith("/v1/")) return apiCall(method, path, init);
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(
    new Request(`${BASE}${path}`, { method, headers: init.headers ?? {}, body: init.body ?? null, redirect: "manual" }),
  );
  return { status: res.status, headers: res.headers, text: await res.text(), json: {} as Record<string, never> };
}

const ORIGIN = "http://remit.test";
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN };

/** The cookies a response sets, name → value, and the raw headers. */
function cookiesOf(headers: Headers): { values: Record<string, string>; raw: string[] } {
  const raw = headers.getSetCookie();
  const values: Record<string, string> = {};
  for (const line of raw) {
    const [pair] = line.split(";");
    const i = pair!.indexOf("=");
    values[pair!.slice(0, i)] = pair!.slice(i + 1);
  }
  return { values, raw };
}

/** Signs in with `apiKey` as a browser would: the form (and its token cookie), then the post. */
async function signIn(apiKey: string) {
  const page = await call("GET", "/dashboard/sign-in");
  const token = /name="token" value="([^"]+)"/.exec(page.text)![1]!;
  const formCookie = cookiesOf(page.headers).values["__Host-remit_sign_in"]!;
  const r = await call("POST", "/dashboard/sign-in", {
    headers: { ...FORM, cookie: `__Host-remit_sign_in=${formCookie}` },
    body: form({ token, api_key: apiKey, next: "/dashboard" }),
  });
  const set = cookiesOf(r.headers);
  const cookie = `__Host-remit_dashboard=${set.values["__Host-remit_dashboard"]}`;
  return { response: r, cookie, setCookie: set.raw.find((l) => l.startsWith("__Host-remit_dashboard="))! };
}

async function csrfOf(cookie: string): Promise<string> {
  const page = await call("GET", "/dashboard", { headers: { cookie } });
  expect(page.status).toBe(200);
  return /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
}

describe("dashboard: happy", () => {
  it("serves a landing page linking the dashboard, the docs, OpenAPI and the JWKS", async () => {
    const r = await call("GET", "/");
    expect(r.status).toBe(200);
    for (const href of ["/dashboard", "/docs", "/openapi.json", "/.well-known/jwks.json"]) expect(r.text).toContain(`href="${href}"`);
  });

  it("exchanges an API key for a signed cookie: HttpOnly, Secure, SameSite=Strict, 12 hours", async () => {
    const { apiKey } = await createPrincipal("Cookie Co");
    const { response, setCookie, cookie } = await signIn(apiKey);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/dashboard");
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Max-Age=43200/);
    expect(setCookie).toMatch(/Path=\//);
    const page = await call("GET", "/dashboard", { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.text).toContain("Cookie Co");
  });

  it("answers every page with a strict policy: own scripts by nonce, no inline style, no framing", async () => {
    const { apiKey } = await createPrincipal();
    const { cookie } = await signIn(apiKey);
    for (const path of ["/", "/dashboard/sign-in", "/dashboard", "/dashboard/approvals", "/dashboard/webhooks", "/dashboard/anchors"]) {
      const r = await call("GET", path, { headers: { cookie } });
      expect(r.status, path).toBe(200);
      const csp = r.headers.get("content-security-policy") ?? "";
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(csp, path).toMatch(/script-src 'self' 'nonce-[^']+';/);
      expect(csp).toContain("style-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("referrer-policy")).toBe("same-origin");
      for (const tag of r.text.match(/<script[^>]*>/g) ?? []) expect(tag).toContain(`nonce="${nonce}"`);
      expect(r.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>[^<]/);
      expect(r.text).not.toMatch(/https?:\/\/(?!remit\.test)[a-z]/);
    }
  });

  it("draws a session's tree with its budget bars", async () => {
    const { apiKey } = await createPrincipal();
    const agent = await grant(apiKey, { label: "root agent", limits: { budgets: [{ asset: "USD", amount: "5000", period: "day" }] } });
    const { cookie } = await signIn(apiKey);
    const r = await call("GET", `/dashboard/sessions/${agent.session.id}/tree`, { headers: { cookie } });
    expect(r.status).toBe(200);
    expect(r.text).toContain("root agent");
    expect(r.text).toContain("remaining $50.00");
    expect(r.text).toContain('class="bar-spent"');
  });
});

describe("dashboard: error", () => {
  it("sends a visitor without a sign-in to the sign-in page", async () => {
    const r = await call("GET", "/dashboard/approvals");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/dashboard/sign-in?next=%2Fdashboard%2Fapprovals");
  });

  it("refuses a key that is not one", async () => {
    const page = await call("GET", "/dashboard/sign-in");
    const token = /name="token" value="([^"]+)"/.exec(page.text)![1]!;
    const formCookie = cookiesOf(page.headers).values["__Host-remit_sign_in"]!;
    const r = await call("POST", "/dashboard/sign-in", {
      headers: { ...FORM, cookie: `__Host-remit_sign_in=${formCookie}` },
      body: form({ token, api_key: "rmt_nope" }),
    });
    expect(r.status).toBe(401);
    expect(r.headers.getSetCookie().some((l) => l.startsWith("__Host-remit_dashboard="))).toBe(false);
  });
});

describe("dashboard: security", () => {
  it("refuses a POST without the CSRF token, and one from another origin", async () => {
    const { apiKey } = await createPrincipal();
    const { cookie } = await signIn(apiKey);
    const csrf = await csrfOf(cookie);
    const without = await call("POST", "/dashboard/freeze", { headers: { ...FORM, cookie }, body: form({}) });
    expect(without.status).toBe(403);
    const foreign = await call("POST", "/dashboard/freeze", { headers: { ...FORM, origin: "https://evil.example", cookie }, body: form({ csrf }) });
    expect(foreign.status).toBe(403);
    const page = await call("GET", "/dashboard", { headers: { cookie } });
    expect(page.text).not.toContain('class="badge status-frozen"');
  });

  it("refuses a sign-in posted without its form's token (login CSRF)", async () => {
    const { apiKey } = await createPrincipal();
    const r = await call("POST", "/dashboard/sign-in", { headers: FORM, body: form({ token: "x", api_key: apiKey }) });
    expect(r.status).toBe(403);
  });

  it("ends the sign-in at sign-out: the same cookie no longer opens a page", async () => {
    const { apiKey } = await createPrincipal();
    const { cookie } = await signIn(apiKey);
    const csrf = await csrfOf(cookie);
    const out = await call("POST", "/dashboard/sign-out", { headers: { ...FORM, cookie }, body: form({ csrf }) });
    expect(out.status).toBe(303);
    expect((await call("GET", "/dashboard", { headers: { cookie } })).status).toBe(303);
  });

  it("ends the sign-in when its key is deleted", async () => {
    const { apiKey } = await createPrincipal();
    const second = await call("POST", "/v1/api-keys", { headers: { authorization: `Bearer ${apiKey}` }, body: { label: "laptop" } });
    const { cookie } = await signIn(second.json.api_key);
    expect((await call("GET", "/dashboard", { headers: { cookie } })).status).toBe(200);
    expect((await call("DELETE", `/v1/api-keys/${second.json.id}`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(200);
    expect((await call("GET", "/dashboard", { headers: { cookie } })).status).toBe(303);
  });

  it("refuses a forged cookie before any object", async () => {
    const { apiKey } = await createPrincipal();
    const { cookie } = await signIn(apiKey);
    // A changed MAC character in the middle, and another spelling of the same MAC (its last
    // base64url character carries 2 unused bits): neither is the cookie that was issued.
    const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const at = cookie.length - 10;
    const changed = cookie.slice(0, at) + (cookie[at] === "A" ? "B" : "A") + cookie.slice(at + 1);
    const respelled = cookie.slice(0, -1) + B64[B64.indexOf(cookie.at(-1)!) ^ 1];
    for (const forged of [changed, respelled]) expect((await call("GET", "/dashboard", { headers: { cookie: forged } })).status).toBe(303);
  });

  it("lets a read_only key look but not freeze", async () => {
    const { apiKey } = await createPrincipal();
    const ro = await call("POST", "/v1/api-keys", { headers: { authorization: `Bearer ${apiKey}` }, body: { label: "auditor", role: "read_only" } });
    const { cookie } = await signIn(ro.json.api_key);
    const csrf = await csrfOf(cookie);
    const page = await call("GET", "/dashboard", { headers: { cookie } });
    expect(page.text).not.toContain('action="/dashboard/freeze"');
    const r = await call("POST", "/dashboard/freeze", { headers: { ...FORM, cookie }, body: form({ csrf }) });
    expect(r.status).toBe(403);
    expect(r.text).toContain("read_only");
  });
});
