/**
 * One ledger shard (`shard-<n>`): receipts from the outboxes of the trees pinned
 * to it, an append-only RFC 9162 Merkle log, and the batches sealed from it.
 *
 * - `append` is idempotent by receipt id: a tree that crashed between sending and
 *   marking its outbox sends again, and the shard skips what it has (invariant 6).
 * - A batch is sealed when `LEDGER_BATCH_SIZE` receipts wait (in the same
 *   transaction as the append that filled it) or, on the alarm, when the oldest
 *   waiting receipt is `LEDGER_BATCH_SECONDS` old. A batch is its own RFC 9162
 *   tree (receipt → batch root, src/settlement/period.ts); the shard's log is the
 *   concatenation of its batches, and each batch records the log's size and root
 *   after it (a signed-tree-head of sorts, for consistency proofs).
 * - Sealed batches never change. The Settlement object reads them from a cursor
 *   (`sealedBatches`) and folds them into a period.
 */
import { DurableObject } from "cloudflare:workers";
import type { LedgerRpc } from "../../src/contract/settlement";
import { getMeta, setMeta } from "../shared/meta";
import { fromHex, hex } from "../../src/core/encoding";
import type { Env } from "../../src/contract/env";
import { ledgerSettings } from "../../src/core/settlement-config";
import { MerkleLog, MerkleTree, type MerkleLogState } from "../../src/core/receipts/merkle";
import type { LedgerEntry, AppendResult, SealedBatch, LedgerLocation, ShardStats } from "../../src/contract/settlement";
export type { LedgerEntry, AppendResult, SealedBatch, LedgerLocation, ShardStats } from "../../src/contract/settlement";






const LEAF = /^[0-9a-f]{64}$/;
const MAX_APPEND = 1000;
const MAX_LISTING = 1000;

export class Ledger extends DurableObject<Env> implements LedgerRpc {
  private readonly sql: SqlStorage;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS entries (
          n INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          tree TEXT NOT NULL,
          principal TEXT NOT NULL,
          seq INTEGER NOT NULL,
          leaf_hash TEXT NOT NULL,
          received_at INTEGER NOT NULL,
          batch INTEGER,
          pos INTEGER
        );
        CREATE INDEX IF NOT EXISTS entries_batch ON entries(batch, pos);
        CREATE TABLE IF NOT EXISTS batches (
          idx INTEGER PRIMARY KEY,
          root TEXT NOT NULL,
          size INTEGER NOT NULL,
          log_size INTEGER NOT NULL,
          log_root TEXT NOT NULL,
          principals TEXT NOT NULL,
          sealed_at INTEGER NOT NULL
        );
      `);
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ---------------------------------------------------------------- the trees' side

  /** Takes receipts from a tree's outbox; skips those it already has. Seals full batches. */
  append(shard: number, entries: LedgerEntry[]): AppendResult {
    this.claim(shard);
    if (!Array.isArray(entries) || entries.length > MAX_APPEND) throw new RangeError(`append takes at most ${MAX_APPEND} entries`);
    for (const e of entries) {
      if (
        typeof e?.id !== "string" ||
        !e.id.startsWith("rcp_") ||
        typeof e.tree !== "string" ||
        typeof e.principal !== "string" ||
        !Number.isSafeInteger(e.seq) ||
        typeof e.leaf_hash !== "string" ||
        !LEAF.test(e.leaf_hash)
      )
        throw new TypeError(`ledger: malformed entry ${JSON.stringify(e)?.slice(0, 200)}`);
    }
    const now = Date.now();
    const { batchSize } = ledgerSettings(this.env);
    const result = this.ctx.storage.transactionSync(() => {
      let accepted = 0;
      for (const e of entries) {
        const before = this.sql.exec("SELECT 1 FROM entries WHERE id = ?", e.id).toArray().length;
        if (before > 0) continue;
        this.sql.exec(
          "INSERT INTO entries (id, tree, principal, seq, leaf_hash, received_at) VALUES (?, ?, ?, ?, ?, ?)",
          e.id,
          e.tree,
          e.principal,
          e.seq,
          e.leaf_hash,
          now,
        );
        accepted++;
      }
      const sealed = this.sealOpen(now, batchSize, true).map((b) => b.index);
      return { shard, accepted, duplicates: entries.length - accepted, sealed };
    });
    this.planAlarm(now);
    return result;
  }

  // ---------------------------------------------------------------- the settlement's side

  /** Seals whatever waits, now (the operator's settle asks for this). */
  seal(shard: number): { shard: number; sealed: SealedBatch[] } {
    this.claim(shard);
    const now = Date.now();
    const { batchSize } = ledgerSettings(this.env);
    const sealed = this.ctx.storage.transactionSync(() => this.sealOpen(now, batchSize, false));
    this.planAlarm(now);
    return { shard, sealed };
  }

  /** Sealed batches from index `from` on, in order. */
  sealedBatches(shard: number, from: number, limit = MAX_LISTING): { shard: number; batches: SealedBatch[]; next: number; more: boolean } {
    this.claim(shard);
    const take = Math.max(1, Math.min(MAX_LISTING, Math.floor(limit)));
    const rows = this.sql
      .exec<BatchRow>("SELECT * FROM batches WHERE idx >= ? ORDER BY idx LIMIT ?", Math.max(0, Math.floor(from)), take + 1)
      .toArray();
    const more = rows.length > take;
    const batches = rows.slice(0, take).map((r) => this.batchView(shard, r));
    const next = batches.length > 0 ? batches[batches.length - 1]!.index + 1 : Math.max(0, Math.floor(from));
    return { shard, batches, next, more };
  }

  /** Where a receipt is: received, and once sealed its batch and inclusion path. */
  locate(shard: number, id: string): LedgerLocation | null {
    this.claim(shard);
    const e = this.sql
      .exec<{ received_at: number; batch: number | null; pos: number | null }>("SELECT received_at, batch, pos FROM entries WHERE id = ?", id)
      .toArray()[0];
    if (!e) return null;
    if (e.batch === null || e.pos === null) return { shard, received_at: e.received_at, batch: null };
    const b = this.sql.exec<BatchRow>("SELECT * FROM batches WHERE idx = ?", e.batch).one();
    const leaves = this.sql
      .exec<{ leaf_hash: string }>("SELECT leaf_hash FROM entries WHERE batch = ? ORDER BY pos", e.batch)
      .toArray()
      .map((r) => fromHex(r.leaf_hash));
    const tree = new MerkleTree(leaves);
    return {
      shard,
      received_at: e.received_at,
      batch: { index: b.idx, size: b.size, root: b.root, leaf_index: e.pos, path: tree.inclusionProof(e.pos).map(hex), sealed_at: b.sealed_at },
    };
  }

  stats(shard: number): ShardStats {
    this.claim(shard);
    const received = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM entries").one().n;
    const open = this.sql.exec<{ n: number; t: number | null }>("SELECT count(*) AS n, min(received_at) AS t FROM entries WHERE batch IS NULL").one();
    const batches = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM batches").one().n;
    const log = this.log();
    return { shard, received, open: open.n, oldest_open_at: open.t, batches, log_size: log.size, log_root: hex(log.root()) };
  }

  // ---------------------------------------------------------------- time

  /** Seals what has waited `LEDGER_BATCH_SECONDS`. At-least-once: sealing what is already sealed is a no-op. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    const { batchSize, batchSeconds } = ledgerSettings(this.env);
    this.ctx.storage.transactionSync(() => {
      const oldest = this.oldestOpen();
      if (oldest !== null && oldest + batchSeconds * 1000 <= now) this.sealOpen(now, batchSize, false);
    });
    this.planAlarm(now);
  }

  // ---------------------------------------------------------------- internals

  private claim(shard: number): void {
    if (!Number.isSafeInteger(shard) || shard < 0) throw new RangeError("ledger: shard must be a non-negative integer");
    const held = getMeta(this.sql, "shard");
    if (held === null) setMeta(this.sql, "shard", String(shard));
    else if (Number(held) !== shard) throw new Error(`ledger: this object is shard ${held}, not ${shard}`);
  }

  private log(): MerkleLog {
    const raw = getMeta(this.sql, "log");
    return raw ? MerkleLog.fromJSON(JSON.parse(raw) as MerkleLogState) : new MerkleLog();
  }

  private oldestOpen(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT min(received_at) AS t FROM entries WHERE batch IS NULL").one().t;
  }

  /** Seals batches of up to `size` from the waiting receipts, oldest first; with `onlyFull`, full ones only. */
  private sealOpen(now: number, size: number, onlyFull: boolean): SealedBatch[] {
    const out: SealedBatch[] = [];
    const shard = Number(getMeta(this.sql, "shard"));
    let log: MerkleLog | null = null;
    for (;;) {
      const rows = this.sql
        .exec<{ n: number; leaf_hash: string; principal: string }>(
          "SELECT n, leaf_hash, principal FROM entries WHERE batch IS NULL ORDER BY n LIMIT ?",
          size,
        )
        .toArray();
      if (rows.length === 0 || (onlyFull && rows.length < size)) break;
      log ??= this.log();
      const leaves = rows.map((r) => fromHex(r.leaf_hash));
      const root = hex(new MerkleTree(leaves).root);
      for (const leaf of leaves) log.append(leaf);
      const index = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM batches").one().n;
      rows.forEach((r, pos) => this.sql.exec("UPDATE entries SET batch = ?, pos = ? WHERE n = ?", index, pos, r.n));
      const principals = [...new Set(rows.map((r) => r.principal))].sort();
      const row: BatchRow = {
        idx: index,
        root,
        size: rows.length,
        log_size: log.size,
        log_root: hex(log.root()),
        principals: JSON.stringify(principals),
        sealed_at: now,
      };
      this.sql.exec(
        "INSERT INTO batches (idx, root, size, log_size, log_root, principals, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        row.idx,
        row.root,
        row.size,
        row.log_size,
        row.log_root,
        row.principals,
        row.sealed_at,
      );
      out.push(this.batchView(shard, row));
    }
    if (log) setMeta(this.sql, "log", JSON.stringify(log.toJSON()));
    return out;
  }

  /** An alarm when the oldest waiting receipt falls due; none when nothing waits. */
  private planAlarm(now: number): void {
    const oldest = this.oldestOpen();
    if (oldest === null) return; // a stale alarm finds nothing to do and plans nothing
    const at = Math.max(now, oldest + ledgerSettings(this.env).batchSeconds * 1000);
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  private batchView(shard: number, r: BatchRow): SealedBatch {
    return {
      shard,
      index: r.idx,
      root: r.root,
      size: r.size,
      log_size: r.log_size,
      log_root: r.log_root,
      principals: JSON.parse(r.principals) as string[],
      sealed_at: r.sealed_at,
    };
  }
}

interface BatchRow {
  idx: number;
  root: string;
  size: number;
  log_size: number;
  log_root: string;
  principals: string;
  sealed_at: number;
  [key: string]: SqlStorageValue;
}
