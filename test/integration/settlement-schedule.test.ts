/**
 * Time to verifiability, in workerd with a controllable clock (`vi.useFakeTimers({ toFake:
 * ["Date"] })` moves Date.now() inside the objects too) and the fake chain: the cron opens at
 * most one period per SETTLEMENT_INTERVAL_SECONDS (30 s in wrangler.toml's local vars) and
 * seals what the shards hold first; the proof route's `expected_by` and `overdue` follow the
 * schedule; a period late by more than an interval sends `settlement.delayed`, once.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { shardOf } from "../../src/core/settlement-config";
import { FakeChain } from "../support/fake-chain";
import { createPrincipal, grant } from "../support/harness";
import { drained, installChain, ledger, proofOf, resetSettlement, settlementObject, spend } from "../support/settlement";

const INTERVAL_MS = 30_000; // SETTLEMENT_INTERVAL_SECONDS (wrangler.toml, local)
const ALLOWANCE_MS = 10_000; // ANCHOR_CONFIRMATIONS = 1: 10 s, no extra blocks
const BUDGET = { budgets: [{ asset: "USD", amount: "1000000" }] };

async function spender(name = "Acme") {
  const p = await createPrincipal(name);
  const a = await grant(p.apiKey, { limits: BUDGET });
  return { p, a };
}

const cron = () => settlementObject().run({ trigger: "cron" });

/** A slot boundary well ahead of the real clock, so no object's real-time alarm fires during the test. */
function futureBoundary(): number {
  return (Math.floor(Date.now() / INTERVAL_MS) + 40) * INTERVAL_MS;
}

async function notices(type: string) {
  return runInDurableObject(settlementObject(), (_i, state) =>
    state.storage.sql.exec<{ principal: string; key: string; data: string }>("SELECT principal, key, data FROM notices WHERE type = ?", type).toArray(),
  );
}

describe("the settlement schedule", () => {
  beforeEach(() => resetSettlement());
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a cron run seals what the shards hold and opens at most one period per interval", async () => {
    const start = futureBoundary();
    vi.useFakeTimers({ toFake: ["Date"], now: start + 2_000 });
    const chain = new FakeChain();
    await installChain(chain);
    const { p, a } = await spender();
    const first = await spend(a, 2);
    await drained(p.apiKey, first);
    expect((await proofOf(p.apiKey, first[0]!)).json.stage).toBe("ledger");

    // The batch is neither full nor LEDGER_BATCH_SECONDS old: the cron seals it itself.
    const logs = vi.spyOn(console, "log");
    const one = await cron();
    expect(one).toMatchObject({ trigger: "cron", action: "anchored", sealed: 1, anchor: { period: 1, count: 2 } });
    expect(chain.broadcasts).toHaveLength(1);
    // One JSON line per step, without the RPC URL or the key.
    const lines = logs.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith('{"msg":"settlement"'));
    logs.mockRestore();
    const steps = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(steps.map((l) => l.step)).toEqual(["seal", "open", "signed", "sent", "anchored", "finalize"]);
    expect(steps[0]).toMatchObject({ level: "info", trigger: "cron", step: "seal", count: 1 });
    expect(steps[1]).toMatchObject({ step: "open", period: 1, count: 2, lag_s: 0 });
    expect(steps[5]).toMatchObject({ step: "finalize", period: 1, tx: chain.broadcasts[0], nonce: 0, gas_used: "50000", confirmations: 1 });
    for (const l of steps)
      expect(Object.keys(l)).toEqual(
        expect.arrayContaining(["msg", "level", "trigger", "step", "period", "count", "tx", "nonce", "gas_used", "confirmations", "lag_s", "duration_ms"]),
      );
    expect(lines.join("\n")).not.toMatch(/fake-chain|11111111/);

    // Later in the same interval: new receipts wait, nothing is sent.
    vi.setSystemTime(start + 20_000);
    const second = await spend(a, 1);
    await drained(p.apiKey, second);
    const idle = await cron();
    expect(idle).toMatchObject({ trigger: "cron", action: "idle", anchor: null });
    expect(idle.detail).toBe(`a period opened in this interval; the next opens from ${new Date(start + INTERVAL_MS).toISOString()}`);
    expect(chain.broadcasts).toHaveLength(1);
    expect((await proofOf(p.apiKey, second[0]!)).json.stage).toBe("ledger");

    // The next interval: one more period, one more transaction.
    vi.setSystemTime(start + INTERVAL_MS + 500);
    expect(await cron()).toMatchObject({ action: "anchored", sealed: 1, anchor: { period: 2, count: 1 } });
    expect(chain.broadcasts).toHaveLength(2);
    expect((await proofOf(p.apiKey, second[0]!)).json).toMatchObject({ stage: "anchored", status: "anchored", expected_by: null, overdue: false });
  });

  it("the proof route answers expected_by from the schedule and overdue past it; a late period sends settlement.delayed once", async () => {
    const start = futureBoundary();
    vi.useFakeTimers({ toFake: ["Date"], now: start + 3_000 });
    const chain = new FakeChain();
    chain.automine = false;
    await installChain(chain);
    const { p, a } = await spender("Clockwork");
    const [id] = await spend(a, 1);
    await drained(p.apiKey, [id!]);

    // In the ledger at start + 3 s: the next opening is start + 30 s, plus the allowance.
    const inLedger = (await proofOf(p.apiKey, id!)).json;
    expect(inLedger).toMatchObject({ stage: "ledger", status: "pending", expected_by: new Date(start + INTERVAL_MS + ALLOWANCE_MS).toISOString(), overdue: false });
    // Sealed early (the operator's seal): the estimate stays the next opening after it reached the ledger.
    const shard = shardOf(a.session.tree, 4);
    await ledger(shard).seal(shard);
    expect((await proofOf(p.apiKey, id!)).json).toMatchObject({
      stage: "sealed",
      expected_by: new Date(start + INTERVAL_MS + ALLOWANCE_MS).toISOString(),
      overdue: false,
    });

    // No run came (a missed cron): past expected_by it is overdue.
    vi.setSystemTime(start + INTERVAL_MS + ALLOWANCE_MS + 1_000);
    expect((await proofOf(p.apiKey, id!)).json).toMatchObject({
      stage: "sealed",
      expected_by: new Date(start + INTERVAL_MS + ALLOWANCE_MS).toISOString(),
      overdue: true,
    });

    // The cron opens its period at start + 41 s; the transaction is not mined.
    const openedAt = start + INTERVAL_MS + ALLOWANCE_MS + 1_000;
    expect(await cron()).toMatchObject({ action: "waiting", anchor: { period: 1, status: "pending" } });
    expect((await proofOf(p.apiKey, id!)).json).toMatchObject({ stage: "anchoring", expected_by: new Date(openedAt + ALLOWANCE_MS).toISOString(), overdue: false });
    vi.setSystemTime(openedAt + ALLOWANCE_MS + 1);
    expect((await proofOf(p.apiKey, id!)).json).toMatchObject({ stage: "anchoring", overdue: true });

    // Late, but by less than one interval: no alert yet.
    vi.setSystemTime(openedAt + ALLOWANCE_MS + INTERVAL_MS);
    await settlementObject().run({ trigger: "alarm" });
    expect(await notices("settlement.delayed")).toEqual([]);

    // Late by more than one interval: every principal of the period hears of it, once.
    vi.setSystemTime(openedAt + ALLOWANCE_MS + INTERVAL_MS + 1_000);
    await settlementObject().run({ trigger: "alarm" });
    const delayed = await notices("settlement.delayed");
    expect(delayed.map((n) => [n.principal, n.key])).toEqual([[p.id, "1:delayed"]]);
    expect(JSON.parse(delayed[0]!.data)).toEqual({
      period: "1",
      late_seconds: 31,
      expected_by: new Date(openedAt + ALLOWANCE_MS).toISOString(),
      stage: "sent",
    });
    // (Still short of ANCHOR_REPLACE_AFTER_SECONDS, so no replacement transaction either.)
    vi.setSystemTime(openedAt + ALLOWANCE_MS + INTERVAL_MS + 9_000);
    await cron();
    expect(await notices("settlement.delayed")).toHaveLength(1);

    // Mined at last: anchored, nothing expected any more.
    chain.mine();
    expect(await cron()).toMatchObject({ action: "anchored", anchor: { period: 1 } });
    expect((await proofOf(p.apiKey, id!)).json).toMatchObject({ stage: "anchored", status: "anchored", expected_by: null, overdue: false });
    expect(chain.broadcasts).toHaveLength(1);
  });
});
