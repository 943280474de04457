/**
 * The one drain loop of every transactional outbox an object keeps: rows are written
 * unsent in the same transaction as what caused them, and the alarm sends them on in
 * batches, marking a batch sent only after the receiver took it (receivers are
 * idempotent, so a crash in between only sends it again). A failed send leaves the rows
 * and records in the meta table when to try again, with a backoff that may grow with
 * the consecutive failures; success clears that bookkeeping.
 */
import { deleteMeta, getMeta, setMeta } from "./meta";

export interface Outbox<Row> {
  /** Meta key holding when the next try is due, after a failure or a pause. */
  retryAtKey: string;
  /** Meta key counting consecutive failures; without one, every failure counts as the first. */
  failuresKey?: string;
  /** Rows per `send`. */
  batchSize: number;
  /** Batches per drain; the alarm comes back at once for the rest. */
  maxBatches: number;
  /** The wait after the `failures`-th consecutive failed send. */
  retryDelayMs(failures: number): number;
  /** Up to `limit` unsent rows, in the order they must reach the receiver. */
  unsent(limit: number): Row[];
  /** Hands a batch to the receiver; throwing leaves the batch unsent. */
  send(rows: Row[]): Promise<void>;
  /** Marks a batch the receiver took. */
  markSent(rows: Row[]): void;
  /** Reports a failed send (the rows stay, the next try is at `now + delayMs`). */
  onFailure(error: unknown, failures: number, delayMs: number): void;
}

export interface OutboxDrain {
  sent: number;
  failed: boolean;
}

/** Sends unsent rows batch by batch until none are left, `maxBatches` were sent, or a send fails. */
export async function drainOutbox<Row>(sql: SqlStorage, outbox: Outbox<Row>, now: number): Promise<OutboxDrain> {
  let sent = 0;
  for (let i = 0; i < outbox.maxBatches; i++) {
    const rows = outbox.unsent(outbox.batchSize);
    if (rows.length === 0) break;
    try {
      await outbox.send(rows);
    } catch (e) {
      const failures = outbox.failuresKey ? Number(getMeta(sql, outbox.failuresKey) ?? "0") + 1 : 1;
      const delay = outbox.retryDelayMs(failures);
      if (outbox.failuresKey) setMeta(sql, outbox.failuresKey, String(failures));
      setMeta(sql, outbox.retryAtKey, String(now + delay));
      outbox.onFailure(e, failures, delay);
      return { sent, failed: true };
    }
    outbox.markSent(rows);
    sent += rows.length;
    if (rows.length < outbox.batchSize) break;
  }
  deleteMeta(sql, ...[outbox.retryAtKey, ...(outbox.failuresKey ? [outbox.failuresKey] : [])]);
  return { sent, failed: false };
}

/** Puts the next try off until `at` without counting a failure (e.g. draining is paused by configuration). */
export function postponeOutbox(sql: SqlStorage, outbox: Pick<Outbox<unknown>, "retryAtKey">, at: number): void {
  setMeta(sql, outbox.retryAtKey, String(at));
}

/** When the next try is due after a failure or pause; 0 when none is pending (or the stored value is unreadable). */
export function outboxRetryAt(sql: SqlStorage, outbox: Pick<Outbox<unknown>, "retryAtKey">): number {
  const at = Number(getMeta(sql, outbox.retryAtKey) ?? "0");
  return Number.isFinite(at) ? at : 0;
}

/**
 * When the outbox next needs the alarm: null when nothing waits (`earliest` null),
 * else no sooner than now, than `earliest` (when the waiting rows may go, e.g. after
 * coalescing) and than a pending retry.
 */
export function outboxDueAt(sql: SqlStorage, outbox: Pick<Outbox<unknown>, "retryAtKey">, now: number, earliest: number | null): number | null {
  if (earliest === null) return null;
  return Math.max(now, earliest, outboxRetryAt(sql, outbox));
}
