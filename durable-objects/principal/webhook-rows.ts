/**
 * The webhook rows as SQLite holds them and as the rest of the service sees them:
 * epoch milliseconds and JSON text in, RFC 3339 strings and parsed values out. One
 * mapping, so an endpoint or a delivery reads the same from every method.
 */
import type { EventEnvelope, EventSelection, EventType } from "../../src/core/webhooks/events";
import type { Delivery, DeliveryStatus, Endpoint } from "../../src/contract/webhooks";

export type EndpointRow = {
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

export type DeliveryRow = {
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

export type AttemptRow = {
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

export function endpointRow(sql: SqlStorage, id: string): EndpointRow | null {
  return sql.exec<EndpointRow>("SELECT * FROM webhook_endpoints WHERE id = ?", id).toArray()[0] ?? null;
}

export function deliveryRow(sql: SqlStorage, id: string): DeliveryRow | null {
  return sql.exec<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE id = ?", id).toArray()[0] ?? null;
}

/** The secrets to sign with at `now`: current first, then the previous one until it expires. */
export function secretsOf(row: EndpointRow, now: number): string[] {
  const valid = row.previous_secret !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now;
  return valid ? [row.secret, row.previous_secret!] : [row.secret];
}

export function toEndpoint(row: EndpointRow): Endpoint {
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

export function toDelivery(row: DeliveryRow, attempts: AttemptRow[]): Delivery {
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
