/**
 * A principal's webhook endpoints and their signing secrets. The secret is shown at
 * creation and rotation only; after a rotation the previous one keeps signing for a
 * while so receivers can switch without dropping a delivery.
 */
import { validationFailed, type FieldError } from "../../src/core/errors";
import { newId } from "../../src/core/ids";
import { isEventType, selects, type EventSelection, type EventType } from "../../src/core/webhooks/events";
import { newSecret } from "../../src/core/webhooks/sign";
import { MAX_DESCRIPTION_LENGTH, type Endpoint, type EndpointInput, type EndpointPatch } from "../../src/contract/webhooks";
import { endpointRow, secretsOf, toEndpoint, type EndpointRow } from "./webhook-rows";

/** How long the previous secret keeps signing after a rotation. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 3600 * 1000;

/** Create an endpoint. The secret is returned here and by `rotateSecret` only. */
export function createEndpoint(sql: SqlStorage, input: EndpointInput, now: number): { endpoint: Endpoint; secret: string } {
  const events = checkInput(input);
  const id = newId("whe");
  const secret = newSecret();
  sql.exec(
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
  return { endpoint: getEndpoint(sql, id)!, secret };
}

export function getEndpoint(sql: SqlStorage, id: string): Endpoint | null {
  const row = endpointRow(sql, id);
  return row ? toEndpoint(row) : null;
}

/** Every endpoint, oldest first. */
export function listEndpoints(sql: SqlStorage): Endpoint[] {
  return sql.exec<EndpointRow>("SELECT * FROM webhook_endpoints ORDER BY created_at, id").toArray().map(toEndpoint);
}

export function updateEndpoint(sql: SqlStorage, id: string, patch: EndpointPatch, now: number): Endpoint | null {
  const row = endpointRow(sql, id);
  if (!row) return null;
  const current = toEndpoint(row);
  const next = {
    url: patch.url ?? current.url,
    events: patch.events ?? current.events,
    description: patch.description === undefined ? current.description : patch.description,
  };
  const events = checkInput(next);
  sql.exec(
    "UPDATE webhook_endpoints SET url = ?, events = ?, description = ?, disabled = ?, updated_at = ? WHERE id = ?",
    next.url,
    JSON.stringify(events),
    next.description,
    (patch.disabled ?? current.disabled) ? 1 : 0,
    now,
    id,
  );
  return getEndpoint(sql, id);
}

/** Delete an endpoint and its delivery log. */
export function deleteEndpoint(sql: SqlStorage, id: string): boolean {
  const deleted = sql.exec("DELETE FROM webhook_endpoints WHERE id = ?", id).rowsWritten > 0;
  if (deleted) {
    sql.exec("DELETE FROM webhook_attempts WHERE delivery IN (SELECT id FROM webhook_deliveries WHERE endpoint = ?)", id);
    sql.exec("DELETE FROM webhook_deliveries WHERE endpoint = ?", id);
  }
  return deleted;
}

/**
 * Replace the signing secret. The old one keeps signing (alongside) for 24 hours;
 * a second rotation within that time drops the oldest secret at once.
 */
export function rotateSecret(sql: SqlStorage, id: string, now: number): { secret: string } | null {
  const row = endpointRow(sql, id);
  if (!row) return null;
  const secret = newSecret();
  sql.exec(
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
export function signingSecrets(sql: SqlStorage, id: string, now: number): string[] {
  const row = endpointRow(sql, id);
  return row ? secretsOf(row, now) : [];
}

/** Enabled endpoints subscribed to `type`. */
export function endpointsFor(sql: SqlStorage, type: EventType): Endpoint[] {
  return sql
    .exec<EndpointRow>("SELECT * FROM webhook_endpoints WHERE disabled = 0 ORDER BY created_at, id")
    .toArray()
    .map(toEndpoint)
    .filter((e) => selects(e.events, type));
}

/** Defensive re-check of what the edge validated; returns the de-duplicated selection. */
function checkInput(input: { url: string; events: readonly string[]; description?: string | null | undefined }): EventSelection {
  const errors: FieldError[] = [];
  if (typeof input.url !== "string" || input.url === "") errors.push({ field: "url", rule: "required", message: "url is required" });
  const events = [...new Set(input.events)];
  if (events.length === 0) {
    errors.push({ field: "events", rule: "too_small", message: 'events must name at least one event type, or be ["*"]' });
  } else if (events.includes("*") && events.length > 1) {
    errors.push({ field: "events", rule: "wildcard_alone", message: '"*" must be the only entry in events' });
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
