/**
 * The tree's events outbox: events are written in the transaction of what caused them
 * and drained on the alarm to the principal's object (`ingestEvents`, idempotent by
 * event id), only then marked sent. A crash between the two sends them again and the
 * principal skips what it has; a failed send leaves them unsent and the alarm comes
 * back after `DRAIN_RETRY_MS`.
 */
import type { Env } from "../../src/contract/env";
import { principalStub } from "../../src/contract/stubs";
import { buildEvent, type EventData, type EventType } from "../../src/core/webhooks/events";
import { drainOutbox, outboxDueAt, type Outbox } from "../shared/outbox";
import { getMeta } from "./store";

/** Events sent per `ingestEvents` call. */
export const DRAIN_BATCH = 100;
/** Batches sent per alarm; the alarm comes back at once for the rest. */
export const DRAIN_MAX_BATCHES = 10;
/** After a failed send, the next try. */
export const DRAIN_RETRY_MS = 30_000;
/** Sent events are kept this long (for inspection), then dropped. */
export const SENT_EVENT_RETENTION_MS = 7 * 24 * 3600 * 1000;

interface UnsentEvent {
  id: string;
  payload: string;
  [key: string]: SqlStorageValue;
}

/** The events outbox's bookkeeping: a fixed wait after any failure, no failure count. */
const EVENT_OUTBOX = {
  retryAtKey: "events_drain_retry_at",
  batchSize: DRAIN_BATCH,
  maxBatches: DRAIN_MAX_BATCHES,
  retryDelayMs: () => DRAIN_RETRY_MS,
} satisfies Partial<Outbox<UnsentEvent>>;

export interface DrainResult {
  sent: number;
  failed: boolean;
}

/** Writes an event to the outbox in the caller's transaction; `data` is checked against the webhook catalogue. */
export function emitEvent<T extends EventType>(sql: SqlStorage, type: T, principal: string, data: EventData<T>, now: number): void {
  const envelope = buildEvent(type, principal, data, now);
  sql.exec("INSERT INTO events (id, type, payload, created_at) VALUES (?, ?, ?, ?)", envelope.id, type, JSON.stringify(envelope), now);
}

export async function drainEvents(sql: SqlStorage, env: Env, now: number): Promise<DrainResult> {
  const principal = getMeta(sql, "principal");
  if (!principal) return { sent: 0, failed: false };
  const stub = principalStub(env, principal);
  const outbox: Outbox<UnsentEvent> = {
    ...EVENT_OUTBOX,
    unsent: (limit) => sql.exec<UnsentEvent>("SELECT id, payload FROM events WHERE sent = 0 ORDER BY created_at, rowid LIMIT ?", limit).toArray(),
    async send(rows) {
      await stub.ingestEvents(rows.map((r) => JSON.parse(r.payload) as unknown));
    },
    markSent(rows) {
      for (const r of rows) sql.exec("UPDATE events SET sent = 1 WHERE id = ?", r.id);
    },
    onFailure(e) {
      console.error("events: the principal did not take the outbox; retrying later", e);
    },
  };
  const drained = await drainOutbox(sql, outbox, now);
  if (!drained.failed) sql.exec("DELETE FROM events WHERE sent = 1 AND created_at < ?", now - SENT_EVENT_RETENTION_MS);
  return drained;
}

/** When the outbox next needs the alarm: now if events wait, later after a failed send, null when empty. */
export function eventsDueAt(sql: SqlStorage, now: number): number | null {
  const waiting = sql.exec<{ n: number }>("SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE sent = 0 LIMIT 1)").one().n > 0;
  return outboxDueAt(sql, EVENT_OUTBOX, now, waiting ? now : null);
}
