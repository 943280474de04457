/**
 * Webhook endpoints, their signing secrets and the delivery log, in the SQLite storage
 * of a principal's Durable Object. Every method is synchronous; a method's writes
 * happen without an intervening await, so each one commits atomically.
 *
 * Times passed in are epoch milliseconds; times returned are RFC 3339 strings.
 */
import { validationFailed, type FieldError } from "../../src/core/errors";
import { newId } from "../../src/core/ids";
import { isEventType, selects, type EventEnvelope, type EventSelection, type EventType } from "../../src/core/webhooks/events";
import { truncateUtf8 } from "../../src/core/webhooks/excerpt";
import { newSecret } from "../../src/core/webhooks/sign";
import type { Endpoint, EndpointInput, EndpointPatch, DeliveryStatus, DeliveryInput, AttemptInput, Attempt, Delivery, DeliveryPage, DeliveryJob } from "../../src/contract/webhooks";
import { DEFAULT_PAGE_SIZE, MAX_DESCRIPTION_LENGTH, MAX_PAGE_SIZE } from "../../src/contract/webhooks";
export { DEFAULT_PAGE_SIZE, MAX_DESCRIPTION_LENGTH, MAX_PAGE_SIZE };
export type { Endpoint, EndpointInput, EndpointPatch, DeliveryStatus, DeliveryInput, AttemptInput, Attempt, Delivery, DeliveryPage, DeliveryJob } from "../../src/contract/webhooks";

/** How long the previous secret keeps signing after a rotation. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 3600 * 1000;
/** How long an ingested event's id is remembered, so a re-sent event is not delivered twice. */
export const EVENT_DEDUPE_TTL_MS = 7 * 24 * 3600 * 1000;











type EndpointRow = {
  id: string;
  url: string;
  events: string;
  description: string | null;
  disabled: number;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  created_at: number;
  updated_at: number;
};

type DeliveryRow = {
  seq: number;
  id: string;
  msg_id: string;
  endpoint: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  round_start: number;
  dead_lettered_at: number | null;
  created_at: number;
  updated_at: number;
};

type AttemptRow = {
  delivery: string;
  n: number;
  at: number;
  status_code: number | null;
  latency_ms: number;
  response_excerpt: string;
  error: string | null;
  next_attempt_at: number | null;
};

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export class WebhookStore {
  constructor(private readonly sql: SqlStorage) {
    this.migrate();
  }

  /** Idempotent; the constructor runs it. */
  migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS webhook_endpoints (
      id TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      events TEXT NOT NULL,
      description TEXT,
      disabled INTEGER NOT NULL DEFAULT 0,
      secret TEXT NOT NULL,
      previous_secret TEXT,
      previous_secret_expires_at INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS webhook_deliveries (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      msg_id TEXT NOT NULL,
      endpoint TEXT NOT NULL,
      event_id TEXT NOT NULL,
      event_type TEXT NOT NULL,
      payload TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      next_attempt_at INTEGER,
      round_start INTEGER NOT NULL DEFAULT 0,
      dead_lettered_at INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
    // Tables made before these columns existed.
    const columns = new Set(this.sql.exec<{ name: string }>("PRAGMA table_info(webhook_deliveries)").toArray().map((c) => c.name));
    if (!columns.has("round_start")) this.sql.exec("ALTER TABLE webhook_deliveries ADD COLUMN round_start INTEGER NOT NULL DEFAULT 0");
    if (!columns.has("dead_lettered_at")) this.sql.exec("ALTER TABLE webhook_deliveries ADD COLUMN dead_lettered_at INTEGER");
    this.sql.exec("CREATE INDEX IF NOT EXISTS webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint, seq)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS webhook_attempts (
      delivery TEXT NOT NULL,
      n INTEGER NOT NULL,
      at INTEGER NOT NULL,
      status_code INTEGER,
      latency_ms INTEGER NOT NULL,
      response_excerpt TEXT NOT NULL,
      error TEXT,
      next_attempt_at INTEGER,
      PRIMARY KEY (delivery, n)
    )`);
    this.sql.exec("CREATE TABLE IF NOT EXISTS webhook_events_seen (key TEXT PRIMARY KEY, at INTEGER NOT NULL)");
  }

  // ---- endpoints ------------------------------------------------------------

  /** Create an endpoint. The secret is returned here and by `rotateSecret` only. */
  create(input: EndpointInput, now: number = Date.now()): { endpoint: Endpoint; secret: string } {
    const events = checkInput(input);
    const id = newId("whe");
    const secret = newSecret();
    this.sql.exec(
      `INSERT INTO webhook_endpoints (id, url, events, description, disabled, secret, created_at, updated_at)
       VALUES (?, ?, ?, ?, 0, ?, ?, ?)`,
      id,
      input.url,
      JSON.stringify(events),
      input.description ?? null,
      secret,
      now,
      now,
    );
    return { endpoint: this.get(id)!, secret };
  }

  get(id: string): Endpoint | null {
    const row = this.endpointRow(id);
    return row ? toEndpoint(row) : null;
  }

  /** Every endpoint, oldest first. */
  list(): Endpoint[] {
    return this.sql.exec<EndpointRow>("SELECT * FROM webhook_endpoints ORDER BY created_at, id").toArray().map(toEndpoint);
  }

  update(id: string, patch: EndpointPatch, now: number = Date.now()): Endpoint | null {
    const row = this.endpointRow(id);
    if (!row) return null;
    const current = toEndpoint(row);
    const next = {
      url: patch.url ?? current.url,
      events: patch.events ?? current.events,
      description: patch.description === undefined ? current.description : patch.description,
    };
    const events = checkInput(next);
    this.sql.exec(
      "UPDATE webhook_endpoints SET url = ?, events = ?, description = ?, disabled = ?, updated_at = ? WHERE id = ?",
      next.url,
      JSON.stringify(events),
      next.description,
      (patch.disabled ?? current.disabled) ? 1 : 0,
      now,
      id,
    );
    return this.get(id);
  }

  /** Delete an endpoint and its delivery log. */
  delete(id: string): boolean {
    const deleted = this.sql.exec("DELETE FROM webhook_endpoints WHERE id = ?", id).rowsWritten > 0;
    if (deleted) {
      this.sql.exec("DELETE FROM webhook_attempts WHERE delivery IN (SELECT id FROM webhook_deliveries WHERE endpoint = ?)", id);
      this.sql.exec("DELETE FROM webhook_deliveries WHERE endpoint = ?", id);
    }
    return deleted;
  }

  /**
   * Replace the signing secret. The old one keeps signing (alongside) for 24 hours;
   * a second rotation within that time drops the oldest secret at once.
   */
  rotateSecret(id: string, now: number): { secret: string } | null {
    const row = this.endpointRow(id);
    if (!row) return null;
    const secret = newSecret();
    this.sql.exec(
      `UPDATE webhook_endpoints SET secret = ?, previous_secret = ?, previous_secret_expires_at = ?, updated_at = ?
       WHERE id = ?`,
      secret,
      row.secret,
      now + PREVIOUS_SECRET_TTL_MS,
      now,
      id,
    );
    return { secret };
  }

  /** The secrets to sign with now: current first, then the previous one until it expires. Empty if unknown. */
  signingSecrets(id: string, now: number): string[] {
    const row = this.endpointRow(id);
    return row ? secretsOf(row, now) : [];
  }

  /** Enabled endpoints subscribed to `type`. */
  endpointsFor(type: EventType): Endpoint[] {
    return this.sql
      .exec<EndpointRow>("SELECT * FROM webhook_endpoints WHERE disabled = 0 ORDER BY created_at, id")
      .toArray()
      .map(toEndpoint)
      .filter((e) => selects(e.events, type));
  }

  // ---- deliveries -----------------------------------------------------------

  /**
   * `recordEvent`, at most once per `key` (the event id unless given): an event sent
   * again (an outbox drained twice after a crash) records nothing and returns null.
   */
  ingestEvent(event: EventEnvelope, now: number = Date.now(), key: string = event.id): Delivery[] | null {
    const fresh = this.sql.exec("INSERT INTO webhook_events_seen (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, now).rowsWritten > 0;
    return fresh ? this.recordEvent(event, now) : null;
  }

  /** Forget ingested event keys older than `before`; returns how many. */
  pruneSeen(before: number): number {
    return this.sql.exec("DELETE FROM webhook_events_seen WHERE at < ?", before).rowsWritten;
  }

  /** One pending delivery per enabled endpoint subscribed to the event. */
  recordEvent(event: EventEnvelope, now: number = Date.now()): Delivery[] {
    return this.endpointsFor(event.type).map(
      (endpoint) =>
        this.recordDelivery(
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

  /** Record a delivery; idempotent by id. Null if the endpoint does not exist. */
  recordDelivery(input: DeliveryInput, now: number = Date.now()): Delivery | null {
    if (!this.endpointRow(input.endpoint)) return null;
    this.sql.exec(
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
    return this.getDelivery(input.id);
  }

  /**
   * Append an attempt and derive the delivery's status from it: a 2xx without error
   * is `succeeded`; otherwise `retrying` if a next attempt is due, else `failed`.
   */
  recordAttempt(deliveryId: string, input: AttemptInput): Delivery | null {
    const row = this.deliveryRow(deliveryId);
    if (!row) return null;
    const n = input.attempt ?? row.attempts + 1;
    if (!Number.isInteger(n) || n < 1) throw new RangeError("attempt must be a whole number ≥ 1");
    const inserted = this.sql.exec(
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
      this.sql.exec(
        "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
        status,
        n,
        succeeded ? null : input.next_attempt_at,
        input.at,
        deliveryId,
      );
    }
    return this.getDelivery(deliveryId);
  }

  /**
   * Put a delivery back to `pending` for a manual redelivery: it starts the retry
   * schedule again (a new round), and its attempt log is kept.
   */
  requeue(deliveryId: string, now: number): Delivery | null {
    if (!this.deliveryRow(deliveryId)) return null;
    this.sql.exec(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, round_start = attempts, dead_lettered_at = NULL,
       updated_at = ? WHERE id = ?`,
      now,
      now,
      deliveryId,
    );
    return this.getDelivery(deliveryId);
  }

  /**
   * The delivery's queue message reached the dead-letter queue. A delivery still
   * waiting for an attempt is given up on (`failed`), so no sweeper sends it again.
   */
  deadLettered(deliveryId: string, now: number): Delivery | null {
    if (!this.deliveryRow(deliveryId)) return null;
    this.sql.exec(
      `UPDATE webhook_deliveries SET dead_lettered_at = coalesce(dead_lettered_at, ?),
         status = CASE WHEN status IN ('pending', 'retrying') THEN 'failed' ELSE status END,
         next_attempt_at = CASE WHEN status IN ('pending', 'retrying') THEN NULL ELSE next_attempt_at END,
         updated_at = ?
       WHERE id = ?`,
      now,
      now,
      deliveryId,
    );
    return this.getDelivery(deliveryId);
  }

  /**
   * The deliveries were (re-)enqueued at `at`: a sweeper looks at them again only
   * once `at` is past its grace. Deliveries no longer waiting are left alone.
   */
  markEnqueued(deliveryIds: readonly string[], at: number): void {
    for (const id of deliveryIds) {
      this.sql.exec(
        "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND status IN ('pending', 'retrying')",
        at,
        id,
      );
    }
  }

  /** The earliest `next_attempt_at` of a delivery still waiting, or null when none waits. */
  nextDueAt(): number | null {
    return this.sql
      .exec<{ t: number | null }>("SELECT min(next_attempt_at) AS t FROM webhook_deliveries WHERE status IN ('pending', 'retrying')")
      .one().t;
  }

  /** What the queue consumer needs to make an attempt; null if the delivery or its endpoint is gone, or it already succeeded. */
  deliveryJob(deliveryId: string, now: number): DeliveryJob | null {
    const row = this.deliveryRow(deliveryId);
    if (!row || row.status === "succeeded") return null;
    const endpoint = this.endpointRow(row.endpoint);
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
  due(before: number, limit = DEFAULT_PAGE_SIZE): Delivery[] {
    return this.sql
      .exec<DeliveryRow>(
        `SELECT * FROM webhook_deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?
         ORDER BY next_attempt_at, seq LIMIT ?`,
        before,
        Math.min(MAX_PAGE_SIZE, Math.max(1, Number.isFinite(limit) ? Math.trunc(limit) : DEFAULT_PAGE_SIZE)),
      )
      .toArray()
      .map((row) => this.getDelivery(row.id)!);
  }

  getDelivery(id: string): Delivery | null {
    const row = this.deliveryRow(id);
    if (!row) return null;
    const attempts = this.sql.exec<AttemptRow>("SELECT * FROM webhook_attempts WHERE delivery = ? ORDER BY n", id).toArray();
    return toDelivery(row, attempts);
  }

  /** An endpoint's deliveries, newest first; `starting_after` is the last id of the previous page. */
  listDeliveries(endpointId: string, options: { limit?: number; starting_after?: string } = {}): DeliveryPage {
    const asked = options.limit !== undefined && Number.isFinite(options.limit) ? Math.trunc(options.limit) : DEFAULT_PAGE_SIZE;
    const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, asked));
    let before = Number.MAX_SAFE_INTEGER;
    if (options.starting_after !== undefined) {
      const cursor = this.deliveryRow(options.starting_after);
      if (!cursor || cursor.endpoint !== endpointId) return { data: [], has_more: false };
      before = cursor.seq;
    }
    const rows = this.sql
      .exec<DeliveryRow>(
        "SELECT * FROM webhook_deliveries WHERE endpoint = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
        endpointId,
        before,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    const attempts = new Map<string, AttemptRow[]>();
    if (page.length > 0) {
      const last = page[page.length - 1]!.seq;
      const first = page[0]!.seq;
      for (const a of this.sql
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
  pruneDeliveries(before: number): number {
    const { n } = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM webhook_deliveries WHERE created_at < ?", before).one();
    this.sql.exec(
      "DELETE FROM webhook_attempts WHERE delivery IN (SELECT id FROM webhook_deliveries WHERE created_at < ?)",
      before,
    );
    this.sql.exec("DELETE FROM webhook_deliveries WHERE created_at < ?", before);
    return n;
  }

  // ---- rows -----------------------------------------------------------------

  private endpointRow(id: string): EndpointRow | null {
    return this.sql.exec<EndpointRow>("SELECT * FROM webhook_endpoints WHERE id = ?", id).toArray()[0] ?? null;
  }

  private deliveryRow(id: string): DeliveryRow | null {
    return this.sql.exec<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE id = ?", id).toArray()[0] ?? null;
  }
}

/** Defensive re-check of what the edge validated; returns the de-duplicated selection. */
function checkInput(input: { url: string; events: readonly string[]; description?: string | null | undefined }): EventSelection {
  const errors: FieldError[] = [];
  if (typeof input.url !== "string" || input.url === "") errors.push({ field: "url", rule: "required", message: "url is required" });
  const events = [...new Set(input.events)];
  if (events.length === 0) {
    errors.push({ field: "events", rule: "too_small", message: "events must name at least one event type, or be [\"*\"]" });
  } else if (events.includes("*") && events.length > 1) {
    errors.push({ field: "events", rule: "wildcard_alone", message: "\"*\" must be the only entry in events" });
  } else {
    events.forEach((e, i) => {
      if (e !== "*" && !isEventType(e)) errors.push({ field: `events.${i}`, rule: "unknown_event_type", message: `unknown event type ${e}` });
    });
  }
  if (input.description != null && input.description.length > MAX_DESCRIPTION_LENGTH) {
    errors.push({ field: "description", rule: "too_big", message: `description must be at most ${MAX_DESCRIPTION_LENGTH} characters` });
  }
  if (errors.length > 0) validationFailed(errors);
  return events as EventSelection;
}

function secretsOf(row: EndpointRow, now: number): string[] {
  const valid = row.previous_secret !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now;
  return valid ? [row.secret, row.previous_secret!] : [row.secret];
}

function toEndpoint(row: EndpointRow): Endpoint {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as EventSelection,
    description: row.description,
    disabled: row.disabled !== 0,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

function toDelivery(row: DeliveryRow, attempts: AttemptRow[]): Delivery {
  return {
    id: row.id,
    msg_id: row.msg_id,
    endpoint: row.endpoint,
    event_id: row.event_id,
    event_type: row.event_type as EventType,
    payload: JSON.parse(row.payload) as EventEnvelope,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    next_attempt_at: isoOrNull(row.next_attempt_at),
    dead_lettered_at: isoOrNull(row.dead_lettered_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    attempt_log: attempts.map((a) => ({
      attempt: a.n,
      at: iso(a.at),
      status_code: a.status_code,
      latency_ms: a.latency_ms,
      response_excerpt: a.response_excerpt,
      error: a.error,
      next_attempt_at: isoOrNull(a.next_attempt_at),
    })),
  };
}
