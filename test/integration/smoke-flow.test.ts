import { describe, expect, it } from "vitest";
import { agentCall, call, createPrincipal, grant, problemName } from "../support/harness";

describe("smoke", () => {
  it("grants a session and authorizes an action", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: { calls: 2, budgets: [{ asset: "USD", amount: "1000" }] } });
    const r = await agentCall(a, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/x", amount: { asset: "USD", value: "300" } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.session.counters.budgets[0].remaining).toBe("700");
    const s = await call("GET", `/v1/sessions/${a.session.id}`, { headers: { authorization: `Bearer ${p.apiKey}` } });
    expect(s.status, s.text).toBe(200);
    const bad = await agentCall(a, "POST", "/v1/authorize", { scope: "http:POST:api.example.com/v1/x" });
    expect(problemName(bad)).toBe("scope-denied");
  });
});
