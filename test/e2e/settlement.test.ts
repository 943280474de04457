/**
 * Settlement end to end (Node; the real worker under wrangler dev; a real anvil):
 * a few hundred spends over several principals, trees and ledger shards → the
 * operator's settle → one anchor transaction for the period → every receipt
 * verifies offline against the root on chain (invariants 6 and 7), and a receipt
 * with one byte changed does not. Prints the gas of the anchor transaction.
 */
import { createPublicClient, http as viemHttp, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANCHOR_ABI } from "../../src/core/receipts/anchor-artifact";
import { shardOf } from "../../src/core/settlement-config";
import { verifyReceiptOffline, type Jwks } from "../../src/core/receipts/verify";
import { ANVIL_KEY_0, tempDataDir, removeDataDir } from "../support/anvil";
import type { TestStack } from "../support/stack";
import {
  grantTree,
  http,
  ledgerTotals,
  minedNonce,
  pool,
  proofOf,
  removeChain,
  settleNow,
  spendMany,
  startChain,
  startWorker,
  until,
  type Chain,
  type Spender,
} from "../support/settlement-stack";

const SPENDS = 320;
const OWNER = privateKeyToAccount(ANVIL_KEY_0).address;

let chain: Chain;
let stack: TestStack;
let persistDir: string;

beforeAll(async () => {
  chain = await startChain();
  persistDir = await tempDataDir("remit-settle-worker-");
  stack = await startWorker(persistDir, chain);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (chain) await removeChain(chain);
  if (persistDir) await removeDataDir(persistDir);
}, 60_000);

describe("settlement end to end", () => {
  it(`${SPENDS} spends over several trees and shards → one anchor transaction → every receipt verifies offline`, async () => {
    // Principals with two trees each, until the trees cover at least three of the four shards.
    const spenders: Spender[] = [];
    for (let i = 0; spenders.length < 8 || new Set(spenders.map((s) => shardOf(s.tree, 4))).size < 3; i++) {
      const p = await stack.createPrincipal(`Principal ${i}`);
      spenders.push(await grantTree(stack.url, p), await grantTree(stack.url, p));
    }
    const shards = new Set(spenders.map((s) => shardOf(s.tree, 4)));
    const receipts = await spendMany(stack.url, spenders, SPENDS);
    expect(new Set(receipts.map((r) => r.id)).size).toBe(SPENDS);

    // The outboxes drain and the shards seal by time (LEDGER_BATCH_SECONDS=1) with nobody asking.
    const totals = await until(
      "every receipt in a sealed batch",
      () => ledgerTotals(stack),
      (t) => t.received === SPENDS && t.open === 0,
    );
    expect(totals.batches).toBeGreaterThanOrEqual(shards.size);
    const nonceBefore = await minedNonce(chain, OWNER);

    const run = await settleNow(stack, { seal: false });
    expect(run).toMatchObject({ action: "anchored", anchor: { period: 1, status: "anchored", count: SPENDS, batches: totals.batches } });
    const anchor = run.anchor;

    // Exactly one transaction was sent for the period, and it is the one the contract's event names.
    expect(await minedNonce(chain, OWNER)).toBe(nonceBefore + 1);
    const client = createPublicClient({ transport: viemHttp(chain.rpcUrl) });
    const events = await client.getContractEvents({ address: chain.contract, abi: ANCHOR_ABI, eventName: "Anchored", fromBlock: 0n });
    expect(events).toHaveLength(1);
    expect(events[0]!.transactionHash).toBe(anchor.tx);
    expect(events[0]!.args).toMatchObject({ period: 1n, root: anchor.root, count: BigInt(SPENDS) });
    const tx = await client.getTransactionReceipt({ hash: anchor.tx as Hex });
    expect(tx.status).toBe("success");
    expect(anchor.gas_used).toBe(tx.gasUsed.toString());

    // Every receipt verifies offline: the SDK's checks, the JWKS and the RPC endpoint, nothing else.
    const jwks = (await http(stack.url, "GET", "/.well-known/jwks.json")).json as Jwks;
    const proofs = await pool(receipts, 8, (r) => proofOf(stack.url, r.apiKey, r.id));
    const results = await pool(proofs, 8, (p) =>
      verifyReceiptOffline({ signed: p.receipt, proof: p.proof, jwks, rpcUrl: chain.rpcUrl, contract: p.proof.contract, publicClient: client as never }),
    );
    const failures = results.map((r, i) => ({ r, id: receipts[i]!.id })).filter(({ r }) => !r.ok);
    expect(failures, JSON.stringify(failures.slice(0, 3))).toEqual([]);
    for (const p of proofs) {
      expect(p).toMatchObject({
        status: "anchored",
        stage: "anchored",
        proof: { period: 1, contract: chain.contract, chain_id: chain.chainId, tx_hash: anchor.tx, block_number: Number(tx.blockNumber) },
      });
    }
    // Each receipt is in exactly one batch position of the period: no duplicates, none missing.
    const positions = new Set(proofs.map((p) => `${p.proof.batch_index}/${p.proof.leaf_index}`));
    expect(positions.size).toBe(SPENDS);
    expect(new Set(proofs.map((p) => p.batch.shard))).toEqual(shards);

    // One byte changed in a receipt: it no longer verifies.
    const p0 = proofs[0]!;
    const bytes: string = p0.receipt.bytes;
    const at = bytes.indexOf('"seq":') + 6;
    const flipped = bytes.slice(0, at) + String((Number(bytes[at]) + 1) % 10) + bytes.slice(at + 1);
    expect(flipped).not.toBe(bytes);
    expect(flipped.length).toBe(bytes.length);
    const bad = await verifyReceiptOffline({
      signed: { ...p0.receipt, bytes: flipped, receipt: JSON.parse(flipped) },
      proof: p0.proof,
      jwks,
      rpcUrl: chain.rpcUrl,
      contract: p0.proof.contract,
    });
    expect(bad.ok).toBe(false);
    expect(bad.checks).toMatchObject({ signature: false, leaf: false, chain: true });
    // A byte changed in the proof instead: the inclusion fails.
    const path = [...p0.proof.batch_path];
    if (path.length > 0) {
      path[0] = (path[0][0] === "0" ? "1" : "0") + path[0].slice(1);
      const badProof = await verifyReceiptOffline({
        signed: p0.receipt,
        proof: { ...p0.proof, batch_path: path },
        jwks,
        rpcUrl: chain.rpcUrl,
        contract: p0.proof.contract,
      });
      expect(badProof).toMatchObject({ ok: false, checks: { batch: false } });
    }

    // The anchors are public.
    const list = await http(stack.url, "GET", "/v1/anchors");
    expect(list.json).toMatchObject({ data: [{ period: 1, status: "anchored", tx: anchor.tx, count: SPENDS }], has_more: false });

    console.log(
      `[settlement] period 1: ${SPENDS} receipts in ${anchor.batches} batches over ${shards.size} shards anchored by ONE transaction ${anchor.tx}: ` +
        `gas ${tx.gasUsed} → ${(Number(tx.gasUsed) / SPENDS).toFixed(1)} gas per receipt`,
    );
  });

  it("the cron trigger anchors the next period by itself (scheduled())", async () => {
    const p = await stack.createPrincipal("Cron");
    const s = await grantTree(stack.url, p);
    const receipts = await spendMany(stack.url, [s], 40, 4);
    await until(
      "sealed",
      () => ledgerTotals(stack),
      (t) => t.received === SPENDS + 40 && t.open === 0,
    );
    const fired = await fetch(`${stack.url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
    await fired.text();
    expect(fired.status).toBe(200);
    const anchored = await until(
      "period 2 anchored by the cron",
      () => http(stack.url, "GET", "/v1/anchors/2"),
      (r) => r.status === 200 && r.json.status === "anchored",
      30_000,
    );
    expect(anchored.json).toMatchObject({ period: 2, count: 40 });
    const proof = await proofOf(stack.url, p.apiKey, receipts[0]!.id);
    expect(proof).toMatchObject({ status: "anchored", proof: { period: 2 } });
    console.log(`[settlement] period 2: 40 receipts, gas ${anchored.json.gas_used} → ${(Number(anchored.json.gas_used) / 40).toFixed(1)} gas per receipt`);
  });
});
