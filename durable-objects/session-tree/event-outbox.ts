/**
 * The tree's events outbox, drained on its alarm: unsent events go to the principal's
 * object (`ingestEvents`, idempotent by event id), and only then are they marked sent.
 * A crash between the two sends them again and the principal skips what it has; a
 * failed send leaves them unsent and the alarm comes back after `DRAIN_RETRY_MS`.
 */
import { deleteMeta } from "../shared/meta";
import type { Env } from "../../src/contract/env";
import type { EventData } from "../../src/core/webhooks/events";
import { getMeta, setMeta, type SessionRow } from "./store";

/** Events sent per `ingestEvents` call. */
export const DRAIN_BATCH = 100;
/** Batches sent per alarm; the alarm comes back at once for the rest. */
export const DRAIN_MAX_BATCHES = 10;
/** After a failed send, the next try. */
export const DRAIN_RETRY_MS = 30_000;
/** Sent events are kept this long (for inspection), then dropped. */
export const SENT_EVENT_RETENTION_MS = 7 * 24 * 3600 * 1000;

const RETRY_AT = "events_drain_retry_at";

export interface DrainResult {
  sent: number;
  failed: boolean;
}

export async function drainEvents(sql: SqlStorage, env: Env, now: number): Promise<DrainResult> {
  const principal = getMeta(sql, "principal");
  if (!principal) return { sent: 0, failed: false };
  const stub = env.PRINCIPAL.get(env.PRINCIPAL.idFromName(principal));
  let sent = 0;
  for (let i = 0; i < DRAIN_MAX_BATCHES; i++) {
    const rows = sql
      .exec<{ id: string; payload: string }>("SELECT id, payload FROM events WHERE sent = 0 ORDER BY created_at, rowid LIMIT ?", DRAIN_BATCH)
      .toArray();
    if (rows.length === 0) break;
    try {
      await stub.ingestEvents(rows.map((r) => JSON.parse(r.payload) as unknown));
    } catch (e) {
      console.error("events: the principal did not take the outbox; retrying later", e);
      setMeta(sql, RETRY_AT, String(now + DRAIN_RETRY_MS));
      return { sent, failed: true };
    }
    for (const r of rows) sql.exec("UPDATE events SET sent = 1 WHERE id = ?", r.id);
    sent += rows.length;
    if (rows.length < DRAIN_BATCH) break;
  }
  deleteMeta(sql, RETRY_AT);
  sql.exec("DELETE FROM events WHERE sent = 1 AND created_at < ?", now - SENT_EVENT_RETENTION_MS);
  return { sent, failed: false };
}

/** When the outbox next needs the alarm: now if events wait, later after a failed send, null when empty. */
export function eventsDueAt(sql: SqlStorage, now: number): number | null {
  const waiting = sql.exec<{ n: number }>("SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE sent = 0 LIMIT 1)").one().n > 0;
  if (!waiting) return null;
  const retryAt = Number(getMeta(sql, RETRY_AT) ?? "0");
  return Number.isFinite(retryAt) && retryAt > now ? retryAt : now;
}

/** The `data` common to `session.granted` and `session.delegated`. */
export function sessionGrantData(row: SessionRow, tree: string): Omit<EventData<"session.granted">, "parent"> {
  return {
    session: row.id,
    tree,
    agent_jkt: row.jkt,
    scopes: row.scopes,
    not_before: new Date(row.notBefore).toISOString(),
    expires_at: new Date(row.expiresAt).toISOString(),
  };
}
