/** A hold pays for one request: the request's digest goes in with the hold and comes out in its receipt. */
import { describe, expect, it } from "vitest";
import { agentCall, createPrincipal, grant, problemName } from "../support/harness";

const DIGEST = "a".repeat(64);
const LIMITS = { budgets: [{ asset: "USD", amount: "1000" }] };

async function agent() {
  const p = await createPrincipal();
  return grant(p.apiKey, { limits: LIMITS });
}

describe("hold digests: happy", () => {
  it("carries the hold's request digest into its capture receipt", async () => {
    const a = await agent();
    const hold = await agentCall(a, "POST", "/v1/holds", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "40" }, request_digest: DIGEST });
    expect(hold.status, hold.text).toBe(201);
    const captured = await agentCall(a, "POST", `/v1/holds/${hold.json.id}/capture`, {});
    expect(captured.status, captured.text).toBe(200);
    expect(captured.json.receipt.receipt.request_digest).toBe(DIGEST);
  });

  it("carries it into a void receipt too, and leaves it null when none was given", async () => {
    const a = await agent();
    const withDigest = await agentCall(a, "POST", "/v1/holds", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "10" }, request_digest: DIGEST });
    const voided = await agentCall(a, "POST", `/v1/holds/${withDigest.json.id}/void`, {});
    expect(voided.json.receipt.receipt.request_digest).toBe(DIGEST);
    const plain = await agentCall(a, "POST", "/v1/holds", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "10" } });
    const capturedPlain = await agentCall(a, "POST", `/v1/holds/${plain.json.id}/capture`, {});
    expect(capturedPlain.json.receipt.receipt.request_digest).toBeNull();
  });
});

describe("hold digests: error", () => {
  it("refuses a digest that is not a lowercase hex SHA-256, naming the field, and holds nothing", async () => {
    const a = await agent();
    const r = await agentCall(a, "POST", "/v1/holds", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "10" }, request_digest: "XYZ" });
    expect(r.status).toBe(400);
    expect(problemName(r)).toBe("validation-failed");
    expect(r.json.errors).toEqual([expect.objectContaining({ field: "request_digest", message: "must be a lowercase hex SHA-256" })]);
    const view = await agentCall(a, "GET", "/v1/session");
    expect(view.json.counters.budgets[0]).toMatchObject({ held: "0", spent: "0" });
  });
});
