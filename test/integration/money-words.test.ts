/** Problems speak money as people read it; their fields keep the exact minor units beside the words. */
import { describe, expect, it } from "vitest";
import { agentCall, createPrincipal, grant, problemName } from "../support/harness";

describe("money in words: error", () => {
  it("says a refused spend in major units with the currency, and keeps minor units in the fields", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "200", period: "day" }] } });
    const r = await agentCall(a, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "300" } });
    expect(problemName(r)).toBe("budget-exceeded");
    expect(r.json.detail).toBe(`$3.00 would exceed the day budget of session ${a.session.id}: $2.00 remains`);
    expect(r.json).toMatchObject({ requested: "300", remaining: "200", limit: "200", asset: "USD" });
  });

  it("uses the configured decimals for assets outside ISO 4217", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: { budgets: [{ asset: "USDC", amount: "1000000" }] } });
    const r = await agentCall(a, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x", amount: { asset: "USDC", value: "1500000" } });
    expect(r.json.detail).toBe(`1.500000 USDC would exceed the lifetime budget of session ${a.session.id}: 1.000000 USDC remains`);
  });
});
