/**
 * The settlement engine: one object (`idFromName("settlement")`) that folds the
 * batches sealed by every ledger shard since the last anchor into one period and
 * anchors the period root on chain with one transaction (src/settlement/settle.ts).
 *
 * Periods are numbered 1, 2, 3 … (the `period` of `RemitAnchor.anchor`). A period is
 * the batches taken from each shard's cursor onwards, ordered by (shard, batch index);
 * its root is `periodTree(batch roots)` (src/settlement/period.ts). Taking the batches,
 * fixing the root and advancing the cursors is one transaction, so each sealed batch
 * belongs to exactly one period.
 *
 * Anchoring is the persisted state machine of settle.ts: the AnchorRecord is written
 * before every broadcast, every step reads the contract first, so after a crash the
 * object finds out from the chain whether its transaction landed instead of sending
 * a second one; an RPC outage leaves the record as it was and the next run (alarm,
 * cron or the operator's POST /v1/admin/settle) carries on. Runs are serialized in
 * the object; no decision is kept in memory across an outbound call.
 *
 * If a period number on chain already holds another root (a chain reused under a
 * fresh service state), the same batches move to the next free period number.
 */
import { DurableObject } from "cloudflare:workers";
import type { SettlementRpc } from "../../src/contract/settlement";
import type { Hex } from "viem";
import { fromHex, hex } from "../../src/core/encoding";
import type { Env } from "../../src/contract/env";
import type { EventType } from "../../src/core/webhooks/events";
import { ANCHOR_ABI } from "../../src/core/receipts/anchor-artifact";
import { createAnchorClient, type AnchorClient, type AnchorClientConfig } from "./anchor-client";
import { anchorSettings as readAnchorSettings, cleanError, ledgerSettings, type AnchorSettings } from "../../src/core/settlement-config";
import type { MerkleTree } from "../../src/core/receipts/merkle";
import { ledgerStub } from "../../src/contract/stubs";
import { periodTree } from "../../src/core/receipts/period";
import { newAnchorRecord, settle, type AnchorRecord, type StepResult } from "./settle";
import type { SealedBatch, ShardStats } from "../../src/contract/settlement";
import { deleteMeta, getMeta, setMeta } from "../shared/meta";
import type { RunTrigger, AnchorViewStatus, AnchorView, BatchInPeriod, RunAction, SettlementRun, SettlementStatus } from "../../src/contract/settlement";
export type { RunTrigger, AnchorViewStatus, AnchorView, BatchInPeriod, RunAction, SettlementRun, SettlementStatus } from "../../src/contract/settlement";








/** A retryable error persisting this long becomes a `settlement.failed` webhook (once per period). */
export const STALLED_AFTER_MS = 15 * 60_000;
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 5 * 60_000;
const NOTICE_RETRY_MS = 30_000;

interface PeriodRow {
  period: number;
  root: string;
  count: number;
  batches: string;
  principals: string;
  record: string;
  status: string;
  contract: string;
  chain_id: number | null;
  created_at: number;
  anchored_at: number | null;
  error_since: number | null;
  superseded_by: number | null;
  gas_used: string | null;
  [key: string]: SqlStorageValue;
}

/** [shard, batch index, root hex, size] */
type BatchRef = [number, number, string, number];

export class Settlement extends DurableObject<Env> implements SettlementRpc {
  private readonly sql: SqlStorage;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly clients = new Map<string, AnchorClient>();
  private readonly trees = new Map<number, MerkleTree>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS cursors (shard INTEGER PRIMARY KEY, next_batch INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS periods (
          period INTEGER PRIMARY KEY,
          root TEXT NOT NULL,
          count INTEGER NOT NULL,
          batches TEXT NOT NULL,
          principals TEXT NOT NULL,
          record TEXT NOT NULL,
          status TEXT NOT NULL,
          contract TEXT NOT NULL,
          chain_id INTEGER,
          created_at INTEGER NOT NULL,
          anchored_at INTEGER,
          error_since INTEGER,
          superseded_by INTEGER,
          gas_used TEXT
        );
        CREATE INDEX IF NOT EXISTS periods_status ON periods(status, period);
        CREATE TABLE IF NOT EXISTS batch_periods (
          shard INTEGER NOT NULL,
          batch INTEGER NOT NULL,
          period INTEGER NOT NULL,
          position INTEGER NOT NULL,
          PRIMARY KEY (shard, batch)
        );
        CREATE TABLE IF NOT EXISTS notices (
          principal TEXT NOT NULL,
          type TEXT NOT NULL,
          key TEXT NOT NULL,
          data TEXT NOT NULL,
          sent INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          PRIMARY KEY (principal, type, key)
        );
        CREATE INDEX IF NOT EXISTS notices_unsent ON notices(sent, created_at);
      `);
    });
  }

  // ---------------------------------------------------------------- runs

  /**
   * One settlement run: continue the period in progress, or open one from the
   * batches sealed since the last anchor, and step its anchoring as far as it goes
   * now. Runs never overlap (they queue). `seal` first asks every shard to seal
   * what waits (the operator's settle).
   */
  run(options: { trigger: RunTrigger; seal?: boolean }): Promise<SettlementRun> {
    const next = this.queue.then(() => this.runOnce(options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  override async alarm(): Promise<void> {
    await this.run({ trigger: "alarm" });
  }

  private async runOnce(options: { trigger: RunTrigger; seal?: boolean }): Promise<SettlementRun> {
    const trigger = options.trigger;
    const sealed = options.seal ? await this.sealShards() : undefined;
    const base = { object: "settlement_run" as const, trigger, ...(sealed === undefined ? {} : { sealed }) };
    const settings = this.anchorSettings();
    if (settings.state !== "ready") {
      const row = this.openRow();
      return { ...base, action: settings.state, detail: settings.reason, anchor: row ? this.view(row) : null };
    }
    const client = this.anchorClient(settings.client);

    let row = this.openRow();
    // Only the cron and the operator open periods; the alarm carries on what is under way
    // (so batches gather for a whole cron interval, and each interval costs one transaction).
    if (!row && trigger !== "alarm") row = await this.openPeriod(settings.client.contract);
    if (!row) {
      await this.sendNotices();
      this.planAlarm(null);
      return { ...base, action: "idle", detail: trigger === "alarm" ? "nothing under way" : "no batch sealed since the last anchor", anchor: null };
    }

    let result: StepResult | null = null;
    try {
      if (row.chain_id === null) {
        const chainId = await client.chainId();
        this.sql.exec("UPDATE periods SET chain_id = ? WHERE period = ?", chainId, row.period);
        row = this.row(row.period)!;
      }
      for (let i = 0; i < 4; i++) {
        let record = JSON.parse(row.record) as AnchorRecord;
        if (record.status === "conflict") {
          row = await this.reassign(client, row);
          continue;
        }
        if (record.status === "failed") {
          // Configuration trouble last time (NotOwner, ZeroRoot): try again, from the chain's point of view.
          record = { ...record, status: "new" };
          delete record.error;
          this.saveRecord(row.period, record);
        }
        const period: number = row.period;
        // An anchored record returns at once (a crash came between persisting it and finalizing).
        result = await settle(client, record, {
          persist: (r) => this.saveRecord(period, r),
          replaceAfterMs: settings.replaceAfterMs,
        });
        row = this.row(period)!;
        if (result.record.status !== "conflict") break;
      }
    } catch (err) {
      // Reading the chain id or the contract's last period failed: the RPC is away.
      const message = cleanError(err instanceof Error ? err.message : String(err));
      result = { record: JSON.parse(row.record) as AnchorRecord, action: "error", done: false, retryable: true, waitMs: RETRY_BASE_MS, detail: message };
    }
    result ??= { record: JSON.parse(row.record) as AnchorRecord, action: "waiting", done: false, retryable: false, waitMs: RETRY_BASE_MS };
    const step = result;
    const now = Date.now();
    let action: RunAction;
    switch (step.record.status) {
      case "anchored":
        await this.finalize(client, row, step.record, now);
        action = "anchored";
        break;
      case "failed":
        this.notify(row, "settlement.failed", String(row.period), { period: String(row.period), reason: cleanError(step.record.error ?? "anchoring failed") });
        action = "failed";
        break;
      default:
        if (step.action === "error") {
          action = "error";
          this.noteError(row, cleanError(step.detail ?? step.record.error ?? "RPC error"), now);
        } else {
          this.clearError(row.period);
          action = step.record.status === "mined" ? "confirming" : step.action === "signed" || step.action === "sent" ? step.action : "waiting";
        }
    }
    await this.sendNotices();
    const fresh = this.row(row.period)!;
    const inProgress = fresh.status !== "anchored" && fresh.status !== "failed" && fresh.status !== "superseded";
    this.planAlarm(inProgress ? now + (action === "error" ? this.errorBackoff() : Math.max(step.waitMs, 1_000)) : null);
    return { ...base, action, ...(step.detail ? { detail: cleanError(step.detail) } : {}), anchor: this.view(fresh) };
  }

  /** Opens the next period from every shard's sealed batches after its cursor; null when there are none. */
  private async openPeriod(contract: string): Promise<PeriodRow | null> {
    const shards = this.shardCount();
    const collected: SealedBatch[] = [];
    const cursors = new Map<number, number>();
    for (let s = 0; s < shards; s++) {
      let from = this.cursor(s);
      try {
        for (let page = 0; page < 100; page++) {
          const listing = await ledgerStub(this.env, s).sealedBatches(s, from);
          collected.push(...listing.batches);
          from = listing.next;
          if (!listing.more) break;
        }
      } catch (err) {
        // This shard's batches wait for a later period; the others need not.
        console.error(`settlement: ledger shard ${s} did not answer`, err);
      }
      cursors.set(s, from);
    }
    if (collected.length === 0) return null;
    collected.sort((a, b) => a.shard - b.shard || a.index - b.index);
    const tree = periodTree(collected.map((b) => fromHex(b.root)));
    const count = collected.reduce((n, b) => n + b.size, 0);
    const principals = [...new Set(collected.flatMap((b) => b.principals))].sort();
    const refs: BatchRef[] = collected.map((b) => [b.shard, b.index, b.root, b.size]);
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      const period: number = this.lastPeriod() + 1;
      const record = newAnchorRecord(period, tree.root, count);
      this.sql.exec(
        "INSERT INTO periods (period, root, count, batches, principals, record, status, contract, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        period,
        record.root,
        count,
        JSON.stringify(refs),
        JSON.stringify(principals),
        JSON.stringify(record),
        record.status,
        contract,
        now,
      );
      refs.forEach(([shard, index], position) =>
        this.sql.exec("INSERT INTO batch_periods (shard, batch, period, position) VALUES (?, ?, ?, ?)", shard, index, period, position),
      );
      for (const [shard, next] of cursors)
        this.sql.exec("INSERT INTO cursors (shard, next_batch) VALUES (?, ?) ON CONFLICT DO UPDATE SET next_batch = excluded.next_batch", shard, next);
      setMeta(this.sql, "last_period", String(period));
      this.trees.set(period, tree);
      return this.row(period)!;
    });
  }

  /** The chain holds another root for this period number: the same batches move to the next free one. */
  private async reassign(client: AnchorClient, row: PeriodRow): Promise<PeriodRow> {
    const onChain = await client.publicClient.readContract({ address: client.contract, abi: ANCHOR_ABI, functionName: "lastPeriod" });
    const record = JSON.parse(row.record) as AnchorRecord;
    console.error(`settlement: period ${row.period} already holds ${record.conflictRoot ?? "another root"} on chain; moving its batches on`);
    return this.ctx.storage.transactionSync(() => {
      const next = Math.max(this.lastPeriod(), Number(onChain), row.period) + 1;
      const fresh = newAnchorRecord(next, record.root, record.count);
      this.sql.exec("UPDATE periods SET status = 'superseded', superseded_by = ? WHERE period = ?", next, row.period);
      this.sql.exec(
        "INSERT INTO periods (period, root, count, batches, principals, record, status, contract, chain_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        next,
        row.root,
        row.count,
        row.batches,
        row.principals,
        JSON.stringify(fresh),
        fresh.status,
        row.contract,
        row.chain_id,
        Date.now(),
      );
      this.sql.exec("UPDATE batch_periods SET period = ? WHERE period = ?", next, row.period);
      setMeta(this.sql, "last_period", String(next));
      this.trees.delete(row.period);
      return this.row(next)!;
    });
  }

  private async finalize(client: AnchorClient, row: PeriodRow, record: AnchorRecord, now: number): Promise<void> {
    let gasUsed: string | null = null;
    try {
      if (record.tx) {
        const tx = await client.checkTransaction(record.tx);
        if (tx.state === "mined") gasUsed = tx.gasUsed.toString();
      }
    } catch {
      // informational only
    }
    this.sql.exec(
      "UPDATE periods SET status = 'anchored', anchored_at = coalesce(anchored_at, ?), error_since = NULL, gas_used = coalesce(?, gas_used) WHERE period = ?",
      now,
      gasUsed,
      row.period,
    );
    deleteMeta(this.sql, "errors");
    const fresh = this.row(row.period)!;
    this.notify(fresh, "settlement.anchored", String(row.period), {
      period: String(row.period),
      root: record.root,
      count: record.count,
      tx_hash: record.tx!,
      chain_id: fresh.chain_id!,
      contract: fresh.contract,
    });
  }

  /**
   * Persists the record (settle.ts calls this before every broadcast). An anchored
   * record leaves the row "landed" until `finalize` has recorded it and queued the
   * webhooks, so a crash in between is finished by the next run.
   */
  private saveRecord(period: number, record: AnchorRecord): void {
    const status = record.status === "anchored" ? "landed" : record.status;
    if (record.error !== undefined) record = { ...record, error: cleanError(record.error) };
    this.sql.exec("UPDATE periods SET record = ?, status = ? WHERE period = ?", JSON.stringify(record), status, period);
  }

  private noteError(row: PeriodRow, detail: string, now: number): void {
    const since = row.error_since ?? now;
    if (row.error_since === null) this.sql.exec("UPDATE periods SET error_since = ? WHERE period = ?", now, row.period);
    setMeta(this.sql, "errors", String(Number(getMeta(this.sql, "errors") ?? "0") + 1));
    console.error(`settlement: period ${row.period}: ${detail}`);
    if (now - since >= STALLED_AFTER_MS)
      this.notify(row, "settlement.failed", `${row.period}:stalled`, {
        period: String(row.period),
        reason: cleanError(`anchoring has been failing for ${Math.round((now - since) / 60_000)} minutes and is still being retried: ${detail}`),
      });
  }

  private clearError(period: number): void {
    this.sql.exec("UPDATE periods SET error_since = NULL WHERE period = ?", period);
    deleteMeta(this.sql, "errors");
  }

  private errorBackoff(): number {
    const n = Number(getMeta(this.sql, "errors") ?? "1");
    return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(Math.max(n - 1, 0), 10));
  }

  private async sealShards(): Promise<number> {
    let sealed = 0;
    const shards = this.shardCount();
    await Promise.all(
      Array.from({ length: shards }, async (_, s) => {
        try {
          sealed += (await ledgerStub(this.env, s).seal(s)).sealed.length;
        } catch (err) {
          console.error(`settlement: ledger shard ${s} did not seal`, err);
        }
      }),
    );
    return sealed;
  }

  // ---------------------------------------------------------------- webhooks

  /** Queues `type` for every principal with a receipt in the period; sent (and retried) by `sendNotices`. */
  private notify(row: PeriodRow, type: EventType, key: string, data: Record<string, unknown>): void {
    const now = Date.now();
    for (const principal of JSON.parse(row.principals) as string[])
      this.sql.exec(
        "INSERT INTO notices (principal, type, key, data, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        principal,
        type,
        key,
        JSON.stringify(data),
        now,
      );
  }

  /** Hands queued notices to the principals' objects (idempotent there by type and key). */
  private async sendNotices(): Promise<boolean> {
    const rows = this.sql
      .exec<{ principal: string; type: string; key: string; data: string }>(
        "SELECT principal, type, key, data FROM notices WHERE sent = 0 ORDER BY created_at LIMIT 200",
      )
      .toArray();
    let failed = false;
    for (const n of rows) {
      try {
        const stub = this.env.PRINCIPAL.get(this.env.PRINCIPAL.idFromName(n.principal));
        // Validated against the catalogue by the Principal, delivered once per (type, key).
        const out = await stub.emitEvent(n.type as EventType, JSON.parse(n.data), n.key);
        if (!out.ok) console.error(`settlement: ${n.type} for ${n.principal} refused: ${out.problem?.detail ?? "?"}`);
        this.sql.exec("UPDATE notices SET sent = 1 WHERE principal = ? AND type = ? AND key = ?", n.principal, n.type, n.key);
      } catch (err) {
        failed = true;
        console.error(`settlement: ${n.type} for ${n.principal} not delivered yet`, err);
      }
    }
    if (failed) this.planAlarm(Date.now() + NOTICE_RETRY_MS);
    return !failed;
  }

  // ---------------------------------------------------------------- reads

  /** Anchored periods, newest first. */
  anchors(options: { limit?: number; startingAfter?: number } = {}): { data: AnchorView[]; has_more: boolean } {
    const limit = Math.max(1, Math.min(100, Math.floor(options.limit ?? 20)));
    const before = options.startingAfter ?? Number.MAX_SAFE_INTEGER;
    const rows = this.sql
      .exec<PeriodRow>("SELECT * FROM periods WHERE status IN ('anchored', 'landed') AND period < ? ORDER BY period DESC LIMIT ?", before, limit + 1)
      .toArray();
    return { data: rows.slice(0, limit).map((r) => this.view(r)), has_more: rows.length > limit };
  }

  /** Any known period (anchored, in progress, failed or superseded). */
  anchor(period: number): AnchorView | null {
    const row = this.row(period);
    return row ? this.view(row) : null;
  }

  /** The period a sealed batch belongs to and its path there; null while no period has taken it. */
  batchInPeriod(shard: number, batch: number): BatchInPeriod | null {
    const at = this.sql
      .exec<{ period: number; position: number }>("SELECT period, position FROM batch_periods WHERE shard = ? AND batch = ?", shard, batch)
      .toArray()[0];
    if (!at) return null;
    const row = this.row(at.period)!;
    const tree = this.periodTreeOf(row);
    return {
      anchor: this.view(row),
      batch_index: at.position,
      period_size: tree.size,
      period_path: tree.inclusionProof(at.position).map(hex),
      period_root: hex(tree.root),
    };
  }

  async status(): Promise<SettlementStatus> {
    const settings = this.anchorSettings();
    const row = this.openRow();
    const record = row ? (JSON.parse(row.record) as AnchorRecord) : null;
    const shards = this.shardCount();
    const ledgers = await Promise.all(
      Array.from({ length: shards }, (_, s) => ledgerStub(this.env, s).stats(s).catch(() => null)),
    );
    return {
      object: "settlement_status",
      anchoring:
        settings.state === "ready"
          ? { state: "ready", contract: settings.client.contract, confirmations: settings.client.confirmations }
          : { state: settings.state, reason: settings.reason },
      last_period: this.lastPeriod(),
      current:
        row && record
          ? {
              ...this.view(row),
              attempts: record.attempts ?? 0,
              hashes: record.hashes ?? [],
              nonce: record.nonce ?? null,
              error: record.error ?? null,
              record_status: record.status,
            }
          : null,
      shards: ledgers.map((ledger, shard) => ({ shard, next_batch: this.cursor(shard), ledger })),
      unsent_notices: this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM notices WHERE sent = 0").one().n,
    };
  }

  // ---------------------------------------------------------------- seams (tests replace these on the instance)

  protected anchorSettings(): AnchorSettings {
    return readAnchorSettings(this.env);
  }

  protected anchorClient(config: AnchorClientConfig): AnchorClient {
    const key = JSON.stringify(config);
    let client = this.clients.get(key);
    if (!client) {
      client = createAnchorClient(config);
      this.clients.clear();
      this.clients.set(key, client);
    }
    return client;
  }

  // ---------------------------------------------------------------- internals

  private openRow(): PeriodRow | null {
    return (
      this.sql.exec<PeriodRow>("SELECT * FROM periods WHERE status NOT IN ('anchored', 'superseded') ORDER BY period LIMIT 1").toArray()[0] ?? null
    );
  }

  private row(period: number): PeriodRow | null {
    return this.sql.exec<PeriodRow>("SELECT * FROM periods WHERE period = ?", period).toArray()[0] ?? null;
  }

  private periodTreeOf(row: PeriodRow): MerkleTree {
    let tree = this.trees.get(row.period);
    if (!tree) {
      const refs = JSON.parse(row.batches) as BatchRef[];
      tree = periodTree(refs.map(([, , root]) => fromHex(root)));
      if (this.trees.size > 16) this.trees.clear();
      this.trees.set(row.period, tree);
    }
    return tree;
  }

  private view(row: PeriodRow): AnchorView {
    const record = JSON.parse(row.record) as AnchorRecord;
    const status: AnchorViewStatus =
      row.status === "superseded"
        ? "superseded"
        : row.status === "anchored" || row.status === "landed"
          ? "anchored"
          : row.status === "failed"
            ? "failed"
            : row.status === "mined"
              ? "confirming"
              : "pending";
    return {
      object: "anchor",
      period: row.period,
      root: row.root,
      count: row.count,
      status,
      batches: (JSON.parse(row.batches) as BatchRef[]).length,
      tx: record.tx ?? null,
      block: record.block === undefined ? null : Number(record.block),
      confirmations: record.confirmations ?? null,
      gas_used: row.gas_used,
      contract: row.contract,
      chain_id: row.chain_id,
      created_at: new Date(row.created_at).toISOString(),
      anchored_at: row.anchored_at === null ? null : new Date(row.anchored_at).toISOString(),
      superseded_by: row.superseded_by,
    };
  }

  /** Shards to read: the most ever configured (trees stay pinned to theirs when LEDGER_SHARDS shrinks). */
  private shardCount(): number {
    const configured = ledgerSettings(this.env).shards;
    const seen = Number(getMeta(this.sql, "shards_seen") ?? "0");
    if (configured > seen) setMeta(this.sql, "shards_seen", String(configured));
    return Math.max(configured, seen);
  }

  private cursor(shard: number): number {
    return this.sql.exec<{ next_batch: number }>("SELECT next_batch FROM cursors WHERE shard = ?", shard).toArray()[0]?.next_batch ?? 0;
  }

  private lastPeriod(): number {
    return Number(getMeta(this.sql, "last_period") ?? "0");
  }

  private planAlarm(at: number | null): void {
    if (at === null) {
      const unsent = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM notices WHERE sent = 0").one().n;
      if (unsent === 0) return;
      at = Date.now() + NOTICE_RETRY_MS;
    }
    void this.ctx.storage.setAlarm(at);
  }

}

export type { Hex };
