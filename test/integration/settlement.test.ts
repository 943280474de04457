/**
 * Ledger and settlement in workerd (real Durable Objects, fake chain): the tree
 * outbox drain, idempotent appends, sealing by size and by time, periods over
 * several shards, the anchoring state machine driven by the Settlement object
 * (RPC down, crash after broadcast, dropped transaction, conflicting period,
 * configuration failure), the proof route and the public anchors. The real chain
 * (anvil) and real restarts are in test/e2e/settlement*.test.ts.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { fromHex, hex, utf8 } from "../../src/core/encoding";
import { shardOf } from "../../src/core/settlement-config";
import { leafHash, rootOf, verifyInclusion } from "../../src/core/receipts/merkle";
import { verifyReceiptProof } from "../../src/core/receipts/verify";
import { drainReceipts, receiptsDueAt } from "../../durable-objects/session-tree/receipt-outbox";
import { nextAlarmAt } from "../../durable-objects/session-tree/alarm";
import type { LedgerEntry } from "../../durable-objects/ledger";
import { FakeChain } from "../support/fake-chain";
import { agentCall, call, createPrincipal, delegate, grant, problemName } from "../support/harness";
import { admin, drained, E, ledger, proofOf, resetSettlement, settleOn, settlementObject, spend, treeStub } from "../support/settlement";

const BUDGET = { budgets: [{ asset: "USD", amount: "1000000" }] };

async function spender(name = "Acme") {
  const p = await createPrincipal(name);
  const a = await grant(p.apiKey, { limits: BUDGET });
  return { p, a };
}

async function jwks() {
  return (await call("GET", "/.well-known/jwks.json")).json;
}

function entry(i: number, tree = "tre_test"): LedgerEntry {
  return { id: `rcp_${String(i).padStart(26, "0")}`, tree, principal: `prn_${i % 3}`, seq: i, leaf_hash: hex(leafHash(utf8(`receipt ${i}`))) };
}

describe("the receipts outbox drains into the tree's ledger shard", () => {
  it("every receipt (spends and denials) reaches the shard its tree is pinned to", async () => {
    const { p, a } = await spender();
    const ids = await spend(a, 5);
    const denial = await agentCall(a, "POST", "/v1/authorize", { scope: "http:POST:elsewhere.example.com/x" });
    expect(problemName(denial)).toBe("scope-denied");
    ids.push(denial.json.receipt);
    await drained(p.apiKey, ids);
    const shard = shardOf(a.session.tree, 4);
    for (const id of ids) {
      const r = await proofOf(p.apiKey, id);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ object: "receipt_proof", id, status: "pending", stage: "ledger", shard, batch: null, anchor: null, proof: null });
      expect(r.json.receipt.receipt.id).toBe(id);
    }
    expect((await ledger(shard).stats(shard)).received).toBe(ids.length);
  });

  it("a crash between the shard's answer and marking the outbox sends them again, and the shard counts them once", async () => {
    const { p, a } = await spender();
    const ids = await spend(a, 4);
    await drained(p.apiKey, ids);
    const shard = shardOf(a.session.tree, 4);
    const before = await ledger(shard).stats(shard);

    // The shard took them; the tree "crashed" before its update: they look unshipped again.
    await runInDurableObject(treeStub(a.session.id), (_i, state) => {
      state.storage.sql.exec("UPDATE receipts SET shipped = 0");
    });
    // And once more, crashing for real between append and mark.
    const crashed = await runInDurableObject(treeStub(a.session.id), async (_i, state) =>
      drainReceipts(state.storage.sql, E, Date.now(), {
        afterAppend: () => {
          throw new Error("the process died here");
        },
      }),
    );
    expect(crashed).toMatchObject({ shipped: 0, failed: true });
    const unshipped = await runInDurableObject(
      treeStub(a.session.id),
      (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM receipts WHERE shipped = 0").one().n,
    );
    expect(unshipped).toBe(ids.length);

    const retried = await runInDurableObject(treeStub(a.session.id), async (_i, state) => drainReceipts(state.storage.sql, E, Date.now() + 3_600_000));
    expect(retried).toEqual({ shipped: ids.length, failed: false });
    const after = await ledger(shard).stats(shard);
    expect(after.received).toBe(before.received);
    for (const id of ids) expect((await proofOf(p.apiKey, id)).json.stage).toBe("ledger");
  });

  it("a failed send leaves the receipts with a growing backoff, and the tree's alarm comes back for them", async () => {
    const { p, a } = await spender();
    await drained(p.apiKey, await spend(a, 2)); // the tree's own alarm is done: only this test drains now
    await runInDurableObject(treeStub(a.session.id), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("UPDATE receipts SET shipped = 0");
      const now = Date.now();
      const boom = { afterAppend: () => Promise.reject(new Error("shard unreachable")) };
      expect(await drainReceipts(sql, E, now, boom)).toMatchObject({ failed: true });
      const first = receiptsDueAt(sql, now)!;
      expect(first).toBeGreaterThan(now);
      expect(nextAlarmAt(sql, now)).toBeLessThanOrEqual(first);
      // During the backoff the alarm does not hammer the shard.
      expect(await drainReceipts(sql, E, now + 1)).toMatchObject({ shipped: 0, skipped: "backoff" });
      expect(await drainReceipts(sql, E, first, boom)).toMatchObject({ failed: true });
      const second = receiptsDueAt(sql, first)!;
      expect(second - first).toBeGreaterThan(first - now);
      expect(await drainReceipts(sql, E, second)).toEqual({ shipped: 2, failed: false });
      expect(receiptsDueAt(sql, second)).toBeNull();
    });
  });
});

describe("a ledger shard", () => {
  it("appends idempotently, seals full batches at once, and proves inclusion in each batch", async () => {
    const s = ledger(900);
    const entries = Array.from({ length: 300 }, (_, i) => entry(i));
    const first = await s.append(900, entries.slice(0, 100));
    expect(first).toEqual({ shard: 900, accepted: 100, duplicates: 0, sealed: [] });
    const second = await s.append(900, entries);
    expect(second).toEqual({ shard: 900, accepted: 200, duplicates: 100, sealed: [0] });
    expect(await s.append(900, entries.slice(250))).toMatchObject({ accepted: 0, duplicates: 50, sealed: [] });
    expect(await s.stats(900)).toMatchObject({ received: 300, open: 44, batches: 1, log_size: 256 });

    const sealed = await s.seal(900);
    expect(sealed.sealed.map((b) => [b.index, b.size])).toEqual([[1, 44]]);
    const leaves = entries.map((e) => fromHex(e.leaf_hash));
    const stats = await s.stats(900);
    expect(stats).toMatchObject({ received: 300, open: 0, batches: 2, log_size: 300, log_root: hex(rootOf(leaves)) });

    const listing = await s.sealedBatches(900, 0);
    expect(listing.batches.map((b) => b.index)).toEqual([0, 1]);
    expect(listing.batches[0]!.root).toBe(hex(rootOf(leaves.slice(0, 256))));
    expect(listing.batches[1]!.root).toBe(hex(rootOf(leaves.slice(256))));
    expect(listing.batches[0]!.principals).toEqual(["prn_0", "prn_1", "prn_2"]);
    expect((await s.sealedBatches(900, 1)).batches.map((b) => b.index)).toEqual([1]);
    expect(await s.sealedBatches(900, 2)).toMatchObject({ batches: [], next: 2, more: false });

    for (const i of [0, 1, 255, 256, 299]) {
      const at = (await s.locate(900, entries[i]!.id))!;
      const b = at.batch!;
      expect(b.index).toBe(i < 256 ? 0 : 1);
      expect(verifyInclusion(leaves[i]!, b.leaf_index, b.size, b.path.map(fromHex), fromHex(b.root))).toBe(true);
    }
    expect(await s.locate(900, "rcp_nope")).toBeNull();
  });

  it("seals a partial batch on its alarm once the oldest receipt is LEDGER_BATCH_SECONDS old", async () => {
    const s = ledger(901);
    await s.append(901, [entry(1), entry(2), entry(3)]);
    expect(await runDurableObjectAlarm(s)).toBe(true); // not due yet: nothing sealed, alarm planned again
    expect((await s.stats(901)).open).toBe(3);
    await runInDurableObject(s, (_i, state) => {
      state.storage.sql.exec("UPDATE entries SET received_at = received_at - 60000");
    });
    expect(await runDurableObjectAlarm(s)).toBe(true);
    expect(await s.stats(901)).toMatchObject({ open: 0, batches: 1, log_size: 3 });
  });

  it("is one shard, and takes only well-formed entries", async () => {
    await ledger(902).append(902, [entry(1)]);
    await runInDurableObject(ledger(902), (instance: { append: (shard: number, e: LedgerEntry[]) => unknown }) => {
      expect(() => instance.append(903, [entry(2)])).toThrow(/shard 902/);
      expect(() => instance.append(902, [{ ...entry(3), leaf_hash: "zz" }])).toThrow(/malformed/);
      expect(() => instance.append(902, [{ ...entry(4), id: "ses_x" }])).toThrow(/malformed/);
    });
    expect((await ledger(902).stats(902)).received).toBe(1);
  });
});

/** Three principals, each with a tree (and a delegated child in one), spending. */
async function population(perTree = 6) {
  const people = await Promise.all(["A", "B", "C"].map((n) => spender(n)));
  const child = await delegate(people[0]!.a, { limits: { budgets: [{ asset: "USD", amount: "1000" }] } });
  const receipts: { apiKey: string; id: string }[] = [];
  for (const { p, a } of people) for (const id of await spend(a, perTree)) receipts.push({ apiKey: p.apiKey, id });
  for (const id of await spend(child, 3)) receipts.push({ apiKey: people[0]!.p.apiKey, id });
  for (const { p } of people)
    await drained(
      p.apiKey,
      receipts.filter((r) => r.apiKey === p.apiKey).map((r) => r.id),
    );
  return { people, child, receipts };
}

async function expectAllVerify(receipts: { apiKey: string; id: string }[], chain: FakeChain, period?: number) {
  const keys = await jwks();
  for (const { apiKey, id } of receipts) {
    const r = await proofOf(apiKey, id);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ status: "anchored", stage: "anchored" });
    const proof = r.json.proof;
    if (period !== undefined) expect(proof.period).toBe(period);
    const local = verifyReceiptProof(r.json.receipt, proof, keys);
    expect(local, JSON.stringify(local)).toMatchObject({ ok: true });
    expect(chain.roots.get(proof.period)!.root).toBe(`0x${proof.period_root}`);
    expect(proof).toMatchObject({ contract: chain.contract, chain_id: 31337, tx_hash: chain.roots.get(proof.period)!.hash });
  }
}

describe("the Settlement object anchors periods", () => {
  beforeEach(() => resetSettlement());

  it("folds every shard's sealed batches into one period, sends one transaction, and every receipt proves against the root", async () => {
    const chain = new FakeChain();
    const { receipts, people } = await population();
    const run = await settleOn(chain);
    expect(run.status, run.text).toBe(200);
    expect(run.json).toMatchObject({ object: "settlement_run", trigger: "admin", action: "anchored", anchor: { period: 1, status: "anchored", count: receipts.length } });
    // Open batches are sealed by the run or, if their age came first, by the shard's own alarm:
    // either way the period counts every receipt (above).
    expect(run.json.sealed).toBeGreaterThanOrEqual(0);
    expect(chain.broadcasts).toHaveLength(1);
    expect(chain.roots.get(1)).toMatchObject({ root: run.json.anchor.root, count: BigInt(receipts.length) });
    await expectAllVerify(receipts, chain, 1);

    // Anchors are public.
    const list = await call("GET", "/v1/anchors");
    expect(list.json).toMatchObject({ data: [{ object: "anchor", period: 1, status: "anchored", tx: chain.broadcasts[0] }], has_more: false });
    expect((await call("GET", "/v1/anchors/1")).json).toMatchObject({ period: 1, count: receipts.length, gas_used: "50000", chain_id: 31337 });

    // One byte changed in a receipt: the proof no longer holds.
    const r = (await proofOf(receipts[0]!.apiKey, receipts[0]!.id)).json;
    const tampered = { ...r.receipt, bytes: r.receipt.bytes.replace('"amount":"1"', '"amount":"2"') };
    tampered.receipt = JSON.parse(tampered.bytes);
    expect(verifyReceiptProof(tampered, r.proof, await jwks()).ok).toBe(false);

    // Nothing new: the next run is idle and sends nothing.
    expect((await settleOn(chain)).json).toMatchObject({ action: "idle", anchor: null });
    // New spends go to period 2; the old receipts keep period 1.
    const more = await spend(people[1]!.a, 3);
    await drained(people[1]!.p.apiKey, more);
    expect((await settleOn(chain)).json).toMatchObject({ action: "anchored", anchor: { period: 2, count: 3 } });
    await expectAllVerify(
      more.map((id) => ({ apiKey: people[1]!.p.apiKey, id })),
      chain,
      2,
    );
    await expectAllVerify(receipts.slice(0, 3), chain, 1);
    expect(chain.broadcasts).toHaveLength(2);
    expect((await call("GET", "/v1/anchors?limit=1")).json).toMatchObject({ data: [{ period: 2 }], has_more: true });
    expect((await call("GET", "/v1/anchors?starting_after=2")).json).toMatchObject({ data: [{ period: 1 }], has_more: false });
  });

  it("shows each stage on the way: outbox, ledger, sealed, anchoring, anchored", async () => {
    const chain = new FakeChain();
    chain.automine = false;
    const { p, a } = await spender();
    const [id] = await spend(a, 1);
    expect(["outbox", "ledger"]).toContain((await proofOf(p.apiKey, id!)).json.stage);
    await drained(p.apiKey, [id!]);
    expect((await proofOf(p.apiKey, id!)).json.stage).toBe("ledger");
    const shard = shardOf(a.session.tree, 4);
    await ledger(shard).seal(shard);
    const sealed = (await proofOf(p.apiKey, id!)).json;
    expect(sealed).toMatchObject({ stage: "sealed", status: "pending", batch: { shard, size: 1, leaf_index: 0, path: [] }, anchor: null, proof: null });
    expect((await settleOn(chain, { seal: false })).json).toMatchObject({ action: "waiting", anchor: { period: 1, status: "pending" } });
    expect((await proofOf(p.apiKey, id!)).json).toMatchObject({ stage: "anchoring", status: "pending", anchor: { period: 1, status: "pending", tx: null }, proof: null });
    chain.mine();
    expect((await settleOn(chain)).json).toMatchObject({ action: "anchored" });
    expect((await proofOf(p.apiKey, id!)).json).toMatchObject({ stage: "anchored", status: "anchored", proof: { period: 1, batch_size: 1, period_size: 1 } });
  });

  it("survives the RPC being down: nothing changes, and a later run anchors with one transaction", async () => {
    const chain = new FakeChain();
    const { receipts, people: folks } = await population(2);
    const people = () => folks;
    chain.down = true;
    const down = await settleOn(chain);
    expect(down.json).toMatchObject({ action: "error", anchor: { period: 1, status: "pending", tx: null } });
    expect(down.json.detail).toMatch(/ECONNREFUSED/);
    expect((await settleOn(chain)).json).toMatchObject({ action: "error" });
    // Still failing a quarter of an hour later: the principals hear of it once, and it goes on being retried.
    await runInDurableObject(settlementObject(), (_i, state) => {
      state.storage.sql.exec("UPDATE periods SET error_since = error_since - 16 * 60000");
    });
    expect((await settleOn(chain)).json).toMatchObject({ action: "error" });
    expect((await settleOn(chain)).json).toMatchObject({ action: "error" });
    const stalled = await runInDurableObject(settlementObject(), (_i, state) =>
      state.storage.sql.exec<{ type: string; key: string; data: string }>("SELECT type, key, data FROM notices").toArray(),
    );
    expect(stalled.map((n) => [n.type, n.key])).toEqual(people().map(() => ["settlement.failed", "1:stalled"]));
    expect(JSON.parse(stalled[0]!.data).reason).toMatch(/failing for 16 minutes and is still being retried: .*ECONNREFUSED/);
    chain.down = false;
    expect((await settleOn(chain)).json).toMatchObject({ action: "anchored", anchor: { period: 1, count: receipts.length } });
    expect(chain.broadcasts).toHaveLength(1);
    await expectAllVerify(receipts, chain, 1);
  });

  it("after a restart it asks the contract whether its transaction landed, and does not send again", async () => {
    const chain = new FakeChain();
    chain.automine = false;
    const { receipts } = await population(2);
    expect((await settleOn(chain)).json).toMatchObject({ action: "waiting" });
    expect(chain.broadcasts).toHaveLength(1);
    // The object's memory is gone (a restart); the transaction lands meanwhile.
    await runInDurableObject(settlementObject(), (instance: unknown) => {
      const s = instance as { clients: Map<string, unknown>; trees: Map<number, unknown>; queue: Promise<unknown> };
      s.clients.clear();
      s.trees.clear();
      s.queue = Promise.resolve();
    });
    chain.mine();
    expect((await settleOn(chain)).json).toMatchObject({ action: "anchored", anchor: { period: 1 } });
    expect(chain.broadcasts).toHaveLength(1);
    await expectAllVerify(receipts, chain, 1);
  });

  it("re-submits a dropped transaction with the same nonce; one lands", async () => {
    const chain = new FakeChain();
    chain.automine = false;
    const { receipts } = await population(1);
    expect((await settleOn(chain)).json).toMatchObject({ action: "waiting" });
    const [dropped] = chain.broadcasts;
    chain.drop(dropped!);
    const again = await settleOn(chain);
    expect(again.json).toMatchObject({ action: "waiting" });
    expect(chain.broadcasts).toHaveLength(2);
    expect(chain.signed.get(chain.broadcasts[1]!)!.nonce).toBe(chain.signed.get(dropped!)!.nonce);
    chain.mine();
    expect((await settleOn(chain)).json).toMatchObject({ action: "anchored", anchor: { tx: chain.broadcasts[1] } });
    expect(chain.landed()).toEqual([chain.broadcasts[1]]);
    const status = await settlementObject().status();
    expect(status.current).toBeNull();
    await expectAllVerify(receipts, chain, 1);
  });

  it("a period number the chain already holds moves its batches to the next free period", async () => {
    const chain = new FakeChain();
    chain.roots.set(1, { root: `0x${"ee".repeat(32)}`, count: 9n, hash: `0x${"ff".repeat(32)}`, block: 5n });
    chain.roots.set(2, { root: `0x${"ed".repeat(32)}`, count: 9n, hash: `0x${"fe".repeat(32)}`, block: 6n });
    const { receipts } = await population(1);
    const run = await settleOn(chain);
    expect(run.json).toMatchObject({ action: "anchored", anchor: { period: 3, count: receipts.length } });
    expect((await call("GET", "/v1/anchors/1")).json).toMatchObject({ status: "superseded", superseded_by: 3, tx: null });
    await expectAllVerify(receipts, chain, 3);
    expect((await call("GET", "/v1/anchors")).json.data.map((a: { period: number }) => a.period)).toEqual([3]);
  });

  it("a configuration failure (not the contract's owner) fails the period, tells the principals, and is retried by the next run", async () => {
    const chain = new FakeChain();
    chain.owner = false;
    const { receipts, people } = await population(1);
    const hook = await call("POST", "/v1/webhook-endpoints", {
      headers: { authorization: `Bearer ${people[0]!.p.apiKey}` },
      body: { url: "http://127.0.0.1:9/remit", events: ["settlement.anchored", "settlement.failed"] }, // loopback (development): refused, no DNS
    });
    expect(hook.status, hook.text).toBe(201);
    const failed = await settleOn(chain);
    expect(failed.json).toMatchObject({ action: "failed", anchor: { period: 1, status: "failed" } });
    expect(failed.json.detail).toMatch(/NotOwner/);
    chain.owner = true;
    expect((await settleOn(chain)).json).toMatchObject({ action: "anchored", anchor: { period: 1 } });
    await expectAllVerify(receipts, chain, 1);
    expect((await settlementObject().status()).unsent_notices).toBe(0);

    const log = await call("GET", `/v1/webhook-endpoints/${hook.json.id}/deliveries?limit=100`, { headers: { authorization: `Bearer ${people[0]!.p.apiKey}` } });
    const types = log.json.data.map((d: { event_type: string }) => d.event_type).sort();
    expect(types).toEqual(["settlement.anchored", "settlement.failed"]);
    const anchored = log.json.data.find((d: { event_type: string }) => d.event_type === "settlement.anchored");
    expect(anchored.payload.data).toMatchObject({ period: "1", count: receipts.length, chain_id: 31337, contract: chain.contract, tx_hash: chain.broadcasts[0] });
  });
});

describe("who may see a proof", () => {
  it("the principal and the agents of the tree; nobody else", async () => {
    const { p, a } = await spender();
    const other = await spender("Other");
    const child = await delegate(a, { limits: { budgets: [{ asset: "USD", amount: "10" }] } });
    const [id] = await spend(child, 1);
    expect((await proofOf(p.apiKey, id!)).status).toBe(200);
    expect((await agentCall(a, "GET", `/v1/receipts/${id}/proof`)).status).toBe(200);
    expect((await agentCall(child, "GET", `/v1/receipts/${id}/proof`)).json).toMatchObject({ id, object: "receipt_proof" });
    expect(problemName(await proofOf(other.p.apiKey, id!))).toBe("not-found");
    expect(problemName(await agentCall(other.a, "GET", `/v1/receipts/${id}/proof`))).toBe("not-found");
    // A sibling under the same root does not see the child's receipts.
    const sibling = await delegate(a, { limits: { budgets: [{ asset: "USD", amount: "10" }] } });
    expect(problemName(await agentCall(sibling, "GET", `/v1/receipts/${id}/proof`))).toBe("not-found");
    expect(problemName(await call("GET", `/v1/receipts/${id}/proof`))).toBe("unauthenticated");
    expect(problemName(await proofOf(p.apiKey, "rcp_bad"))).toBe("validation-failed");
  });
});

describe("operator and public routes", () => {
  beforeEach(() => resetSettlement());

  it("settle needs the operator token, and answers 503 while anchoring is not configured", async () => {
    expect(problemName(await call("POST", "/v1/admin/settle", { body: {} }))).toBe("unauthenticated");
    const p = await createPrincipal();
    expect(problemName(await call("POST", "/v1/admin/settle", { headers: { authorization: `Bearer ${p.apiKey}` }, body: {} }))).toBe("unauthenticated");
    // A fresh object reads the test worker's vars: no ANCHOR_* there.
    const r = await call("POST", "/v1/admin/settle", { headers: admin, body: {} });
    expect(r.status, r.text).toBe(503);
    expect(r.json).toMatchObject({ action: "disabled" });
    expect(problemName(await call("POST", "/v1/admin/settle", { headers: admin, body: { seal: "yes" } }))).toBe("validation-failed");
    expect(problemName(await call("POST", "/v1/admin/settle", { headers: admin, body: { other: 1 } }))).toBe("validation-failed");
    const status = await call("GET", "/v1/admin/settlement", { headers: admin });
    expect(status.json).toMatchObject({ object: "settlement_status", anchoring: { state: "disabled" }, last_period: 0, current: null });
    expect(status.json.shards).toHaveLength(4);
    expect(problemName(await call("GET", "/v1/admin/settlement"))).toBe("unauthenticated");
  });

  it("anchors: empty list, unknown period, malformed period", async () => {
    expect((await call("GET", "/v1/anchors")).json).toEqual({ data: [], has_more: false });
    expect(problemName(await call("GET", "/v1/anchors/7"))).toBe("not-found");
    expect(problemName(await call("GET", "/v1/anchors/0"))).toBe("validation-failed");
    expect(problemName(await call("GET", "/v1/anchors/abc"))).toBe("validation-failed");
    expect(problemName(await call("GET", "/v1/anchors?limit=0"))).toBe("validation-failed");
  });
});
