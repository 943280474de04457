/**
 * One ledger shard (`shard-<n>`) and its RPC surface: receipts from the outboxes of
 * the trees pinned to it (intake.ts), an append-only RFC 9162 Merkle log, and the
 * batches sealed from it (seal.ts), read by the Settlement object (reads.ts).
 *
 * - `append` is idempotent by receipt id (invariant 6).
 * - A batch is sealed when `LEDGER_BATCH_SIZE` receipts wait (in the same
 *   transaction as the append that filled it) or, on the alarm (alarm.ts), when the
 *   oldest waiting receipt is `LEDGER_BATCH_SECONDS` old. The shard's log is the
 *   concatenation of its batches.
 * - Sealed batches never change. The Settlement object reads them from a cursor
 *   (`sealedBatches`) and folds them into a period.
 */
import { DurableObject } from "cloudflare:workers";
import type { LedgerRpc } from "../../src/contract/rpc";
import type { Env } from "../../src/contract/env";
import type { AppendResult, LedgerEntry, LedgerLocation, SealedBatch, ShardStats } from "../../src/contract/settlement";
import { ledgerSettings } from "../../src/core/settlement-config";
import { planAlarm } from "./alarm";
import { claim } from "./claim";
import { checkEntries, insertEntries } from "./intake";
import { locate, MAX_LISTING, sealedBatches, stats } from "./reads";
import { migrate } from "./schema";
import { oldestOpen, sealOpen } from "./seal";
export type { LedgerEntry, AppendResult, SealedBatch, LedgerLocation, ShardStats } from "../../src/contract/settlement";

export class Ledger extends DurableObject<Env> implements LedgerRpc {
  private readonly sql: SqlStorage;
  /** The alarm time this object has set, so it is only ever moved earlier. */
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql);
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ---------------------------------------------------------------- the trees' side

  /** Takes receipts from a tree's outbox; skips those it already has. Seals full batches. */
  append(shard: number, entries: LedgerEntry[]): AppendResult {
    claim(this.sql, shard);
    checkEntries(entries);
    const now = Date.now();
    const { batchSize } = ledgerSettings(this.env);
    const result = this.ctx.storage.transactionSync(() => {
      const accepted = insertEntries(this.sql, entries, now);
      const sealed = sealOpen(this.sql, now, batchSize, true).map((b) => b.index);
      return { shard, accepted, duplicates: entries.length - accepted, sealed };
    });
    this.planAlarm(now);
    return result;
  }

  // ---------------------------------------------------------------- the settlement's side

  /** Seals whatever waits, now (the operator's settle asks for this). */
  seal(shard: number): { shard: number; sealed: SealedBatch[] } {
    claim(this.sql, shard);
    const now = Date.now();
    const { batchSize } = ledgerSettings(this.env);
    const sealed = this.ctx.storage.transactionSync(() => sealOpen(this.sql, now, batchSize, false));
    this.planAlarm(now);
    return { shard, sealed };
  }

  /** Sealed batches from index `from` on, in order. */
  sealedBatches(shard: number, from: number, limit = MAX_LISTING): { shard: number; batches: SealedBatch[]; next: number; more: boolean } {
    claim(this.sql, shard);
    return sealedBatches(this.sql, shard, from, limit);
  }

  /** Where a receipt is: received, and once sealed its batch and inclusion path. */
  locate(shard: number, id: string): LedgerLocation | null {
    claim(this.sql, shard);
    return locate(this.sql, shard, id);
  }

  stats(shard: number): ShardStats {
    claim(this.sql, shard);
    return stats(this.sql, shard);
  }

  // ---------------------------------------------------------------- time

  /** Seals what has waited `LEDGER_BATCH_SECONDS`. At-least-once: sealing what is already sealed is a no-op. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    const { batchSize, batchSeconds } = ledgerSettings(this.env);
    this.ctx.storage.transactionSync(() => {
      const oldest = oldestOpen(this.sql);
      if (oldest !== null && oldest + batchSeconds * 1000 <= now) sealOpen(this.sql, now, batchSize, false);
    });
    this.planAlarm(now);
  }

  private planAlarm(now: number): void {
    this.alarmAt = planAlarm(this.ctx.storage, this.env, now, this.alarmAt);
  }
}
