/**
 * Settlement under faults (Node; the real worker under wrangler dev with its storage
 * persisted on disk; a real anvil with its state on disk, on a fixed port):
 *
 *   - the worker restarted while receipts wait in the tree outboxes (between outbox and ledger);
 *   - the worker restarted between sealing and anchoring;
 *   - the worker restarted after broadcasting, the transaction mined meanwhile: it asks the
 *     contract instead of sending again;
 *   - anvil stopped during a settlement, then started again: anchored on a later run, by itself;
 *   - anvil stopped with the transaction still pending;
 *   - a dropped transaction (anvil_dropTransaction) and a stuck one (mining paused) are re-submitted.
 *
 * and, over all of it, invariant 6: every receipt created is in exactly one anchored
 * period and verifies offline; one landed transaction per period.
 */
import { createPublicClient, http as viemHttp, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANCHOR_ABI } from "../../src/core/receipts/anchor-artifact";
import { verifyReceiptOffline, type Jwks } from "../../src/core/receipts/verify";
import { ANVIL_KEY_0, removeDataDir, rpc, tempDataDir } from "../support/anvil";
import type { TestStack } from "../support/stack";
import {
  agentRequest,
  grantTree,
  http,
  ledgerTotals,
  minedNonce,
  pool,
  proofOf,
  removeChain,
  settleNow,
  settlementStatus,
  spendMany,
  startChain,
  startWorker,
  until,
  type Chain,
  type Spender,
} from "../support/settlement-stack";

const OWNER = privateKeyToAccount(ANVIL_KEY_0).address;
/** Replace a transaction still pending after 2 s (production default: 180 s). */
const VARS = { ANCHOR_REPLACE_AFTER_SECONDS: "2" };

let chain: Chain;
let persistDir: string;
let worker: TestStack | null = null;
const spenders: Spender[] = [];
/** Every receipt created (and acknowledged) in this file, and who may read it. */
const created: { id: string; apiKey: string }[] = [];
/** Requests cut off by a kill: each may have committed a receipt its client never heard of. */
let inFlightAtKill = 0;
/** Receipts committed by requests the kill cut off (measured once the shards have everything). */
let unacknowledged = 0;

async function start(vars: Record<string, string> = {}): Promise<TestStack> {
  worker = await startWorker(persistDir, chain, { ...VARS, ...vars });
  return worker;
}

async function restart(vars: Record<string, string> = {}): Promise<TestStack> {
  await worker?.stop();
  worker = null;
  return start(vars);
}

const w = () => worker!;

async function spend(n: number) {
  const r = await spendMany(w().url, spenders, n, 6);
  created.push(...r);
  return r;
}

async function sealedAll() {
  return until(
    "every receipt received and sealed",
    () => ledgerTotals(w()),
    (t) => t.received === created.length + unacknowledged && t.open === 0,
    60_000,
  );
}

async function anchoredEvents(period?: number) {
  const client = createPublicClient({ transport: viemHttp(chain.rpcUrl) });
  return client.getContractEvents({
    address: chain.contract,
    abi: ANCHOR_ABI,
    eventName: "Anchored",
    ...(period === undefined ? {} : { args: { period: BigInt(period) } }),
    fromBlock: 0n,
  });
}

beforeAll(async () => {
  chain = await startChain();
  persistDir = await tempDataDir("remit-settle-faults-");
  await start();
  for (let i = 0; i < 3; i++) {
    const p = await w().createPrincipal(`Faults ${i}`);
    spenders.push(await grantTree(w().url, p));
  }
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  if (chain) await removeChain(chain);
  if (persistDir) await removeDataDir(persistDir);
}, 60_000);

describe("settlement survives restarts and chain trouble", () => {
  it("the worker restarted while receipts wait in the outboxes: they reach the ledger after the restart, once", async () => {
    await restart({ LEDGER_DRAIN_PAUSED: "1" });
    const before = await ledgerTotals(w());
    const batch = await spend(40);
    await new Promise((r) => setTimeout(r, 1500));
    for (const r of batch.slice(0, 10)) expect((await proofOf(w().url, r.apiKey, r.id)).stage).toBe("outbox");
    expect((await ledgerTotals(w())).received).toBe(before.received);

    await restart(); // the pause lifted; nothing but the trees' own alarms moves the receipts
    const totals = await sealedAll();
    expect(totals.received).toBe(before.received + 40);
    // One period takes the 40; on a loaded machine its confirmation may land on the next run.
    const run = await until(
      "the period of the 40 anchored",
      () => settleNow(w(), { seal: false }),
      (r) => r.action === "anchored",
    );
    expect(run).toMatchObject({ action: "anchored", anchor: { count: 40 } });
  });

  it("the worker restarted between sealing and anchoring: the period is taken from the persisted shards", async () => {
    await spend(30);
    await sealedAll();
    await restart();
    const run = await settleNow(w(), { seal: false });
    expect(run).toMatchObject({ action: "anchored", anchor: { count: 30 } });
  });

  it("the worker restarted after broadcasting, the transaction mined meanwhile: it asks the contract and sends nothing more", async () => {
    await spend(12);
    await sealedAll();
    await rpc(chain.rpcUrl, "evm_setAutomine", [false]);
    const nonce = await minedNonce(chain, OWNER);
    const sent = await settleNow(w(), { seal: false });
    expect(sent).toMatchObject({ action: "waiting", anchor: { status: "pending", count: 12 } });
    const { current } = await settlementStatus(w());
    expect(current).toMatchObject({ record_status: "sent", attempts: 1 });
    const [hash] = current.hashes as Hex[];

    await w().stop();
    worker = null;
    await rpc(chain.rpcUrl, "evm_mine");
    await rpc(chain.rpcUrl, "evm_setAutomine", [true]);
    await start();

    // Its own alarm may get there first after the restart; either way the period is anchored by that one transaction.
    const run = await settleNow(w(), { seal: false });
    expect(["anchored", "idle"]).toContain(run.action);
    const anchor = (await http(w().url, "GET", `/v1/anchors/${sent.anchor.period}`)).json;
    expect(anchor).toMatchObject({ status: "anchored", tx: hash });
    expect(await minedNonce(chain, OWNER)).toBe(nonce + 1);
    expect(await anchoredEvents(sent.anchor.period)).toHaveLength(1);
  });

  it("anvil stopped during a settlement, then started again: nothing is lost and a later run (its own alarm) anchors", async () => {
    await spend(20);
    await sealedAll();
    await chain.stop();
    const down = await settleNow(w(), { seal: false });
    expect(down).toMatchObject({ action: "error", anchor: { status: "pending", tx: null, count: 20 } });
    expect(await settleNow(w(), { seal: false })).toMatchObject({ action: "error" });
    expect((await settlementStatus(w())).current).toMatchObject({ record_status: "new", attempts: 0 });

    await chain.start();
    const period = down.anchor.period;
    const anchored = await until(
      `period ${period} anchored by a later run`,
      () => http(w().url, "GET", `/v1/anchors/${period}`),
      (r) => r.json.status === "anchored",
      90_000,
      500,
    );
    expect(anchored.json).toMatchObject({ count: 20 });
    expect(await anchoredEvents(period)).toHaveLength(1);
  });

  it("anvil stopped while the transaction was pending: it is found or re-sent, and one lands", async () => {
    await spend(15);
    await sealedAll();
    await rpc(chain.rpcUrl, "evm_setAutomine", [false]);
    const nonce = await minedNonce(chain, OWNER);
    const sent = await settleNow(w(), { seal: false });
    expect(sent).toMatchObject({ action: "waiting" });
    await chain.stop(); // the pending transaction lives in anvil's pool only
    await chain.start(); // automine again, and the pool is gone
    const period = sent.anchor.period;
    await until(
      `period ${period} anchored`,
      async () => (await settleNow(w(), { seal: false })).anchor,
      (a) => a?.period === period && a.status === "anchored",
      60_000,
      1_000,
    );
    expect(await minedNonce(chain, OWNER)).toBe(nonce + 1);
    expect(await anchoredEvents(period)).toHaveLength(1);
  });

  it("a dropped transaction is re-submitted with the same nonce; a stuck one is replaced with higher fees; one lands", async () => {
    // Dropped.
    await spend(10);
    await sealedAll();
    await rpc(chain.rpcUrl, "evm_setAutomine", [false]);
    const nonce = await minedNonce(chain, OWNER);
    const first = await settleNow(w(), { seal: false });
    expect(first).toMatchObject({ action: "waiting" });
    const h1 = (await settlementStatus(w())).current.hashes[0] as Hex;
    await rpc(chain.rpcUrl, "anvil_dropTransaction", [h1]);
    expect(await settleNow(w(), { seal: false })).toMatchObject({ action: "waiting" });
    const after = (await settlementStatus(w())).current;
    expect(after.hashes).toHaveLength(2);
    expect(after.nonce).toBe(nonce);
    const h2 = after.hashes[1] as Hex;
    await rpc(chain.rpcUrl, "evm_mine");
    const landed = await settleNow(w(), { seal: false });
    expect(landed).toMatchObject({ action: "anchored", anchor: { tx: h2, period: first.anchor.period } });
    expect(await minedNonce(chain, OWNER)).toBe(nonce + 1);

    // Stuck while mining is paused: after ANCHOR_REPLACE_AFTER_SECONDS the same nonce goes out with bumped fees.
    await spend(10);
    await sealedAll();
    const stuck = await settleNow(w(), { seal: false });
    expect(stuck).toMatchObject({ action: "waiting" });
    const s1 = (await settlementStatus(w())).current;
    await new Promise((r) => setTimeout(r, 2_500));
    await settleNow(w(), { seal: false });
    const s2 = (await settlementStatus(w())).current;
    expect(s2.hashes).toHaveLength(2);
    expect(s2.nonce).toBe(s1.nonce);
    const txs = await Promise.all((s2.hashes as Hex[]).map((h) => rpc<{ maxFeePerGas: string } | null>(chain.rpcUrl, "eth_getTransactionByHash", [h])));
    expect(txs[1]).not.toBeNull();
    expect(BigInt(txs[1]!.maxFeePerGas)).toBeGreaterThan(BigInt(txs[0]?.maxFeePerGas ?? "0"));
    await rpc(chain.rpcUrl, "evm_mine");
    await rpc(chain.rpcUrl, "evm_setAutomine", [true]);
    const done = await settleNow(w(), { seal: false });
    expect(done).toMatchObject({ action: "anchored", anchor: { tx: s2.hashes[1], period: stuck.anchor.period } });
    expect(await anchoredEvents(stuck.anchor.period)).toHaveLength(1);
  });

  it("the worker killed in the middle of a burst of spends: every acknowledged receipt is anchored once, and nothing is counted twice", async () => {
    let stop = false;
    let acknowledged = 0;
    const burst = Promise.all(
      spenders.map(async (s, k) => {
        for (let i = 0; !stop; i++) {
          try {
            const r = await agentRequest(w().url, s, "POST", "/v1/authorize", {
              scope: "http:GET:api.example.com/x",
              amount: { asset: "USD", value: String(1 + k + i) },
            });
            if (r.status !== 200) return;
            created.push({ id: r.json.receipt.receipt.id, apiKey: s.apiKey });
            acknowledged++;
          } catch {
            return; // the worker is gone
          }
        }
      }),
    );
    await until(
      "a burst under way",
      async () => acknowledged,
      (n) => n >= 30,
      30_000,
      20,
    );
    const url = w().url;
    const dying = w().stop(); // SIGTERM to wrangler's process group, mid-flight
    worker = null;
    stop = true;
    await Promise.all([dying, burst]);
    inFlightAtKill += spenders.length; // a request cut off after its commit left a receipt nobody was told about
    expect((await fetch(`${url}/healthz`).catch(() => null))?.status).toBeUndefined();

    await start();
    // The trees' alarms drain their outboxes after the restart, including receipts whose
    // request was cut off after its commit: wait until the shards' count stops moving.
    let last = -1;
    let steady = 0;
    const totals = await until(
      "the outboxes drained after the kill",
      () => ledgerTotals(w()),
      (t) => {
        steady = t.received === last ? steady + 1 : 0;
        last = t.received;
        return t.received >= created.length && t.open === 0 && steady >= 4;
      },
      60_000,
      500,
    );
    unacknowledged = totals.received - created.length;
    expect(unacknowledged).toBeLessThanOrEqual(inFlightAtKill);
    // After the crash every counter equals the sum of its session's receipts, including
    // spends whose answer was lost with the process.
    for (const s of spenders) {
      let after = "";
      let fromReceipts = 0n;
      for (;;) {
        const page = await http(w().url, "GET", `/v1/sessions/${s.session}/receipts?limit=100${after ? `&starting_after=${after}` : ""}`, {
          headers: { authorization: `Bearer ${s.apiKey}` },
        });
        expect(page.status, page.text).toBe(200);
        for (const r of page.json.data) if (r.receipt.kind === "authorize" || r.receipt.kind === "capture") fromReceipts += BigInt(r.receipt.amount ?? "0");
        if (!page.json.has_more) break;
        after = page.json.data.at(-1).receipt.id;
      }
      const session = await http(w().url, "GET", `/v1/sessions/${s.session}`, { headers: { authorization: `Bearer ${s.apiKey}` } });
      expect(BigInt(session.json.counters.budgets[0].spent), s.session).toBe(fromReceipts);
    }
    const run = await settleNow(w(), { seal: false });
    expect(run, JSON.stringify(run)).toMatchObject({ action: "anchored" });
  });

  it("over all of it: every receipt is in exactly one anchored period and verifies offline; one landed transaction per period", async () => {
    const { data: anchors } = (await http(w().url, "GET", "/v1/anchors?limit=100")).json;
    expect(anchors.every((a: { status: string }) => a.status === "anchored")).toBe(true);
    const total = anchors.reduce((n: number, a: { count: number }) => n + a.count, 0);
    // Everything the shards ever received is anchored, exactly once: no receipt counted twice.
    expect((await ledgerTotals(w())).received).toBe(total);
    // Every acknowledged receipt is among them (below); at most the requests cut off by the kill are extra.
    expect(total - created.length).toBeGreaterThanOrEqual(0);
    expect(total - created.length).toBeLessThanOrEqual(inFlightAtKill);
    const events = await anchoredEvents();
    expect(events.map((e) => Number(e.args.period)).sort((a, b) => a - b)).toEqual(
      anchors.map((a: { period: number }) => a.period).sort((a: number, b: number) => a - b),
    );
    expect(await minedNonce(chain, OWNER)).toBe(1 + anchors.length); // the deployment, then one per period

    const jwks = (await http(w().url, "GET", "/.well-known/jwks.json")).json as Jwks;
    const proofs = await pool(created, 8, (r) => proofOf(w().url, r.apiKey, r.id));
    const places = new Set(proofs.map((p) => `${p.proof?.period}/${p.proof?.batch_index}/${p.proof?.leaf_index}`));
    expect(places.size).toBe(created.length);
    const results = await pool(proofs, 8, (p) => verifyReceiptOffline({ signed: p.receipt, proof: p.proof, jwks, rpcUrl: chain.rpcUrl, contract: p.proof.contract }));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    console.log(
      `[settlement faults] ${created.length} receipts over ${anchors.length} periods, one landed transaction each: ` +
        anchors.map((a: { period: number; count: number; gas_used: string }) => `P${a.period} ${a.count} rcpts ${a.gas_used} gas`).join("; "),
    );
  });
});
