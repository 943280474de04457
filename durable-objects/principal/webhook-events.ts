/**
 * Turning an event into deliveries, at most once per key: an event sent again (an
 * outbox drained twice after a crash, a settlement notice retried) finds its key in
 * `webhook_events_seen` and records nothing. Keys are remembered for a week.
 */
import { newId } from "../../src/core/ids";
import type { EventEnvelope } from "../../src/core/webhooks/events";
import type { Delivery } from "../../src/contract/webhooks";
import { storeEvent } from "./events";
import { recordDelivery } from "./webhook-deliveries";
import { endpointsFor } from "./webhook-endpoints";

/** How long an ingested event's id is remembered, so a re-sent event is not delivered twice. */
export const EVENT_DEDUPE_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * The event into the principal's event log (events.ts, every type, endpoints or not) and
 * `recordEvent`, at most once per `key` (the event id unless given): an event sent
 * again (an outbox drained twice after a crash) records nothing and returns null.
 */
export function ingestEvent(sql: SqlStorage, event: EventEnvelope, now: number, key: string): Delivery[] | null {
  const fresh = sql.exec("INSERT INTO webhook_events_seen (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, now).rowsWritten > 0;
  if (!fresh) return null;
  storeEvent(sql, event, now);
  return recordEvent(sql, event, now);
}

/** Forget ingested event keys older than `before`; returns how many. */
export function pruneSeen(sql: SqlStorage, before: number): number {
  return sql.exec("DELETE FROM webhook_events_seen WHERE at < ?", before).rowsWritten;
}

/** One pending delivery per enabled endpoint subscribed to the event. */
export function recordEvent(sql: SqlStorage, event: EventEnvelope, now: number): Delivery[] {
  return endpointsFor(sql, event.type).map(
    (endpoint) =>
      recordDelivery(
        sql,
        {
          id: newId("dlv"),
          endpoint: endpoint.id,
          event_id: event.id,
          event_type: event.type,
          payload: event,
          status: "pending",
          attempts: 0,
        },
        now,
      )!,
  );
}
