/**
 * Retryable trouble while anchoring (mostly an RPC away): how long a period has been
 * failing, how long to wait before the next try, and when the principals are told.
 * The count of consecutive errors lives in `meta`, so the backoff survives a restart.
 */
import { cleanError } from "../../src/core/settlement-config";
import { deleteMeta, getMeta, setMeta } from "../shared/meta";
import { notify } from "./notices";
import type { PeriodRow } from "./store";

/** A retryable error persisting this long becomes a `settlement.failed` webhook (once per period). */
export const STALLED_AFTER_MS = 15 * 60_000;
export const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 5 * 60_000;

export function noteError(sql: SqlStorage, row: PeriodRow, detail: string, now: number): void {
  const since = row.error_since ?? now;
  if (row.error_since === null) sql.exec("UPDATE periods SET error_since = ? WHERE period = ?", now, row.period);
  setMeta(sql, "errors", String(Number(getMeta(sql, "errors") ?? "0") + 1));
  console.error(`settlement: period ${row.period}: ${detail}`);
  if (now - since >= STALLED_AFTER_MS)
    notify(sql, row, "settlement.failed", `${row.period}:stalled`, {
      period: String(row.period),
      reason: cleanError(`anchoring has been failing for ${Math.round((now - since) / 60_000)} minutes and is still being retried: ${detail}`),
    });
}

export function clearError(sql: SqlStorage, period: number): void {
  sql.exec("UPDATE periods SET error_since = NULL WHERE period = ?", period);
  deleteMeta(sql, "errors");
}

export function errorBackoff(sql: SqlStorage): number {
  const n = Number(getMeta(sql, "errors") ?? "1");
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(Math.max(n - 1, 0), 10));
}
