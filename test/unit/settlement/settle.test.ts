import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import {
  AnchorRevertError,
  BroadcastRefusedError,
  bumpFees,
  type AnchorClient,
  type Fees,
  type PreparedTx,
  type TxStatus,
} from "../../../durable-objects/settlement/anchor-client";
import { decide, newAnchorRecord, settle, settleStep, type AnchorRecord, type Observation } from "../../../durable-objects/settlement/settle";

const ROOT = `0x${"ab".repeat(32)}` as Hex;
const OTHER = `0x${"cd".repeat(32)}` as Hex;
const opts = { confirmations: 2, replaceAfterMs: 60_000 };
const obs = (o: Partial<Observation> = {}): Observation => ({ now: 1_000_000, onChain: null, landed: null, tx: null, nonces: null, ...o });
const sent = (o: Partial<AnchorRecord> = {}): AnchorRecord => ({
  ...newAnchorRecord(7, ROOT, 3),
  status: "sent",
  hash: "0x01",
  nonce: 4,
  raw: "0x01",
  sentAt: 990_000,
  ...o,
});

describe("decide (pure)", () => {
  it("the contract is read first: our root there means never send again", () => {
    const landed = { hash: "0x01" as Hex, block: 10n, confirmations: 1 };
    for (const status of ["new", "signed", "sent", "mined"] as const) {
      const r = { ...sent(), status };
      expect(decide(r, obs({ onChain: { root: ROOT, count: 3n }, landed }), opts)).toMatchObject({ kind: "confirming" });
      expect(decide(r, obs({ onChain: { root: ROOT, count: 3n }, landed: { ...landed, confirmations: 2 } }), opts)).toMatchObject({ kind: "anchored" });
      expect(decide(r, obs({ onChain: { root: ROOT, count: 3n } }), opts)).toMatchObject({ kind: "wait" });
      expect(decide(r, obs({ onChain: { root: OTHER, count: 3n } }), opts)).toEqual({ kind: "conflict", root: OTHER });
    }
  });

  it("root comparison ignores hex case", () => {
    const landed = { hash: "0x01" as Hex, block: 10n, confirmations: 5 };
    expect(decide(sent(), obs({ onChain: { root: ROOT.toUpperCase().replace("0X", "0x") as Hex, count: 3n }, landed }), opts).kind).toBe("anchored");
  });

  it("new → sign; signed → broadcast", () => {
    expect(decide(newAnchorRecord(7, ROOT, 3), obs(), opts)).toEqual({ kind: "sign", replace: false });
    expect(decide(sent({ status: "signed" }), obs(), opts)).toEqual({ kind: "broadcast" });
  });

  it.each<[string, TxStatus, Observation["nonces"], number, string]>([
    ["pending, recent", { state: "pending" }, null, 1_000_000, "wait"],
    ["pending, stuck", { state: "pending" }, null, 990_000 + 60_000, "sign/replace"],
    ["mined, root not visible yet", { state: "mined", block: 1n, confirmations: 1, gasUsed: 1n }, null, 1_000_000, "wait"],
    ["reverted", { state: "reverted", block: 1n, gasUsed: 1n }, null, 1_000_000, "sign/fresh"],
    ["dropped, nonce free", { state: "dropped" }, { latest: 4, pending: 4 }, 1_000_000, "sign/replace"],
    ["dropped, nonce taken by another tx", { state: "dropped" }, { latest: 5, pending: 5 }, 1_000_000, "sign/fresh"],
  ])("sent and %s → %s", (_name, tx, nonces, now, expected) => {
    const d = decide(sent(), obs({ tx, nonces, now }), opts);
    const got = d.kind === "sign" ? `sign/${d.replace ? "replace" : "fresh"}` : d.kind;
    expect(got).toBe(expected);
  });

  it("newAnchorRecord normalizes and checks", () => {
    expect(newAnchorRecord(1, new Uint8Array(32).fill(0xab), 2).root).toBe(ROOT);
    expect(newAnchorRecord(1, ROOT.toUpperCase().replace("0X", "0x") as Hex, 2).root).toBe(ROOT);
    expect(() => newAnchorRecord(1, `0x${"00".repeat(32)}`, 2)).toThrow();
    expect(() => newAnchorRecord(1, "0x1234", 2)).toThrow();
    expect(() => newAnchorRecord(-1, ROOT, 2)).toThrow();
  });

  it("bumpFees: at least the percentage, at least today's fees", () => {
    const old: Fees = { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n };
    expect(bumpFees(old, { maxFeePerGas: 50n, maxPriorityFeePerGas: 1n })).toEqual({ maxFeePerGas: 125n, maxPriorityFeePerGas: 13n });
    expect(bumpFees(old, { maxFeePerGas: 500n, maxPriorityFeePerGas: 40n })).toEqual({ maxFeePerGas: 500n, maxPriorityFeePerGas: 40n });
  });
});

/** An in-memory chain with a mempool, behind the AnchorClient interface. */
class FakeChain implements AnchorClient {
  readonly account = "0x00000000000000000000000000000000000000aa" as const;
  readonly contract = "0x00000000000000000000000000000000000000cc" as const;
  readonly publicClient = null as never;
  confirmations = 2;
  down = false;
  owner = true;
  head = 100n;
  nonce = 0; // mined
  roots = new Map<number, { root: Hex; count: bigint; hash: Hex; block: bigint }>();
  signed = new Map<Hex, { nonce: number; period: number; root: Hex; count: bigint; fees: Fees }>();
  pool = new Set<Hex>();
  receipts = new Map<Hex, { block: bigint; ok: boolean }>();
  broadcasts = 0;
  /** readRoot answers null this many times (a lagging node / a race). */
  staleReads = 0;
  private serial = 0;

  private io(): void {
    if (this.down) throw new Error("fetch failed: ECONNREFUSED");
  }
  async chainId() {
    this.io();
    return 31337;
  }
  async blockNumber() {
    this.io();
    return this.head;
  }
  async readRoot(period: number | bigint) {
    this.io();
    if (this.staleReads > 0) {
      this.staleReads--;
      return null;
    }
    const r = this.roots.get(Number(period));
    return r ? { root: r.root, count: r.count } : null;
  }
  async suggestFees(): Promise<Fees> {
    this.io();
    return { maxFeePerGas: 2_000n, maxPriorityFeePerGas: 100n };
  }
  async nonces() {
    this.io();
    const pending = [...this.pool].map((h) => this.signed.get(h)!.nonce);
    return { latest: this.nonce, pending: Math.max(this.nonce, ...pending.map((n) => n + 1)) };
  }
  async prepare(period: number | bigint, root: Hex, count: number | bigint, o: { nonce?: number; fees?: Fees; gas?: bigint } = {}): Promise<PreparedTx> {
    this.io();
    if (!this.owner) throw new AnchorRevertError("NotOwner", [this.account]);
    const held = this.roots.get(Number(period));
    if (held) throw new AnchorRevertError("AlreadyAnchored", [period, held.root]);
    const nonce = o.nonce ?? (await this.nonces()).pending;
    const fees = o.fees ?? (await this.suggestFees());
    const hash = `0x${(++this.serial).toString(16).padStart(64, "0")}` as Hex;
    this.signed.set(hash, { nonce, period: Number(period), root, count: BigInt(count), fees });
    return { hash, nonce, gas: o.gas ?? 60_000n, raw: hash, ...fees };
  }
  async broadcast(raw: Hex): Promise<Hex> {
    this.io();
    this.broadcasts++;
    const tx = this.signed.get(raw)!;
    if (this.pool.has(raw) || this.receipts.has(raw)) return raw;
    if (tx.nonce < this.nonce) throw new BroadcastRefusedError("nonce-too-low", "nonce too low");
    for (const h of this.pool) {
      const other = this.signed.get(h)!;
      if (other.nonce === tx.nonce) {
        if (tx.fees.maxFeePerGas < (other.fees.maxFeePerGas * 110n) / 100n) throw new BroadcastRefusedError("underpriced", "replacement transaction underpriced");
        this.pool.delete(h);
      }
    }
    this.pool.add(raw);
    return raw;
  }
  async submit(period: number | bigint, root: Hex, count: number | bigint) {
    const tx = await this.prepare(period, root, count);
    await this.broadcast(tx.raw);
    return tx;
  }
  async checkTransaction(hash: Hex): Promise<TxStatus> {
    this.io();
    const r = this.receipts.get(hash);
    if (r)
      return r.ok
        ? { state: "mined", block: r.block, confirmations: Number(this.head - r.block) + 1, gasUsed: 50_000n }
        : { state: "reverted", block: r.block, gasUsed: 30_000n };
    return this.pool.has(hash) ? { state: "pending" } : { state: "dropped" };
  }
  async findAnchorTx(period: number | bigint) {
    this.io();
    const r = this.roots.get(Number(period));
    return r ? { hash: r.hash, block: r.block } : null;
  }
  /** Mines one block with every pool transaction whose nonce is next. */
  mine(): void {
    this.head++;
    for (const h of [...this.pool].sort((a, b) => this.signed.get(a)!.nonce - this.signed.get(b)!.nonce)) {
      const tx = this.signed.get(h)!;
      if (tx.nonce !== this.nonce) continue;
      this.pool.delete(h);
      this.nonce++;
      const ok = !this.roots.has(tx.period);
      if (ok) this.roots.set(tx.period, { root: tx.root, count: tx.count, hash: h, block: this.head });
      this.receipts.set(h, { block: this.head, ok });
    }
  }
  /** Someone else (same key, another process) uses the next nonce. */
  burnNonce(): void {
    this.nonce++;
  }
}

async function run(chain: FakeChain, record: AnchorRecord, steps: number, now = () => 0): Promise<AnchorRecord> {
  let r = record;
  for (let i = 0; i < steps; i++) r = (await settleStep(chain, r, { now })).record;
  return r;
}

describe("settleStep against an in-memory chain", () => {
  it("happy path: sign, broadcast, mined, confirmations, anchored — one transaction", async () => {
    const chain = new FakeChain();
    let r = newAnchorRecord(7, ROOT, 3);
    const actions: string[] = [];
    for (let i = 0; i < 8 && r.status !== "anchored"; i++) {
      const step = await settleStep(chain, r, { now: () => 0 });
      actions.push(step.action);
      r = step.record;
      if (step.action === "sent" || step.action === "confirming") chain.mine();
    }
    expect(actions).toEqual(["signed", "sent", "confirming", "anchored"]);
    expect(r).toMatchObject({ status: "anchored", tx: r.hash, confirmations: 2, attempts: 1 });
    expect(chain.receipts.size).toBe(1);
    expect((await settleStep(chain, r)).done).toBe(true);
  });

  it("a different root on chain is a conflict, and nothing is sent", async () => {
    const chain = new FakeChain();
    chain.roots.set(7, { root: OTHER, count: 1n, hash: "0x99", block: 5n });
    const step = await settleStep(chain, newAnchorRecord(7, ROOT, 3));
    expect(step).toMatchObject({ action: "conflict", done: true, record: { status: "conflict", conflictRoot: OTHER } });
    expect(chain.signed.size).toBe(0);
  });

  it("dropped → re-signed with the same nonce and bumped fees → lands once", async () => {
    const chain = new FakeChain();
    let r = await run(chain, newAnchorRecord(7, ROOT, 3), 2); // signed, sent
    const first = r.hash!;
    chain.pool.delete(first); // dropped
    const step = await settleStep(chain, r, { now: () => 0 });
    expect(step.action).toBe("signed");
    r = step.record;
    expect(r.nonce).toBe(chain.signed.get(first)!.nonce);
    expect(BigInt(r.maxFeePerGas!)).toBeGreaterThan(chain.signed.get(first)!.fees.maxFeePerGas);
    expect(r.hashes).toEqual([first, r.hash]);
    r = await run(chain, r, 1);
    chain.mine();
    chain.mine();
    r = await run(chain, r, 1);
    expect(r.status).toBe("anchored");
    expect(r.tx).toBe(r.hash);
    expect([...chain.receipts.values()].filter((x) => x.ok)).toHaveLength(1);
  });

  it("stuck pending → replaced after replaceAfterMs; if the old one lands anyway, it is found and nothing else sent", async () => {
    const chain = new FakeChain();
    let clock = 0;
    let r = await run(chain, newAnchorRecord(7, ROOT, 3), 2, () => clock);
    const first = r.hash!;
    clock = 200_000;
    r = await run(chain, r, 1, () => clock); // signed replacement
    expect(r.status).toBe("signed");
    expect(r.hash).not.toBe(first);
    // the original is mined before the replacement is broadcast
    chain.mine();
    const step = await settleStep(chain, r, { now: () => clock });
    expect(step.action).toBe("confirming");
    expect(step.record.tx).toBe(first);
    expect(chain.broadcasts).toBe(1);
  });

  it("the nonce went to another transaction → signs with a fresh nonce", async () => {
    const chain = new FakeChain();
    let r = await run(chain, newAnchorRecord(7, ROOT, 3), 2);
    chain.pool.delete(r.hash!);
    chain.burnNonce();
    r = (await settleStep(chain, r)).record;
    expect(r.status).toBe("signed");
    expect(r.nonce).toBe(1);
  });

  it("RPC down: retryable error, record intact; then it finishes", async () => {
    const chain = new FakeChain();
    let r = await run(chain, newAnchorRecord(7, ROOT, 3), 1); // signed
    chain.down = true;
    const step = await settleStep(chain, r);
    expect(step).toMatchObject({ action: "error", retryable: true, done: false });
    const { error, ...rest } = step.record;
    expect(error).toMatch(/ECONNREFUSED/);
    expect(rest).toEqual(r);
    chain.down = false;
    r = await run(chain, step.record, 1);
    expect(r.status).toBe("sent");
    expect(r.error).toBeUndefined();
  });

  it("crash after signing (hash persisted, never broadcast): re-broadcasts the same bytes, no second transaction", async () => {
    const chain = new FakeChain();
    const r = await run(chain, newAnchorRecord(7, ROOT, 3), 1);
    const again = await settleStep(chain, { ...r });
    expect(again.action).toBe("sent");
    expect(again.record.hash).toBe(r.hash);
    expect(chain.signed.size).toBe(1);
  });

  it("crash with the root already on chain under a hash the record lost: found by the event, never sent", async () => {
    const chain = new FakeChain();
    const r = await run(chain, newAnchorRecord(7, ROOT, 3), 2);
    chain.mine();
    chain.mine();
    const lost: AnchorRecord = { ...newAnchorRecord(7, ROOT, 3), status: "signed", hash: "0xdead", raw: "0xdead" };
    const step = await settleStep(chain, lost);
    expect(step).toMatchObject({ action: "anchored", record: { status: "anchored", tx: r.hash } });
    expect(chain.signed.size).toBe(1);
  });

  it("NotOwner is terminal (failed); AlreadyAnchored at simulation is retried", async () => {
    const chain = new FakeChain();
    chain.owner = false;
    const step = await settleStep(chain, newAnchorRecord(7, ROOT, 3));
    expect(step).toMatchObject({ action: "failed", done: true, record: { status: "failed" } });
    expect(step.record.error).toMatch(/NotOwner/);

    const raced = new FakeChain();
    raced.roots.set(7, { root: ROOT, count: 3n, hash: "0x77", block: 100n });
    raced.staleReads = 1;
    const first = await settleStep(raced, newAnchorRecord(7, ROOT, 3));
    expect(first).toMatchObject({ action: "error", retryable: true, record: { status: "new" } });
    expect(first.record.error).toMatch(/AlreadyAnchored/);
    raced.mine();
    const second = await settleStep(raced, first.record);
    expect(second).toMatchObject({ action: "anchored", record: { tx: "0x77", confirmations: 2 } });
  });

  it("underpriced replacement counts as dropped and is bumped again", async () => {
    const chain = new FakeChain();
    let r = await run(chain, newAnchorRecord(7, ROOT, 3), 2);
    // a replacement with too-low fees (e.g. a tiny bump percentage)
    const weak = await chain.prepare(7, ROOT, 3, { nonce: r.nonce!, fees: { maxFeePerGas: 2_001n, maxPriorityFeePerGas: 100n } });
    r = { ...r, status: "signed", hash: weak.hash, raw: weak.raw, maxFeePerGas: "2001", maxPriorityFeePerGas: "100" };
    const step = await settleStep(chain, r);
    expect(step.record.status).toBe("sent");
    expect(step.record.error).toMatch(/underpriced/);
    r = step.record;
    r = (await settleStep(chain, r)).record; // dropped (not in pool) → replace with bump
    expect(r.status).toBe("signed");
    r = (await settleStep(chain, r)).record;
    expect(r.status).toBe("sent");
  });

  it("settle() loops until there is nothing to do now, persisting every record", async () => {
    const chain = new FakeChain();
    const saved: AnchorRecord[] = [];
    const out = await settle(chain, newAnchorRecord(7, ROOT, 3), { persist: (x) => void saved.push(x) });
    expect(out.action).toBe("waiting"); // pending in the pool
    expect(saved.map((x) => x.status)).toEqual(["signed", "sent"]);
    chain.mine();
    chain.mine();
    const done = await settle(chain, out.record, { persist: (x) => void saved.push(x) });
    expect(done).toMatchObject({ action: "anchored", done: true });
  });
});
