/**
 * The tree signs receipts with the runtime's native SHA-256 and base64url
 * (durable-objects/session-tree/receipts.ts); what it produces must be exactly what the
 * core's `signReceiptSync` gives for the same receipt: same bytes, signature and leaf hash.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { b64urlDecode } from "../../src/core/encoding";
import { signReceiptSync } from "../../src/core/receipts/receipt";
import { agentCall, createPrincipal, delegate, grant } from "../support/harness";

const SCOPE = "http:GET:api.example.com/v1/pay";
const seed = () => b64urlDecode((env as unknown as { REMIT_SIGNING_KEY: string }).REMIT_SIGNING_KEY);

describe("receipts signed by the tree", () => {
  it("are byte for byte what signReceiptSync gives, for spends up a chain and for denials", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey, { scopes: ["http:GET:api.example.com/*"], limits: { budgets: [{ asset: "USD", amount: "100", period: "day" }] } });
    const child = await delegate(root, { scopes: [SCOPE], limits: { budgets: [{ asset: "USD", amount: "50", period: "day" }] } });
    const spent = await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: "7" } });
    expect(spent.status, spent.text).toBe(200);
    const denied = await agentCall(child, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/other" });
    expect(denied.status).toBe(403);
    const receipts = [spent.json.receipt];
    const id = denied.json.receipt as string;
    const read = await agentCall(child, "GET", `/v1/receipts/${id}`);
    expect(read.status, read.text).toBe(200);
    receipts.push(read.json);
    expect(receipts[0].receipt.charged_to).toHaveLength(2);
    for (const signed of receipts) {
      const again = signReceiptSync(signed.receipt, seed());
      expect(signed.bytes).toBe(again.bytes);
      expect(signed.signature).toBe(again.signature);
      expect(signed.leaf_hash).toBe(again.leaf_hash);
    }
  });
});
