/**
 * Webhooks inside a principal's Durable Object: its endpoints and delivery log
 * (`WebhookStore`), the events it receives from its trees or emits itself, and the
 * queue messages that carry deliveries to the consumer. The object's methods are thin
 * wrappers around this class.
 *
 * Never lost: an event is recorded (deliveries written) before anything is sent; a
 * send that fails leaves the delivery due, and the object's alarm (`sweep`) enqueues
 * every delivery that has waited past its grace (webhook-sweeper.ts).
 */
import type { Env } from "../../src/contract/env";
import { ok, problem, refused, RemitError, type Outcome } from "../../src/core/errors";
import { buildEvent, EVENT_TYPES, isEventType, webhookEventSchema, type EventData, type EventEnvelope, type EventType } from "../../src/core/webhooks/events";
import { WebhookStore, type AttemptInput, type Delivery, type DeliveryJob, type Endpoint, type EndpointInput, type EndpointPatch } from "./webhook-store";
import { scheduleSweep, send, sweep, type SweeperContext } from "./webhook-sweeper";
import type { EndpointView, NewEndpointView, DeliveryView, IngestResult } from "../../src/contract/webhooks";
export type { EndpointView, NewEndpointView, DeliveryView, IngestResult } from "../../src/contract/webhooks";

/** A principal may have this many endpoints. */
export const MAX_ENDPOINTS = 16;
export { DELIVERY_RETENTION_MS } from "./webhook-sweeper";

const endpointView = (e: Endpoint): EndpointView => ({ ...e, object: "webhook_endpoint" });
const deliveryView = (d: Delivery): DeliveryView => ({ ...d, object: "webhook_delivery" });
const notFound = (what: string, id: string) => refused<never>(problem("not-found", `no ${what} ${id}`));

/** Store methods throw `RemitError` on invalid input; across RPC it must be an outcome. */
function guarded<T>(fn: () => Outcome<T>): Outcome<T> {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RemitError) return refused(e.problem);
    throw e;
  }
}

export class PrincipalWebhooks {
  readonly store: WebhookStore;
  private readonly sweeper: SweeperContext;

  constructor(
    ctx: DurableObjectState,
    env: Env,
    /** The principal's id, or null before it is created. */
    private readonly principalId: () => string | null,
  ) {
    this.store = new WebhookStore(ctx.storage.sql);
    this.sweeper = { ctx, env, store: this.store, principalId };
  }

  // ---------------------------------------------------------------- endpoints

  /** The URL was checked at the edge (SSRF rules depend on the deployment). */
  createEndpoint(input: EndpointInput, now = Date.now()): Outcome<NewEndpointView> {
    return guarded(() => {
      if (this.store.list().length >= MAX_ENDPOINTS)
        return refused(
          problem("validation-failed", `a principal may have at most ${MAX_ENDPOINTS} webhook endpoints`, {
            errors: [{ field: "url", rule: "too_many_endpoints", message: `at most ${MAX_ENDPOINTS} endpoints; delete one first` }],
          }),
        );
      const { endpoint, secret } = this.store.create(input, now);
      return ok({ ...endpointView(endpoint), secret });
    });
  }

  listEndpoints(): Outcome<EndpointView[]> {
    return ok(this.store.list().map(endpointView));
  }

  getEndpoint(id: string): Outcome<EndpointView> {
    const e = this.store.get(id);
    return e ? ok(endpointView(e)) : notFound("webhook endpoint", id);
  }

  updateEndpoint(id: string, patch: EndpointPatch, now = Date.now()): Outcome<EndpointView> {
    return guarded(() => {
      const e = this.store.update(id, patch, now);
      return e ? ok(endpointView(e)) : notFound("webhook endpoint", id);
    });
  }

  deleteEndpoint(id: string): Outcome<{ id: string; object: "webhook_endpoint"; deleted: true }> {
    return this.store.delete(id) ? ok({ id, object: "webhook_endpoint", deleted: true }) : notFound("webhook endpoint", id);
  }

  /** A new secret; the previous one keeps signing alongside it for 24 hours. */
  rotateSecret(id: string, now = Date.now()): Outcome<NewEndpointView> {
    const rotated = this.store.rotateSecret(id, now);
    if (!rotated) return notFound("webhook endpoint", id);
    return ok({ ...endpointView(this.store.get(id)!), secret: rotated.secret });
  }

  listDeliveries(endpointId: string, options: { limit?: number; starting_after?: string }): Outcome<{ data: DeliveryView[]; has_more: boolean }> {
    if (!this.store.get(endpointId)) return notFound("webhook endpoint", endpointId);
    const page = this.store.listDeliveries(endpointId, options);
    return ok({ data: page.data.map(deliveryView), has_more: page.has_more });
  }

  /** Send a delivery again, whatever its state: a new round of the retry schedule, starting now. */
  async redeliver(deliveryId: string, now = Date.now()): Promise<Outcome<DeliveryView>> {
    const d = this.store.requeue(deliveryId, now);
    if (!d) return notFound("webhook delivery", deliveryId);
    await this.send([d.id], now);
    return ok(deliveryView(this.store.getDelivery(deliveryId)!));
  }

  // ---------------------------------------------------------------- events

  /**
   * Events from the principal's trees (their outbox drain). Idempotent by event id, so
   * a drain that crashed before marking its events sent can send them again.
   */
  async ingest(events: readonly unknown[], now = Date.now()): Promise<IngestResult> {
    const principal = this.principalId();
    const result: IngestResult = { accepted: 0, duplicates: 0, deliveries: 0 };
    const created: string[] = [];
    for (const raw of events) {
      const parsed = webhookEventSchema.safeParse(raw);
      if (!parsed.success || parsed.data.principal !== principal) {
        // Not ours or not in the catalogue: a bug upstream. Dropping it beats blocking the outbox forever.
        console.error("webhooks: event refused at ingestion", parsed.success ? `principal ${parsed.data.principal}` : parsed.error.message);
        continue;
      }
      const deliveries = this.store.ingestEvent(parsed.data as EventEnvelope, now);
      if (deliveries === null) {
        result.duplicates++;
        continue;
      }
      result.accepted++;
      result.deliveries += deliveries.length;
      created.push(...deliveries.map((d) => d.id));
    }
    // Once per batch, not per event. The alarm's sweep prunes too, but it runs only while deliveries wait.
    if (result.accepted > 0) this.store.pruneEvents(now);
    await this.send(created, now);
    return result;
  }

  /**
   * An event this principal's object produces (`principal.frozen`) or another part of
   * the service hands it (`settlement.anchored`, `settlement.failed`). `dedupeKey`
   * makes repeated calls (retries) deliver once.
   */
  async emit<T extends EventType>(
    type: T,
    data: EventData<T>,
    dedupeKey?: string,
    now = Date.now(),
  ): Promise<Outcome<{ event: string; deliveries: number; duplicate: boolean }>> {
    const principal = this.principalId();
    if (!principal) return refused(problem("not-found", "the principal does not exist"));
    if (!isEventType(type))
      return refused(
        problem("validation-failed", `unknown event type ${String(type)}`, {
          errors: [{ field: "type", rule: "unknown_event_type", message: `must be one of ${EVENT_TYPES.join(", ")}` }],
        }),
      );
    let event: EventEnvelope;
    try {
      event = buildEvent(type, principal, data, now);
    } catch (e) {
      return refused(
        problem("validation-failed", e instanceof Error ? e.message : String(e), {
          errors: [{ field: "data", rule: "event_schema", message: `does not match the ${type} schema` }],
        }),
      );
    }
    const deliveries = this.store.ingestEvent(event, now, dedupeKey === undefined ? event.id : `key:${type}:${dedupeKey}`);
    if (deliveries === null) return ok({ event: event.id, deliveries: 0, duplicate: true });
    this.store.pruneEvents(now);
    await this.send(
      deliveries.map((d) => d.id),
      now,
    );
    return ok({ event: event.id, deliveries: deliveries.length, duplicate: false });
  }

  // ---------------------------------------------------------------- the queue consumer's side

  job(deliveryId: string, now = Date.now()): DeliveryJob | null {
    return this.store.deliveryJob(deliveryId, now);
  }

  async recordAttempt(deliveryId: string, input: AttemptInput): Promise<DeliveryView | null> {
    const d = this.store.recordAttempt(deliveryId, input);
    await this.scheduleSweep(Date.now());
    return d ? deliveryView(d) : null;
  }

  deadLettered(deliveryId: string, now = Date.now()): DeliveryView | null {
    const d = this.store.deadLettered(deliveryId, now);
    return d ? deliveryView(d) : null;
  }

  // ---------------------------------------------------------------- the sweeper (the object's alarm, webhook-sweeper.ts)

  /** Enqueue every delivery that waited past its grace; prune old records; plan the next sweep. */
  sweep(now = Date.now()): Promise<void> {
    return sweep(this.sweeper, now);
  }

  /** Make sure the alarm fires by the time the earliest waiting delivery is past its grace. */
  scheduleSweep(now: number): Promise<void> {
    return scheduleSweep(this.sweeper, now);
  }

  private send(deliveries: string[], now: number): Promise<void> {
    return send(this.sweeper, deliveries, now);
  }
}
