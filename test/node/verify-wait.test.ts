/** `verifyReceipt(…, { wait })`: polls the proof until anchored or the timeout, telling each stage. */
import { describe, expect, it } from "vitest";
import { NotAnchoredYetError, verifyReceipt, waitForAnchor } from "../../sdk/src/verify";
import type { ReceiptProofResponse } from "../../sdk/src/types";

function pending(stage: ReceiptProofResponse["stage"], overdue = false): ReceiptProofResponse {
  return {
    object: "receipt_proof",
    id: "rcp_x",
    status: "pending",
    stage,
    receipt: { receipt: { id: "rcp_x" } } as ReceiptProofResponse["receipt"],
    shard: 0,
    received_at: null,
    batch: null,
    anchor: null,
    proof: null,
    expected_by: "2026-12-01T10:00:40.000Z",
    overdue,
  };
}

describe("waiting for anchoring", () => {
  it("tells each stage, and on timeout says where it is and that the signature verifies alone", async () => {
    const answers = [pending("outbox"), pending("ledger"), pending("sealed", true)];
    const seen: string[] = [];
    let i = 0;
    const wait = { timeoutMs: 30, everyMs: 10, proof: async () => answers[Math.min(i++, answers.length - 1)]!, onStage: (p: ReceiptProofResponse) => seen.push(p.stage) };
    const err = await verifyReceipt(pending("outbox").receipt, pending("outbox"), { rpcUrl: "http://127.0.0.1:1", wait }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAnchoredYetError);
    expect((err as NotAnchoredYetError).stage).toBe("sealed");
    expect((err as NotAnchoredYetError).overdue).toBe(true);
    expect((err as Error).message).toMatch(/not anchored yet \(stage sealed, expected by 2026-12-01T10:00:40.000Z, overdue\).*verifyReceiptSignature/);
    expect(seen.slice(0, 3)).toEqual(["outbox", "ledger", "sealed"]);
  });

  it("returns the anchored proof as soon as it is there", async () => {
    const anchored = { ...pending("anchored"), status: "anchored", expected_by: null, proof: { leaf_index: 0 } } as unknown as ReceiptProofResponse;
    const answers = [pending("anchoring"), anchored];
    let i = 0;
    const got = await waitForAnchor("rcp_x", { timeoutMs: 5_000, everyMs: 5, proof: async () => answers[i++]! });
    expect(got).toBe(anchored);
    expect(i).toBe(2);
  });

  it("needs a way to read the proof", async () => {
    await expect(waitForAnchor("rcp_x", { timeoutMs: 10 })).rejects.toThrow(/proof\(\), or apiKey with baseUrl/);
  });
});
