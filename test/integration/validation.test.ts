/**
 * What a refused request says: each `errors[]` entry names the field and the rule, and
 * its message says how to fix it; where the fix is exact, `suggestion` is the value to send.
 */
import { describe, expect, it } from "vitest";
import { generateAgentKey } from "@remit/sdk/keys";
import { agentCall, call, createPrincipal, grant, inHours, problemName } from "../support/harness";

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function grantBody(over: Record<string, unknown>) {
  const p = await createPrincipal();
  const body = { agent_jwk: generateAgentKey().publicJwk, scopes: ["http:GET:api.example.com/*"], expires_at: inHours(1), ...over };
  for (const [k, v] of Object.entries(over)) if (v === undefined) delete body[k as keyof typeof body];
  return call("POST", "/v1/sessions", { headers: bearer(p.apiKey), body });
}

function onlyError(r: { status: number; json: any; text: string }) {
  expect(r.status, r.text).toBe(400);
  expect(problemName(r)).toBe("validation-failed");
  expect(r.json.errors).toHaveLength(1);
  return r.json.errors[0] as { field: string; rule: string; message: string; suggestion?: string; example?: string };
}

describe("validation messages: a missing field", () => {
  it("says a missing expires_at is required, not that it has the wrong type", async () => {
    const e = onlyError(await grantBody({ expires_at: undefined }));
    expect(e).toMatchObject({ field: "expires_at", rule: "required" });
    expect(e.message).toBe("is required: an RFC 3339 date-time");
  });

  it("names the full path of a missing nested field", async () => {
    const e = onlyError(await grantBody({ limits: { budgets: [{ asset: "USD" }] } }));
    expect(e).toMatchObject({ field: "limits.budgets.0.amount", rule: "required" });
    expect(e.message).toMatch(/^is required/);
  });

  it("tells a field sent as null (a wrong type) from a missing one", async () => {
    const e = onlyError(await grantBody({ expires_at: null }));
    expect(e.rule).not.toBe("required");
  });

  it("says what type a field must be, in words", async () => {
    const e = onlyError(await grantBody({ max_depth: "3" }));
    expect(e).toMatchObject({ field: "max_depth", rule: "invalid_type", message: "must be a number, not a string" });
  });
});

describe("validation messages: scopes", () => {
  it("quotes the grammar and an example for a malformed scope", async () => {
    const e = onlyError(await grantBody({ scopes: ["api.example.com"] }));
    expect(e).toMatchObject({ field: "scopes.0", rule: "scope_grammar", example: "http:GET:api.example.com/v1/*" });
    expect(e.message).toContain("resource:action:target");
    expect(e.message).toContain('"http:GET:api.example.com/v1/*"');
  });

  it("refuses a lower-case http method at grant, suggesting the upper-case scope", async () => {
    const e = onlyError(await grantBody({ scopes: ["http:get:api.example.com/*"] }));
    expect(e).toMatchObject({ field: "scopes.0", rule: "scope_method", suggestion: "http:GET:api.example.com/*" });
    expect(e.message).toContain('did you mean "http:GET:api.example.com/*"?');
  });

  it("refuses a lower-case http method at delegation, suggesting the upper-case scope", async () => {
    const p = await createPrincipal();
    const parent = await grant(p.apiKey);
    const r = await agentCall(parent, "POST", "/v1/delegations", { agent_jwk: generateAgentKey().publicJwk, scopes: ["http:post:api.example.com/v1/*"] });
    expect(onlyError(r)).toMatchObject({ field: "scopes.0", rule: "scope_method", suggestion: "http:POST:api.example.com/v1/*" });
  });

  it("suggests the whole canonical scope when the method and the target are both off", async () => {
    const e = onlyError(await grantBody({ scopes: ["http:get:API.example.com/v1//*"] }));
    expect(e.suggestion).toBe("http:GET:api.example.com/v1/*");
  });

  it("refuses an unknown http method, listing the methods allowed", async () => {
    const e = onlyError(await grantBody({ scopes: ["http:FETCH:api.example.com/*"] }));
    expect(e).toMatchObject({ field: "scopes.0", rule: "scope_method" });
    for (const m of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) expect(e.message).toContain(m);
    expect(e.suggestion).toBeUndefined();
  });

  it("refuses a lower-case method in an approval scope too", async () => {
    const e = onlyError(await grantBody({ limits: { approval: { over: [], scopes: ["http:delete:api.example.com/*"] } } }));
    expect(e).toMatchObject({ field: "limits.approval.scopes.0", rule: "scope_method", suggestion: "http:DELETE:api.example.com/*" });
  });

  it("still accepts * and every upper-case method", async () => {
    const r = await grantBody({ scopes: ["http:*:a.example.com/*", "http:PATCH:b.example.com/*", "tool:call:anything"] });
    expect(r.status, r.text).toBe(201);
  });
});

describe("validation messages: amounts", () => {
  it("says how to write a budget amount sent as a JSON number with a fraction, in the budget's asset", async () => {
    const e = onlyError(await grantBody({ limits: { budgets: [{ asset: "USD", amount: 12.5 }] } }));
    expect(e).toMatchObject({ field: "limits.budgets.0.amount", rule: "amount_type", suggestion: "1250" });
    expect(e.message).toContain('send "1250" (a string of minor units) for 12.50 USD');
  });

  it("says how to write a fractional amount string, with the configured decimals of the asset", async () => {
    const e = onlyError(await grantBody({ limits: { budgets: [{ asset: "USDC", amount: "12.50" }] } }));
    expect(e).toMatchObject({ rule: "amount_format", suggestion: "12500000" });
    expect(e.message).toContain('send "12500000" (a string of minor units) for 12.500000 USDC');
  });

  it("offers both readings of a whole JSON number", async () => {
    const e = onlyError(await grantBody({ limits: { budgets: [{ asset: "EUR", amount: 1250 }] } }));
    expect(e).toMatchObject({ rule: "amount_type", suggestion: "1250" });
    expect(e.message).toContain('send "1250" for 12.50 EUR, or "125000" for 1250.00 EUR');
  });

  it("gives no suggestion for a fraction finer than the asset's decimals: it never rounds", async () => {
    const e = onlyError(await grantBody({ limits: { budgets: [{ asset: "JPY", amount: "12.5" }] } }));
    expect(e.rule).toBe("amount_format");
    expect(e.suggestion).toBeUndefined();
    expect(e.message).toMatch(/JPY has no decimals/);
  });

  it("says how to write a spend sent as a JSON number", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "10000" }] } });
    const r = await agentCall(a, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: 12.5 } });
    expect(onlyError(r)).toMatchObject({ field: "amount.value", rule: "amount_type", suggestion: "1250" });
  });

  it("strips what makes an amount non-canonical when the intent is plain", async () => {
    const e = onlyError(await grantBody({ limits: { budgets: [{ asset: "USD", amount: "0250" }] } }));
    expect(e).toMatchObject({ rule: "amount_format", suggestion: "250" });
  });
});
