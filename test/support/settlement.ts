/** Helpers for the settlement tests in workerd: stubs, alarms, a fake chain installed in the Settlement object. */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { Env } from "../../src/contract/env";
import { treeKey } from "../../src/core/tree-ids";
import { ADMIN_TOKEN, agentCall, call, type Agent } from "./harness";
import type { FakeChain } from "./fake-chain";

export const E = env as unknown as Env;

export const treeStub = (anyIdInTree: string) => E.SESSION_TREE.get(E.SESSION_TREE.idFromName(treeKey(anyIdInTree)));
export const ledger = (shard: number) => E.LEDGER.get(E.LEDGER.idFromName(`shard-${shard}`));
export const settlementObject = () => E.SETTLEMENT.get(E.SETTLEMENT.idFromName("settlement"));
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Runs the tree's alarm (maintenance + outbox drains) if one is set. */
export async function runTreeAlarm(anyIdInTree: string): Promise<boolean> {
  return runDurableObjectAlarm(treeStub(anyIdInTree));
}

/** Points the Settlement object at `chain` (its seams: anchorSettings, anchorClient). */
export async function installChain(chain: FakeChain): Promise<void> {
  await runInDurableObject(settlementObject(), (instance: unknown) => {
    const s = instance as { anchorSettings: () => unknown; anchorClient: () => unknown };
    s.anchorSettings = () => ({
      state: "ready",
      client: { rpcUrl: "http://fake-chain.invalid", contract: chain.contract, privateKey: `0x${"11".repeat(32)}`, confirmations: chain.confirmations },
      replaceAfterMs: 60_000,
    });
    s.anchorClient = () => chain;
  });
}

/** POST /v1/admin/settle against `chain`. */
export async function settleOn(chain: FakeChain, body: unknown = {}) {
  await installChain(chain);
  return call("POST", "/v1/admin/settle", { headers: admin, body });
}

/** n authorizations of `amount` each; returns their receipt ids. */
export async function spend(agent: Agent, n: number, amount = "1"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await agentCall(agent, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: amount } });
    if (r.status !== 200) throw new Error(`authorize: ${r.status} ${r.text}`);
    ids.push(r.json.receipt.receipt.id);
  }
  return ids;
}

export async function proofOf(apiKey: string, id: string) {
  return call("GET", `/v1/receipts/${id}/proof`, { headers: { authorization: `Bearer ${apiKey}` } });
}

/** Until every receipt has reached its shard (runs the trees' alarms). */
export async function drained(apiKey: string, ids: string[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const stages = await Promise.all(ids.map(async (id) => (await proofOf(apiKey, id)).json.stage as string));
    const waiting = ids.filter((_, i) => stages[i] === "outbox");
    if (waiting.length === 0) return;
    for (const id of new Set(waiting.map((w) => treeKey(w)))) await runDurableObjectAlarm(E.SESSION_TREE.get(E.SESSION_TREE.idFromName(id)));
  }
  throw new Error("receipts did not leave the outbox");
}

/**
 * A clean Settlement for the next test (storage is shared by the tests of a file):
 * every shard seals what waits, the Settlement forgets its periods and starts its
 * cursors after every batch sealed so far, and its seams go back to the real ones.
 */
export async function resetSettlement(shards = 4): Promise<void> {
  const ends: number[] = [];
  for (let s = 0; s < shards; s++) {
    await ledger(s).seal(s);
    ends.push((await ledger(s).stats(s)).batches);
  }
  await runInDurableObject(settlementObject(), (instance: unknown, state) => {
    const sql = state.storage.sql;
    for (const table of ["periods", "batch_periods", "notices", "meta", "cursors"]) sql.exec(`DELETE FROM ${table}`);
    for (const [shard, next] of ends.entries()) sql.exec("INSERT INTO cursors (shard, next_batch) VALUES (?, ?)", shard, next);
    const s = instance as Record<string, unknown> & { clients: Map<string, unknown>; trees: Map<number, unknown> };
    delete s.anchorSettings;
    delete s.anchorClient;
    s.clients.clear();
    s.trees.clear();
  });
}
