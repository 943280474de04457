/**
 * The principal's event log: every event of every type it received from its trees or
 * emitted itself, whether or not a webhook endpoint wants it, kept 30 days. Served by
 * `GET /v1/events` (newest first by `created_at`) and polled by its stream in the order
 * the principal recorded them (`seq`): an event of a tree arrives when its outbox
 * drains, so it may be recorded after a newer one, and only the recording order lets a
 * stream's cursor miss nothing. `seq` is AUTOINCREMENT, so a cursor never meets a
 * reused number even once every older row is pruned.
 */
import { EVENT_RETENTION_MS, type EventBatch, type EventPoll, type EventQuery } from "../../src/contract/events";
import type { EventEnvelope } from "../../src/core/webhooks/events";
import { ok, problem, refused, type Outcome } from "../../src/core/errors";

export function migrateEvents(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    payload TEXT NOT NULL
  )`);
  // Both end in seq (the rowid), the listing's tie-break.
  sql.exec("CREATE INDEX IF NOT EXISTS events_by_type ON events (type, created_at)");
  sql.exec("CREATE INDEX IF NOT EXISTS events_by_created ON events (created_at)");
}

/** Records the event (once per id) in the caller's transaction; the caller prunes past retention once per batch (`pruneEvents`). */
export function storeEvent(sql: SqlStorage, event: EventEnvelope, now: number): void {
  const at = Date.parse(event.created_at);
  sql.exec(
    "INSERT INTO events (id, type, created_at, payload) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    event.id,
    event.type,
    Number.isFinite(at) ? at : now,
    JSON.stringify(event),
  );
}

/** Drops events created before `before`; idempotent (the alarm may run twice). */
export function pruneEvents(sql: SqlStorage, before: number): number {
  return sql.exec("DELETE FROM events WHERE created_at < ?", before).rowsWritten;
}

const typeFilter = (types: readonly string[] | undefined): { clause: string; args: string[] } =>
  types && types.length > 0 ? { clause: ` AND type IN (${types.map(() => "?").join(", ")})`, args: [...types] } : { clause: "", args: [] };

const rowOf = (sql: SqlStorage, id: string, now: number): { seq: number; created_at: number } | null =>
  sql.exec<{ seq: number; created_at: number }>("SELECT seq, created_at FROM events WHERE id = ? AND created_at >= ?", id, now - EVENT_RETENTION_MS).toArray()[0] ?? null;

/** A page, newest first (by `created_at`, then recording order); `startingAfter` must be an event still kept. */
export function listEvents(sql: SqlStorage, q: EventQuery, now: number): Outcome<{ data: EventEnvelope[]; has_more: boolean }> {
  let after = { seq: Number.MAX_SAFE_INTEGER, created_at: Number.MAX_SAFE_INTEGER };
  if (q.startingAfter !== undefined) {
    const row = rowOf(sql, q.startingAfter, now);
    if (row === null)
      return refused(
        problem("validation-failed", `starting_after: no event ${q.startingAfter}`, {
          errors: [
            {
              field: "starting_after",
              rule: "unknown_cursor",
              message: `no event ${q.startingAfter}: pass the id of the last event of the previous page (events are kept 30 days)`,
            },
          ],
        }),
      );
    after = row;
  }
  const types = typeFilter(q.types);
  const oldest = Math.max(now - EVENT_RETENTION_MS, q.createdAfter === undefined ? 0 : q.createdAfter + 1);
  const newest = q.createdBefore === undefined ? Number.MAX_SAFE_INTEGER : q.createdBefore - 1;
  const rows = sql
    .exec<{ payload: string }>(
      `SELECT payload FROM events WHERE (created_at < ? OR (created_at = ? AND seq < ?)) AND created_at >= ? AND created_at <= ?${types.clause}
       ORDER BY created_at DESC, seq DESC LIMIT ?`,
      after.created_at,
      after.created_at,
      after.seq,
      oldest,
      newest,
      ...types.args,
      q.limit + 1,
    )
    .toArray();
  return ok({ data: rows.slice(0, q.limit).map((r) => JSON.parse(r.payload) as EventEnvelope), has_more: rows.length > q.limit });
}

export function getEvent(sql: SqlStorage, id: string, now: number): Outcome<EventEnvelope> {
  const row = sql.exec<{ payload: string }>("SELECT payload FROM events WHERE id = ? AND created_at >= ?", id, now - EVENT_RETENTION_MS).toArray()[0];
  return row ? ok(JSON.parse(row.payload) as EventEnvelope) : refused(problem("not-found", `no event ${id}`));
}

/** One poll of the stream: events after the cursor, oldest first. A read, so it holds nothing. */
export function eventsAfter(sql: SqlStorage, poll: EventPoll, now: number): EventBatch {
  const head = sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM events").one().seq ?? 0;
  let cursor = poll.cursor ?? head;
  let resumed = true;
  if (poll.cursor === null && poll.lastEventId !== undefined) {
    const row = rowOf(sql, poll.lastEventId, now);
    if (row === null) resumed = false;
    else cursor = row.seq;
  }
  const types = typeFilter(poll.types);
  const rows = sql
    .exec<{ seq: number; payload: string }>(
      `SELECT seq, payload FROM events WHERE seq > ? AND created_at >= ?${types.clause} ORDER BY seq LIMIT ?`,
      cursor,
      now - EVENT_RETENTION_MS,
      ...types.args,
      poll.limit,
    )
    .toArray();
  // A full page: the next poll goes on from its last row; else everything up to the head was read.
  const next = rows.length === poll.limit ? rows[rows.length - 1]!.seq : Math.max(cursor, head);
  return { data: rows.map((r) => JSON.parse(r.payload) as EventEnvelope), cursor: next, resumed };
}
