import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANCHOR_ABI } from "../../../src/core/receipts/anchor-artifact";
import { AnchorRevertError, createAnchorClient, type AnchorClient } from "../../../durable-objects/settlement/anchor-client";
import { newAnchorRecord, settle, settleStep, type AnchorRecord, type StepResult } from "../../../durable-objects/settlement/settle";
import { ANVIL_KEY_0, ANVIL_KEY_1, deployAnchor, removeDataDir, rpc, startAnvil, tempDataDir, type Anvil } from "../../support/anvil";

const root = (byte: number): Hex => `0x${byte.toString(16).padStart(2, "0").repeat(32)}`;
const CONFIRMATIONS = 2;

let anvil: Anvil;
let contract: Hex;
let client: AnchorClient;

beforeAll(async () => {
  anvil = await startAnvil();
  contract = await deployAnchor(anvil.rpcUrl, ANVIL_KEY_0);
  client = createAnchorClient({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_KEY_0, contract, confirmations: CONFIRMATIONS });
});
afterAll(async () => {
  await anvil?.stop();
});

async function anchoredEvents(c: AnchorClient, period: number) {
  return c.publicClient.getContractEvents({ address: c.contract, abi: ANCHOR_ABI, eventName: "Anchored", args: { period: BigInt(period) }, fromBlock: 0n });
}

async function receiptOf(c: AnchorClient, hash: Hex) {
  return c.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
}

/** Steps until done or `until` says stop; `between` runs after each step (e.g. mine a block). */
async function stepUntil(
  c: AnchorClient,
  record: AnchorRecord,
  until: (s: StepResult) => boolean,
  between: (s: StepResult) => Promise<void> = async () => {},
  max = 12,
): Promise<{ record: AnchorRecord; actions: string[] }> {
  const actions: string[] = [];
  let r = record;
  for (let i = 0; i < max; i++) {
    const s = await settleStep(c, r);
    actions.push(s.action);
    r = s.record;
    if (s.done || until(s)) return { record: r, actions };
    await between(s);
  }
  throw new Error(`not done after ${max} steps: ${actions.join(", ")}; ${JSON.stringify(r)}`);
}

describe("RemitAnchor on anvil", () => {
  it("deploys with the deployer as owner and nothing anchored", async () => {
    const pc = client.publicClient;
    expect(((await pc.readContract({ address: contract, abi: ANCHOR_ABI, functionName: "owner" })) as string).toLowerCase()).toBe(client.account.toLowerCase());
    expect(await pc.readContract({ address: contract, abi: ANCHOR_ABI, functionName: "lastPeriod" })).toBe(0n);
    expect(await client.readRoot(1)).toBeNull();
  });

  it("anchors a period; rootOf, countOf, lastPeriod and the event read back", async () => {
    const tx = await client.submit(1, root(0x11), 5);
    const receipt = await receiptOf(client, tx.hash);
    expect(receipt.status).toBe("success");
    console.log(`gas used by the first anchor(): ${receipt.gasUsed} (limit ${tx.gas}; includes lastPeriod 0 → 1)`);
    expect(receipt.gasUsed).toBeLessThan(100_000n);
    expect(await client.readRoot(1)).toEqual({ root: root(0x11), count: 5n });
    expect(await client.publicClient.readContract({ address: contract, abi: ANCHOR_ABI, functionName: "lastPeriod" })).toBe(1n);
    const events = await anchoredEvents(client, 1);
    expect(events).toHaveLength(1);
    expect(events[0]!.args).toEqual({ period: 1n, root: root(0x11), count: 5n });
    const status = await client.checkTransaction(tx.hash);
    expect(status).toMatchObject({ state: "mined", gasUsed: receipt.gasUsed, confirmations: 1 });
  });

  it("a second anchor for the same period reverts: refused at simulation, and reverted on chain if forced", async () => {
    await expect(client.prepare(1, root(0x22), 1)).rejects.toMatchObject({ name: "AnchorRevertError", errorName: "AlreadyAnchored" });
    // Forced past the simulation (explicit gas): the chain itself refuses.
    const forced = await client.submit(1, root(0x22), 1, { gas: 100_000n });
    const receipt = await receiptOf(client, forced.hash);
    expect(receipt.status).toBe("reverted");
    expect(await client.checkTransaction(forced.hash)).toMatchObject({ state: "reverted" });
    expect(await client.readRoot(1)).toEqual({ root: root(0x11), count: 5n });
  });

  it("a zero root reverts (ZeroRoot)", async () => {
    await expect(client.prepare(2, `0x${"00".repeat(32)}`, 1)).rejects.toMatchObject({ errorName: "ZeroRoot" });
  });

  it("a non-owner reverts (NotOwner), and the settle step calls that failed, not retryable", async () => {
    const stranger = createAnchorClient({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_KEY_1, contract, confirmations: 1 });
    const err = await stranger.prepare(2, root(0x33), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnchorRevertError);
    expect((err as AnchorRevertError).errorName).toBe("NotOwner");
    const forced = await stranger.submit(2, root(0x33), 1, { gas: 100_000n });
    expect((await receiptOf(stranger, forced.hash)).status).toBe("reverted");
    const step = await settleStep(stranger, newAnchorRecord(2, root(0x33), 1));
    expect(step).toMatchObject({ action: "failed", done: true, retryable: false, record: { status: "failed" } });
    expect(await client.readRoot(2)).toBeNull();
  });

  it("settles a period: signed → sent → confirming → anchored after N confirmations, one transaction", async () => {
    const saved: AnchorRecord[] = [];
    let first = await settle(client, newAnchorRecord(3, root(0x44), 7), { persist: (r) => void saved.push(r) });
    // On a loaded machine the node may not show the receipt on the first look: settle then
    // rightly stops at "sent, waiting", and the next run picks it up.
    for (let i = 0; i < 50 && first.record.status === "sent"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      first = await settle(client, first.record, { persist: (r) => void saved.push(r) });
    }
    const statuses = saved.map((r) => r.status).filter((s, i, all) => s !== all[i - 1]);
    expect(statuses).toEqual(["signed", "sent", "mined"]);
    expect(first).toMatchObject({ action: "confirming", record: { confirmations: 1 } });
    await rpc(anvil.rpcUrl, "anvil_mine", ["0x1"]);
    const done = await settle(client, first.record, { persist: (r) => void saved.push(r) });
    expect(done).toMatchObject({ action: "anchored", done: true, record: { status: "anchored", confirmations: CONFIRMATIONS, attempts: 1 } });
    expect(done.record.tx).toBe(done.record.hash);
    const gas = (await receiptOf(client, done.record.tx!)).gasUsed;
    console.log(`gas used by a later anchor(): ${gas}`);
    expect(await anchoredEvents(client, 3)).toHaveLength(1);
  });

  it("a dropped transaction is detected, re-sent with the same nonce and higher fees, and lands once", async () => {
    await rpc(anvil.rpcUrl, "evm_setAutomine", [false]);
    try {
      let r = newAnchorRecord(4, root(0x55), 9);
      r = (await settleStep(client, r)).record;
      expect(r.status).toBe("signed");
      r = (await settleStep(client, r)).record;
      expect(r.status).toBe("sent");
      const dropped = r.hash!;
      expect(await client.checkTransaction(dropped)).toEqual({ state: "pending" });
      expect((await settleStep(client, r)).action).toBe("waiting");

      await rpc(anvil.rpcUrl, "anvil_dropTransaction", [dropped]);
      expect(await client.checkTransaction(dropped)).toEqual({ state: "dropped" });
      const replaced = await settleStep(client, r);
      expect(replaced.action).toBe("signed");
      expect(replaced.record.nonce).toBe(r.nonce);
      expect(replaced.record.hash).not.toBe(dropped);
      expect(BigInt(replaced.record.maxFeePerGas!)).toBeGreaterThan(BigInt(r.maxFeePerGas!));
      expect(replaced.record.hashes).toEqual([dropped, replaced.record.hash]);
      r = (await settleStep(client, replaced.record)).record;
      expect(r.status).toBe("sent");

      await rpc(anvil.rpcUrl, "evm_mine");
      const end = await stepUntil(
        client,
        r,
        (s) => s.done,
        () => rpc(anvil.rpcUrl, "evm_mine"),
      );
      expect(end.record).toMatchObject({ status: "anchored", tx: replaced.record.hash, attempts: 2 });
      expect(await anchoredEvents(client, 4)).toHaveLength(1);
      expect(await client.checkTransaction(dropped)).toEqual({ state: "dropped" });
      expect(await client.readRoot(4)).toEqual({ root: root(0x55), count: 9n });
    } finally {
      await rpc(anvil.rpcUrl, "evm_setAutomine", [true]);
    }
  });

  it("after a crash (hash persisted, status unknown) the step reads the contract and never sends twice", async () => {
    // The transaction went out and landed, but the process died before recording that.
    const tx = await client.submit(5, root(0x66), 2);
    await receiptOf(client, tx.hash);
    const nonceBefore = (await client.nonces()).latest;
    const crashed: AnchorRecord[] = [
      { ...newAnchorRecord(5, root(0x66), 2), status: "signed", hash: tx.hash, raw: tx.raw, nonce: tx.nonce },
      { ...newAnchorRecord(5, root(0x66), 2), status: "sent", hash: tx.hash, nonce: tx.nonce },
      newAnchorRecord(5, root(0x66), 2), // even the hash was lost: found through the Anchored event
    ];
    await rpc(anvil.rpcUrl, "anvil_mine", ["0x1"]);
    for (const record of crashed) {
      const end = await stepUntil(client, record, (s) => s.done);
      expect(end.actions).toEqual(["anchored"]);
      expect(end.record).toMatchObject({ status: "anchored", tx: tx.hash });
    }
    expect((await client.nonces()).latest).toBe(nonceBefore);
    expect(await anchoredEvents(client, 5)).toHaveLength(1);

    // Signed and persisted, then a crash before the broadcast: the same bytes go out, once.
    const signed = (await settleStep(client, newAnchorRecord(6, root(0x77), 1))).record;
    const again = await stepUntil(
      client,
      { ...signed },
      (s) => s.done,
      () => rpc(anvil.rpcUrl, "anvil_mine", ["0x1"]),
    );
    expect(again.record.tx).toBe(signed.hash);
    expect(again.record.attempts).toBe(1);
    expect(await anchoredEvents(client, 6)).toHaveLength(1);
  });

  it("a different root already anchored for the period is a conflict; nothing is sent", async () => {
    const nonceBefore = (await client.nonces()).latest;
    const step = await settleStep(client, newAnchorRecord(1, root(0x99), 1));
    expect(step).toMatchObject({ action: "conflict", done: true, record: { status: "conflict", conflictRoot: root(0x11) } });
    expect((await client.nonces()).latest).toBe(nonceBefore);
  });
});

describe("RPC down", () => {
  it("the step reports a retryable error and keeps the record; after anvil restarts (same state) it finishes", async () => {
    const dataDir = await tempDataDir();
    let node = await startAnvil({ dataDir });
    try {
      const address = await deployAnchor(node.rpcUrl, ANVIL_KEY_0);
      const c = createAnchorClient({ rpcUrl: node.rpcUrl, privateKey: ANVIL_KEY_0, contract: address, confirmations: 1, timeoutMs: 2_000 });
      // Signed and persisted; then the node goes away before the broadcast.
      const signed = (await settleStep(c, newAnchorRecord(10, root(0xaa), 3))).record;
      expect(signed.status).toBe("signed");
      await node.stop();

      for (const record of [signed, newAnchorRecord(11, root(0xbb), 1)]) {
        const step = await settleStep(c, record);
        expect(step).toMatchObject({ action: "error", retryable: true, done: false });
        const { error, ...kept } = step.record;
        expect(error).toBeTruthy();
        expect(kept).toEqual(record);
      }

      node = await startAnvil({ dataDir, port: node.port });
      expect(await c.readRoot(10)).toBeNull(); // the contract survived the restart, the period is still open
      const end = await stepUntil(
        c,
        signed,
        (s) => s.done,
        () => rpc(node.rpcUrl, "anvil_mine", ["0x1"]),
      );
      expect(end.record).toMatchObject({ status: "anchored", tx: signed.hash, attempts: 1 });
      expect(end.record.error).toBeUndefined();
      expect(await anchoredEvents(c, 10)).toHaveLength(1);
    } finally {
      await node.stop();
      await removeDataDir(dataDir);
    }
  });
});
