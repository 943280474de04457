/**
 * The delivery log: one row per (event, endpoint) with its attempts, the status the
 * latest attempt implies, and what the sweeper and the queue consumer read from it.
 * Every function is synchronous, so its writes commit together.
 */
import { newId } from "../../src/core/ids";
import type { EventEnvelope } from "../../src/core/webhooks/events";
import { truncateUtf8 } from "../../src/core/webhooks/excerpt";
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type AttemptInput,
  type Delivery,
  type DeliveryInput,
  type DeliveryJob,
  type DeliveryPage,
  type DeliveryStatus,
} from "../../src/contract/webhooks";
import { deliveryRow, endpointRow, secretsOf, toDelivery, type AttemptRow, type DeliveryRow } from "./webhook-rows";

/** Record a delivery; idempotent by id. Null if the endpoint does not exist. */
export function recordDelivery(sql: SqlStorage, input: DeliveryInput, now: number): Delivery | null {
  if (!endpointRow(sql, input.endpoint)) return null;
  sql.exec(
    `INSERT INTO webhook_deliveries
       (id, msg_id, endpoint, event_id, event_type, payload, status, attempts, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO NOTHING`,
    input.id,
    input.msg_id ?? newId("msg"),
    input.endpoint,
    input.event_id,
    input.event_type,
    JSON.stringify(input.payload),
    input.status,
    input.attempts,
    input.status === "pending" ? now : null,
    now,
    now,
  );
  return getDelivery(sql, input.id);
}

/**
 * Append an attempt and derive the delivery's status from it: a 2xx without error
 * is `succeeded`; otherwise `retrying` if a next attempt is due, else `failed`.
 */
export function recordAttempt(sql: SqlStorage, deliveryId: string, input: AttemptInput): Delivery | null {
  const row = deliveryRow(sql, deliveryId);
  if (!row) return null;
  const n = input.attempt ?? row.attempts + 1;
  if (!Number.isInteger(n) || n < 1) throw new RangeError("attempt must be a whole number ≥ 1");
  const inserted = sql.exec(
    `INSERT INTO webhook_attempts (delivery, n, at, status_code, latency_ms, response_excerpt, error, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery, n) DO NOTHING`,
    deliveryId,
    n,
    input.at,
    input.status_code,
    Math.max(0, Math.round(input.latency_ms)),
    truncateUtf8(input.response_excerpt),
    input.error === null ? null : truncateUtf8(input.error),
    input.next_attempt_at,
  ).rowsWritten;
  // A repeated report, or a stale one overtaken by a later attempt, leaves the status alone.
  if (inserted > 0 && n >= row.attempts) {
    const succeeded = input.error === null && input.status_code !== null && input.status_code >= 200 && input.status_code < 300;
    const status: DeliveryStatus = succeeded ? "succeeded" : input.next_attempt_at !== null ? "retrying" : "failed";
    sql.exec(
      "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
      status,
      n,
      succeeded ? null : input.next_attempt_at,
      input.at,
      deliveryId,
    );
  }
  return getDelivery(sql, deliveryId);
}

/**
 * Put a delivery back to `pending` for a manual redelivery: it starts the retry
 * schedule again (a new round), and its attempt log is kept.
 */
export function requeue(sql: SqlStorage, deliveryId: string, now: number): Delivery | null {
  if (!deliveryRow(sql, deliveryId)) return null;
  sql.exec(
    `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, round_start = attempts, dead_lettered_at = NULL,
     updated_at = ? WHERE id = ?`,
    now,
    now,
    deliveryId,
  );
  return getDelivery(sql, deliveryId);
}

/**
 * The delivery's queue message reached the dead-letter queue. A delivery still
 * waiting for an attempt is given up on (`failed`), so no sweeper sends it again.
 */
export function deadLettered(sql: SqlStorage, deliveryId: string, now: number): Delivery | null {
  if (!deliveryRow(sql, deliveryId)) return null;
  sql.exec(
    `UPDATE webhook_deliveries SET dead_lettered_at = coalesce(dead_lettered_at, ?),
       status = CASE WHEN status IN ('pending', 'retrying') THEN 'failed' ELSE status END,
       next_attempt_at = CASE WHEN status IN ('pending', 'retrying') THEN NULL ELSE next_attempt_at END,
       updated_at = ?
     WHERE id = ?`,
    now,
    now,
    deliveryId,
  );
  return getDelivery(sql, deliveryId);
}

/**
 * The deliveries were (re-)enqueued at `at`: a sweeper looks at them again only
 * once `at` is past its grace. Deliveries no longer waiting are left alone.
 */
export function markEnqueued(sql: SqlStorage, deliveryIds: readonly string[], at: number): void {
  for (const id of deliveryIds) {
    sql.exec("UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND status IN ('pending', 'retrying')", at, id);
  }
}

/** The earliest `next_attempt_at` of a delivery still waiting, or null when none waits. */
export function nextDueAt(sql: SqlStorage): number | null {
  return sql.exec<{ t: number | null }>("SELECT min(next_attempt_at) AS t FROM webhook_deliveries WHERE status IN ('pending', 'retrying')").one().t;
}

/** What the queue consumer needs to make an attempt; null if the delivery or its endpoint is gone, or it already succeeded. */
export function deliveryJob(sql: SqlStorage, deliveryId: string, now: number): DeliveryJob | null {
  const row = deliveryRow(sql, deliveryId);
  if (!row || row.status === "succeeded") return null;
  const endpoint = endpointRow(sql, row.endpoint);
  if (!endpoint) return null;
  return {
    delivery: row.id,
    msg_id: row.msg_id,
    url: endpoint.url,
    secrets: secretsOf(endpoint, now),
    event: JSON.parse(row.payload) as EventEnvelope,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    round_attempts: Math.max(0, row.attempts - row.round_start),
    endpoint_disabled: endpoint.disabled !== 0,
  };
}

/**
 * Pending or retrying deliveries whose next attempt was due at or before `before`, oldest
 * first: for a sweeper (alarm) that re-enqueues deliveries whose queue message was lost.
 */
export function due(sql: SqlStorage, before: number, limit: number): Delivery[] {
  return sql
    .exec<DeliveryRow>(
      `SELECT * FROM webhook_deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?
       ORDER BY next_attempt_at, seq LIMIT ?`,
      before,
      Math.min(MAX_PAGE_SIZE, Math.max(1, Number.isFinite(limit) ? Math.trunc(limit) : DEFAULT_PAGE_SIZE)),
    )
    .toArray()
    .map((row) => getDelivery(sql, row.id)!);
}

export function getDelivery(sql: SqlStorage, id: string): Delivery | null {
  const row = deliveryRow(sql, id);
  if (!row) return null;
  const attempts = sql.exec<AttemptRow>("SELECT * FROM webhook_attempts WHERE delivery = ? ORDER BY n", id).toArray();
  return toDelivery(row, attempts);
}

/** An endpoint's deliveries, newest first; `starting_after` is the last id of the previous page. */
export function listDeliveries(sql: SqlStorage, endpointId: string, options: { limit?: number; starting_after?: string }): DeliveryPage {
  const asked = options.limit !== undefined && Number.isFinite(options.limit) ? Math.trunc(options.limit) : DEFAULT_PAGE_SIZE;
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, asked));
  let before = Number.MAX_SAFE_INTEGER;
  if (options.starting_after !== undefined) {
    const cursor = deliveryRow(sql, options.starting_after);
    if (!cursor || cursor.endpoint !== endpointId) return { data: [], has_more: false };
    before = cursor.seq;
  }
  const rows = sql
    .exec<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE endpoint = ? AND seq < ? ORDER BY seq DESC LIMIT ?", endpointId, before, limit + 1)
    .toArray();
  const page = rows.slice(0, limit);
  const attempts = new Map<string, AttemptRow[]>();
  if (page.length > 0) {
    const last = page[page.length - 1]!.seq;
    const first = page[0]!.seq;
    for (const a of sql
      .exec<AttemptRow>(
        `SELECT a.* FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery
         WHERE d.endpoint = ? AND d.seq BETWEEN ? AND ? ORDER BY a.delivery, a.n`,
        endpointId,
        last,
        first,
      )
      .toArray()) {
      const list = attempts.get(a.delivery) ?? [];
      list.push(a);
      attempts.set(a.delivery, list);
    }
  }
  return { data: page.map((r) => toDelivery(r, attempts.get(r.id) ?? [])), has_more: rows.length > limit };
}

/** Drop deliveries (and their attempts) created before `before`; returns how many. */
export function pruneDeliveries(sql: SqlStorage, before: number): number {
  const { n } = sql.exec<{ n: number }>("SELECT count(*) AS n FROM webhook_deliveries WHERE created_at < ?", before).one();
  sql.exec("DELETE FROM webhook_attempts WHERE delivery IN (SELECT id FROM webhook_deliveries WHERE created_at < ?)", before);
  sql.exec("DELETE FROM webhook_deliveries WHERE created_at < ?", before);
  return n;
}
