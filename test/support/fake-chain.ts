/**
 * An in-memory chain with a mempool behind the AnchorClient interface, for the
 * Settlement object in workerd (the real chain, anvil, is in test/e2e). Mirrors the
 * RemitAnchor contract: write-once roots per period, owner only, `lastPeriod`.
 */
import type { Hex } from "viem";
import { AnchorRevertError, BroadcastRefusedError, type AnchorClient, type Fees, type PreparedTx, type TxStatus } from "../../durable-objects/settlement/anchor-client";

export class FakeChain implements AnchorClient {
  readonly account = "0x00000000000000000000000000000000000000aa" as const;
  readonly contract = "0x00000000000000000000000000000000000000cc" as const;
  confirmations = 1;
  /** Mine every broadcast at once (anvil's automine). */
  automine = true;
  down = false;
  owner = true;
  head = 100n;
  nonce = 0;
  roots = new Map<number, { root: Hex; count: bigint; hash: Hex; block: bigint }>();
  signed = new Map<Hex, { nonce: number; period: number; root: Hex; count: bigint; fees: Fees }>();
  pool = new Set<Hex>();
  receipts = new Map<Hex, { block: bigint; ok: boolean }>();
  broadcasts: Hex[] = [];
  private serial = 0;

  readonly publicClient = {
    readContract: async ({ functionName }: { functionName: string }) => {
      this.io();
      if (functionName !== "lastPeriod") throw new Error(`fake chain: ${functionName}`);
      return BigInt(Math.max(0, ...this.roots.keys()));
    },
  } as never;

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
    const r = this.roots.get(Number(period));
    return r ? { root: r.root, count: r.count } : null;
  }
  async suggestFees(): Promise<Fees> {
    this.io();
    return { maxFeePerGas: 2_000n, maxPriorityFeePerGas: 100n };
  }
  async nonces() {
    this.io();
    const pending = [...this.pool].map((h) => this.signed.get(h)!.nonce + 1);
    return { latest: this.nonce, pending: Math.max(this.nonce, ...pending) };
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
    const tx = this.signed.get(raw)!;
    if (this.pool.has(raw) || this.receipts.has(raw)) return raw;
    if (tx.nonce < this.nonce) throw new BroadcastRefusedError("nonce-too-low", "nonce too low");
    this.broadcasts.push(raw);
    for (const h of this.pool) if (this.signed.get(h)!.nonce === tx.nonce) this.pool.delete(h);
    this.pool.add(raw);
    if (this.automine) this.mine();
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
  /** One block with the pool's next-nonce transaction. */
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
  /** The node forgets a pending transaction (anvil_dropTransaction). */
  drop(hash: Hex): void {
    this.pool.delete(hash);
  }
  /** Transactions that anchored something. */
  landed(): Hex[] {
    return [...this.receipts.entries()].filter(([, r]) => r.ok).map(([h]) => h);
  }
}
