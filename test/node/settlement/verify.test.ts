import { afterAll, beforeAll, expect, it } from "vitest";
import { createAnchorClient } from "../../../durable-objects/settlement/anchor-client";
import { MerkleTree } from "../../../src/core/receipts/merkle";
import { periodTree, receiptProof } from "../../../src/core/receipts/period";
import { publicJwkOf, receiptLeaf, signReceiptSync, type Receipt } from "../../../src/core/receipts/receipt";
import { newAnchorRecord, settle } from "../../../durable-objects/settlement/settle";
import { verifyReceiptOffline, type Jwks } from "../../../src/core/receipts/verify";
import { ANVIL_KEY_0, deployAnchor, startAnvil, type Anvil } from "../../support/anvil";

const seed = new Uint8Array(32).fill(42);
const jwks: Jwks = { keys: [{ ...publicJwkOf(seed), kid: "svc-1" }] };
const PERIOD = 490_000;

function receipt(i: number): Receipt {
  return {
    v: 1,
    id: `rcp_${i}`,
    kind: "authorize",
    tree: "tre_1",
    session: "ses_b",
    path: ["ses_a", "ses_b"],
    principal: "prn_1",
    scope: "http:GET:api.example.com/*",
    asset: "usd",
    amount: String(100 + i),
    request_digest: null,
    reason: null,
    hold: null,
    seq: i,
    at: "2026-11-26T00:00:00.000Z",
    kid: "svc-1",
  };
}

let anvil: Anvil;
beforeAll(async () => {
  anvil = await startAnvil();
});
afterAll(async () => {
  await anvil?.stop();
});

it("a receipt and its proof verify offline against the anchored root, with only the RPC endpoint (invariant 7)", async () => {
  const contract = await deployAnchor(anvil.rpcUrl, ANVIL_KEY_0);
  const signed = Array.from({ length: 11 }, (_, i) => signReceiptSync(receipt(i), seed));
  const batches = [signed.slice(0, 4), signed.slice(4, 5), signed.slice(5)];
  const trees = batches.map((b) => new MerkleTree(b.map((s) => receiptLeaf(s.bytes))));
  const period = periodTree(trees.map((t) => t.root));

  const client = createAnchorClient({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_KEY_0, contract, confirmations: 1 });
  const anchored = await settle(client, newAnchorRecord(PERIOD, period.root, signed.length), { persist: () => {} });
  expect(anchored.record.status).toBe("anchored");

  for (const [b, batch] of batches.entries()) {
    for (const [i, s] of batch.entries()) {
      const proof = receiptProof({ batch: trees[b]!, leafIndex: i, periodTree: period, batchIndex: b, period: PERIOD });
      const result = await verifyReceiptOffline({ signed: s, proof, jwks, rpcUrl: anvil.rpcUrl, contract });
      expect(result, `batch ${b} leaf ${i}`).toEqual({ ok: true, checks: { signature: true, leaf: true, batch: true, period: true, chain: true } });
    }
  }

  const proof = receiptProof({ batch: trees[0]!, leafIndex: 0, periodTree: period, batchIndex: 0, period: PERIOD + 1 });
  const unanchored = await verifyReceiptOffline({ signed: signed[0]!, proof, jwks, rpcUrl: anvil.rpcUrl, contract });
  expect(unanchored).toMatchObject({ ok: false, checks: { signature: true, period: true, chain: false }, reason: `chain: period ${PERIOD + 1} is not anchored` });

  // A root that is not the anchored one: the local checks can pass, the chain check cannot.
  const forged = periodTree([trees[0]!.root]);
  const forgedProof = receiptProof({ batch: trees[0]!, leafIndex: 0, periodTree: forged, batchIndex: 0, period: PERIOD });
  const result = await verifyReceiptOffline({ signed: signed[0]!, proof: forgedProof, jwks, rpcUrl: anvil.rpcUrl, contract });
  expect(result.checks).toEqual({ signature: true, leaf: true, batch: true, period: true, chain: false });
  expect(result.reason).toMatch(/^chain: period 490000 holds 0x/);
});
