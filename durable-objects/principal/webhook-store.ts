/**
 * Webhook endpoints, their signing secrets and the delivery log, in the SQLite storage
 * of a principal's Durable Object: one object to hand around (PrincipalWebhooks, the
 * tests) over the concept files (webhook-endpoints, -deliveries, -events, -schema,
 * -rows). Every method is synchronous; a method's writes happen without an
 * intervening await, so each one commits atomically.
 *
 * Times passed in are epoch milliseconds; times returned are RFC 3339 strings.
 */
import type { EventEnvelope, EventType } from "../../src/core/webhooks/events";
import type { AttemptInput, Delivery, DeliveryInput, DeliveryJob, DeliveryPage, Endpoint, EndpointInput, EndpointPatch } from "../../src/contract/webhooks";
import { DEFAULT_PAGE_SIZE, MAX_DESCRIPTION_LENGTH, MAX_PAGE_SIZE } from "../../src/contract/webhooks";
import * as deliveries from "./webhook-deliveries";
import * as endpoints from "./webhook-endpoints";
import * as events from "./webhook-events";
import { migrateWebhooks } from "./webhook-schema";
import { migrateEvents, pruneEvents } from "./events";
import { EVENT_RETENTION_MS } from "../../src/contract/events";
export { DEFAULT_PAGE_SIZE, MAX_DESCRIPTION_LENGTH, MAX_PAGE_SIZE };
export type {
  Endpoint,
  EndpointInput,
  EndpointPatch,
  DeliveryStatus,
  DeliveryInput,
  AttemptInput,
  Attempt,
  Delivery,
  DeliveryPage,
  DeliveryJob,
} from "../../src/contract/webhooks";
export { PREVIOUS_SECRET_TTL_MS } from "./webhook-endpoints";
export { EVENT_DEDUPE_TTL_MS } from "./webhook-events";

export class WebhookStore {
  constructor(private readonly sql: SqlStorage) {
    this.migrate();
  }

  /** Idempotent; the constructor runs it. */
  migrate(): void {
    migrateWebhooks(this.sql);
    migrateEvents(this.sql);
  }

  // ---- endpoints ------------------------------------------------------------

  /** Create an endpoint. The secret is returned here and by `rotateSecret` only. */
  create(input: EndpointInput, now: number = Date.now()): { endpoint: Endpoint; secret: string } {
    return endpoints.createEndpoint(this.sql, input, now);
  }

  get(id: string): Endpoint | null {
    return endpoints.getEndpoint(this.sql, id);
  }

  /** Every endpoint, oldest first. */
  list(): Endpoint[] {
    return endpoints.listEndpoints(this.sql);
  }

  update(id: string, patch: EndpointPatch, now: number = Date.now()): Endpoint | null {
    return endpoints.updateEndpoint(this.sql, id, patch, now);
  }

  /** Delete an endpoint and its delivery log. */
  delete(id: string): boolean {
    return endpoints.deleteEndpoint(this.sql, id);
  }

  /** Replace the signing secret; the old one keeps signing alongside for 24 hours. */
  rotateSecret(id: string, now: number): { secret: string } | null {
    return endpoints.rotateSecret(this.sql, id, now);
  }

  /** The secrets to sign with now: current first, then the previous one until it expires. Empty if unknown. */
  signingSecrets(id: string, now: number): string[] {
    return endpoints.signingSecrets(this.sql, id, now);
  }

  /** Enabled endpoints subscribed to `type`. */
  endpointsFor(type: EventType): Endpoint[] {
    return endpoints.endpointsFor(this.sql, type);
  }

  // ---- events ---------------------------------------------------------------

  /** `recordEvent`, at most once per `key` (the event id unless given); null when the key was seen. */
  ingestEvent(event: EventEnvelope, now: number = Date.now(), key: string = event.id): Delivery[] | null {
    return events.ingestEvent(this.sql, event, now, key);
  }

  /** Drop events of the event log past their 30 days (idempotent); returns how many. */
  pruneEvents(now: number): number {
    return pruneEvents(this.sql, now - EVENT_RETENTION_MS);
  }

  /** Forget ingested event keys older than `before`; returns how many. */
  pruneSeen(before: number): number {
    return events.pruneSeen(this.sql, before);
  }

  /** One pending delivery per enabled endpoint subscribed to the event. */
  recordEvent(event: EventEnvelope, now: number = Date.now()): Delivery[] {
    return events.recordEvent(this.sql, event, now);
  }

  // ---- deliveries -----------------------------------------------------------

  /** Record a delivery; idempotent by id. Null if the endpoint does not exist. */
  recordDelivery(input: DeliveryInput, now: number = Date.now()): Delivery | null {
    return deliveries.recordDelivery(this.sql, input, now);
  }

  /** Append an attempt and derive the delivery's status from it. */
  recordAttempt(deliveryId: string, input: AttemptInput): Delivery | null {
    return deliveries.recordAttempt(this.sql, deliveryId, input);
  }

  /** Back to `pending` for a manual redelivery: a new round of the retry schedule. */
  requeue(deliveryId: string, now: number): Delivery | null {
    return deliveries.requeue(this.sql, deliveryId, now);
  }

  /** The delivery's queue message reached the dead-letter queue. */
  deadLettered(deliveryId: string, now: number): Delivery | null {
    return deliveries.deadLettered(this.sql, deliveryId, now);
  }

  /** The deliveries were (re-)enqueued at `at`. */
  markEnqueued(deliveryIds: readonly string[], at: number): void {
    deliveries.markEnqueued(this.sql, deliveryIds, at);
  }

  /** The earliest `next_attempt_at` of a delivery still waiting, or null when none waits. */
  nextDueAt(): number | null {
    return deliveries.nextDueAt(this.sql);
  }

  /** What the queue consumer needs to make an attempt; null when there is nothing to send. */
  deliveryJob(deliveryId: string, now: number): DeliveryJob | null {
    return deliveries.deliveryJob(this.sql, deliveryId, now);
  }

  /** Waiting deliveries due at or before `before`, oldest first (for the sweeper). */
  due(before: number, limit = DEFAULT_PAGE_SIZE): Delivery[] {
    return deliveries.due(this.sql, before, limit);
  }

  getDelivery(id: string): Delivery | null {
    return deliveries.getDelivery(this.sql, id);
  }

  /** An endpoint's deliveries, newest first; `starting_after` is the last id of the previous page. */
  listDeliveries(endpointId: string, options: { limit?: number; starting_after?: string } = {}): DeliveryPage {
    return deliveries.listDeliveries(this.sql, endpointId, options);
  }

  /** Drop deliveries (and their attempts) created before `before`; returns how many. */
  pruneDeliveries(before: number): number {
    return deliveries.pruneDeliveries(this.sql, before);
  }
}
