/**
 * Reading the Settlement object's own rows: the period rows, the shard cursors and
 * the counters in `meta`. Every other file of the object goes through these, so a
 * row means the same thing everywhere.
 */
import type { Env } from "../../src/contract/env";
import type { MerkleTree } from "../../src/core/receipts/merkle";
import { ledgerSettings } from "../../src/core/settlement-config";
import { getMeta, setMeta } from "../shared/meta";

/** What the object's concept files share: its storage, its bindings and its cache of period trees. */
export interface SettlementState {
  readonly sql: SqlStorage;
  readonly storage: DurableObjectStorage;
  readonly env: Env;
  /** Period trees by period number; memory only, rebuilt from the row when missing. */
  readonly trees: Map<number, MerkleTree>;
}

export interface PeriodRow {
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
export type BatchRef = [number, number, string, number];

/** The earliest period not yet anchored or superseded: the one a run works on. */
export function openRow(sql: SqlStorage): PeriodRow | null {
  return sql.exec<PeriodRow>("SELECT * FROM periods WHERE status NOT IN ('anchored', 'superseded') ORDER BY period LIMIT 1").toArray()[0] ?? null;
}

export function periodRow(sql: SqlStorage, period: number): PeriodRow | null {
  return sql.exec<PeriodRow>("SELECT * FROM periods WHERE period = ?", period).toArray()[0] ?? null;
}

export function lastPeriod(sql: SqlStorage): number {
  return Number(getMeta(sql, "last_period") ?? "0");
}

/** The first batch of `shard` no period has taken yet. */
export function cursor(sql: SqlStorage, shard: number): number {
  return sql.exec<{ next_batch: number }>("SELECT next_batch FROM cursors WHERE shard = ?", shard).toArray()[0]?.next_batch ?? 0;
}

/** Shards to read: the most ever configured (trees stay pinned to theirs when LEDGER_SHARDS shrinks). */
export function shardCount(sql: SqlStorage, env: Env): number {
  const configured = ledgerSettings(env).shards;
  const seen = Number(getMeta(sql, "shards_seen") ?? "0");
  if (configured > seen) setMeta(sql, "shards_seen", String(configured));
  return Math.max(configured, seen);
}
