import { DurableObject } from "cloudflare:workers";
import type { PrincipalRpc } from "../../src/contract/principal";
import { mintApiKey } from "../../src/core/auth/api-keys";
import { fromHex, timingSafeEqual } from "../../src/core/encoding";
import type { Env } from "../../src/contract/env";
import { ok, problem, refused, type Outcome, type Problem } from "../../src/core/errors";
import { newId } from "../../src/core/ids";
import { newTreeId, treeKey } from "../../src/core/tree-ids";
import type { Grant, NewSession } from "../../src/contract/session-tree";
import type { ReceiptInOutbox } from "../../src/contract/settlement";
import type { SessionView } from "../../src/contract/views";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import type { EventData, EventType } from "../../src/core/webhooks/events";
import { PrincipalWebhooks, type DeliveryView, type EndpointView, type IngestResult, type NewEndpointView } from "./webhooks";
import type { AttemptInput, DeliveryJob, EndpointInput, EndpointPatch } from "./webhook-store";
import type { KeyProof, Idempotency, PrincipalResult, PrincipalView, ApiKeyView } from "../../src/contract/principal";
export type { KeyProof, Idempotency, PrincipalResult, PrincipalView, ApiKeyView } from "../../src/contract/principal";






const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** An in-flight record older than this is taken to have died with its request. */
const IN_FLIGHT_STALE_MS = 60_000;

/**
 * One per principal: its API keys (hashes only), the index of its trees, its
 * freeze switch, idempotency of principal calls. Principal operations on trees
 * pass through here, so a route makes exactly one call.
 */
export class Principal extends DurableObject<Env> implements PrincipalRpc {
  private readonly sql: SqlStorage;
  private readonly webhooks: PrincipalWebhooks;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.migrate());
    this.webhooks = new PrincipalWebhooks(ctx, env, () => this.row()?.id ?? null);
  }

  private migrate(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS principal (id TEXT PRIMARY KEY, name TEXT NOT NULL, max_session_seconds INTEGER NOT NULL, frozen INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL, prefix TEXT NOT NULL, label TEXT, created_at INTEGER NOT NULL, revoked_at INTEGER);
      CREATE TABLE IF NOT EXISTS trees (id TEXT PRIMARY KEY, root TEXT, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, state TEXT NOT NULL, response TEXT, created_at INTEGER NOT NULL);
    `);
  }

  // ---------------------------------------------------------------- operator

  /** Creates the principal and its first key; the secret is returned once and only its hash is kept. */
  create(input: { id: string; name: string; maxSessionSeconds: number; secretHash: string; keyId: string; keyPrefix: string }): Outcome<PrincipalView> {
    return this.ctx.storage.transactionSync(() => {
      if (this.row()) return refused<PrincipalView>(problem("validation-failed", "the principal already exists"));
      const now = Date.now();
      this.sql.exec(
        "INSERT INTO principal (id, name, max_session_seconds, created_at) VALUES (?, ?, ?, ?)",
        input.id,
        input.name,
        input.maxSessionSeconds,
        now,
      );
      this.sql.exec(
        "INSERT INTO api_keys (id, hash, prefix, label, created_at) VALUES (?, ?, ?, 'first key', ?)",
        input.keyId,
        input.secretHash,
        input.keyPrefix,
        now,
      );
      return ok(this.view()!);
    });
  }

  // ---------------------------------------------------------------- authentication

  authenticate(proof: KeyProof): Outcome<PrincipalView> {
    const p = this.row();
    const key = this.sql
      .exec<{ hash: string; revoked_at: number | null }>("SELECT hash, revoked_at FROM api_keys WHERE id = ?", proof.keyId)
      .toArray()[0];
    if (!p || !key || key.revoked_at !== null || !timingSafeEqual(fromHex(key.hash), fromHex(proof.secretHash)))
      return refused(problem("unauthenticated", "the API key is not valid"));
    return ok(this.view()!);
  }

  // ---------------------------------------------------------------- API keys

  createApiKey(proof: KeyProof, idem: Idempotency | null, input: { label: string | null; secretHash: string; keyId: string; keyPrefix: string }): Promise<PrincipalResult<ApiKeyView>> {
    return this.authenticated(proof, idem, (): Outcome<ApiKeyView> => {
      const now = Date.now();
      this.sql.exec(
        "INSERT INTO api_keys (id, hash, prefix, label, created_at) VALUES (?, ?, ?, ?, ?)",
        input.keyId,
        input.secretHash,
        input.keyPrefix,
        input.label,
        now,
      );
      return ok(this.keyView(input.keyId)!);
    });
  }

  listApiKeys(proof: KeyProof): Promise<PrincipalResult<ApiKeyView[]>> {
    return this.authenticated(proof, null, () =>
      ok(
        this.sql
          .exec<{ id: string }>("SELECT id FROM api_keys ORDER BY created_at")
          .toArray()
          .map((r) => this.keyView(r.id)!),
      ),
    );
  }

  revokeApiKey(proof: KeyProof, idem: Idempotency | null, keyId: string): Promise<PrincipalResult<ApiKeyView>> {
    return this.authenticated(proof, idem, () => {
      const key = this.keyView(keyId);
      if (!key) return refused<ApiKeyView>(problem("not-found", `no API key ${keyId}`));
      this.sql.exec("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", Date.now(), keyId);
      return ok(this.keyView(keyId)!);
    });
  }

  // ---------------------------------------------------------------- sessions

  grantSession(proof: KeyProof, idem: Idempotency | null, input: { session: NewSession; issuer: string }): Promise<PrincipalResult<Grant>> {
    return this.authenticated(proof, idem, async (): Promise<Outcome<Grant>> => {
      const p = this.view()!;
      if (p.frozen) return refused(problem("principal-frozen", "the principal is frozen: no session can be granted"));
      const now = Date.now();
      const maxMs = p.max_session_seconds * 1000;
      if (input.session.expiresAt <= now || input.session.expiresAt <= input.session.notBefore)
        return refused(validation("expires_at", "after_start", "must be later than now and than not_before"));
      // A session never lives longer than from now, so this bounds its lifetime too.
      if (input.session.expiresAt > now + maxMs)
        return refused(
          validation("expires_at", "max_lifetime", `must be at most ${p.max_session_seconds} s from now (the principal's maximum session lifetime)`),
        );
      // Index the tree before it exists, so a freeze that races this grant still reaches it.
      const tree = newTreeId();
      this.sql.exec("INSERT INTO trees (id, created_at) VALUES (?, ?)", tree, now);
      const stub = this.tree(tree);
      const created = await stub.createRoot({ tree, principal: p.id, issuer: input.issuer, session: input.session });
      if (created.ok) {
        this.sql.exec("UPDATE trees SET root = ? WHERE id = ?", created.value.session.id, tree);
        if (this.row()!.frozen) await stub.setFrozen(true);
      }
      return created;
    });
  }

  getSession(proof: KeyProof, id: string): Promise<PrincipalResult<SessionView>> {
    return this.authenticated(proof, null, async (): Promise<Outcome<SessionView>> => this.tree(id).getSession(this.id, id));
  }

  getTree(proof: KeyProof, id: string): Promise<PrincipalResult<{ session: SessionView; descendants: SessionView[] }>> {
    return this.authenticated(proof, null, async () => this.tree(id).getTree(this.id, id));
  }

  revokeSession(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<{ revoked: number; session: string }>> {
    return this.authenticated(proof, idem, async () => this.tree(id).revoke(this.id, id));
  }

  listReceipts(
    proof: KeyProof,
    sessionId: string,
    page: { limit: number; startingAfter?: string },
  ): Promise<PrincipalResult<{ data: SignedReceipt[]; has_more: boolean }>> {
    return this.authenticated(proof, null, async () => this.tree(sessionId).listReceipts(this.id, sessionId, page));
  }

  receipt(proof: KeyProof, id: string): Promise<PrincipalResult<SignedReceipt>> {
    return this.authenticated(proof, null, async (): Promise<Outcome<SignedReceipt>> => this.tree(id).receipt({ principal: this.id }, id));
  }

  /** The receipt and its outbox state, for its proof (src/settlement/receipt-proof.ts assembles the rest). */
  receiptInOutbox(proof: KeyProof, id: string): Promise<PrincipalResult<ReceiptInOutbox>> {
    return this.authenticated(proof, null, async (): Promise<Outcome<ReceiptInOutbox>> => this.tree(id).receiptInOutbox({ principal: this.id }, id));
  }

  /** The kill switch: returns once every tree has the flag, so nothing under the principal succeeds after it. */
  setFrozen(proof: KeyProof, idem: Idempotency | null, frozen: boolean): Promise<PrincipalResult<PrincipalView & { trees: number }>> {
    return this.authenticated(proof, idem, async () => {
      const changed = this.row()!.frozen !== (frozen ? 1 : 0);
      this.sql.exec("UPDATE principal SET frozen = ?", frozen ? 1 : 0);
      const trees = this.sql.exec<{ id: string }>("SELECT id FROM trees").toArray();
      await Promise.all(trees.map((t) => this.tree(t.id).setFrozen(frozen)));
      if (changed) {
        const at = new Date().toISOString();
        await (frozen
          ? this.webhooks.emit("principal.frozen", { frozen_at: at })
          : this.webhooks.emit("principal.unfrozen", { unfrozen_at: at }));
      }
      return ok({ ...this.view()!, trees: trees.length }) as Outcome<PrincipalView & { trees: number }>;
    });
  }

  // ---------------------------------------------------------------- webhooks (src/webhooks/host.ts)

  createWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, input: EndpointInput): Promise<PrincipalResult<NewEndpointView>> {
    return this.authenticated(proof, idem, () => this.webhooks.createEndpoint(input));
  }

  listWebhookEndpoints(proof: KeyProof): Promise<PrincipalResult<EndpointView[]>> {
    return this.authenticated(proof, null, () => this.webhooks.listEndpoints());
  }

  getWebhookEndpoint(proof: KeyProof, id: string): Promise<PrincipalResult<EndpointView>> {
    return this.authenticated(proof, null, () => this.webhooks.getEndpoint(id));
  }

  updateWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, id: string, patch: EndpointPatch): Promise<PrincipalResult<EndpointView>> {
    return this.authenticated(proof, idem, () => this.webhooks.updateEndpoint(id, patch));
  }

  deleteWebhookEndpoint(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<{ id: string; object: "webhook_endpoint"; deleted: true }>> {
    return this.authenticated(proof, idem, () => this.webhooks.deleteEndpoint(id));
  }

  rotateWebhookSecret(proof: KeyProof, idem: Idempotency | null, id: string): Promise<PrincipalResult<NewEndpointView>> {
    return this.authenticated(proof, idem, () => this.webhooks.rotateSecret(id));
  }

  listWebhookDeliveries(
    proof: KeyProof,
    endpointId: string,
    options: { limit?: number; starting_after?: string },
  ): Promise<PrincipalResult<{ data: DeliveryView[]; has_more: boolean }>> {
    return this.authenticated(proof, null, () => this.webhooks.listDeliveries(endpointId, options));
  }

  redeliverWebhook(proof: KeyProof, idem: Idempotency | null, deliveryId: string): Promise<PrincipalResult<DeliveryView>> {
    return this.authenticated(proof, idem, () => this.webhooks.redeliver(deliveryId));
  }

  /** From this principal's trees: their events outbox, drained on the tree's alarm. Idempotent by event id. */
  ingestEvents(events: unknown[]): Promise<IngestResult> {
    return this.webhooks.ingest(events);
  }

  /**
   * Record and deliver an event of this principal from elsewhere in the service (the
   * settlement engine's `settlement.anchored` / `settlement.failed`). `data` must match
   * the catalogue (src/webhooks/events.ts) or the outcome is `validation-failed`; the
   * same `dedupeKey` (e.g. the period) with the same type delivers once.
   */
  emitEvent<T extends EventType>(type: T, data: EventData<T>, dedupeKey?: string) {
    return this.webhooks.emit(type, data, dedupeKey);
  }

  /** The queue consumer's view of one delivery; null when there is nothing to send. */
  webhookJob(deliveryId: string, now?: number): DeliveryJob | null {
    return this.webhooks.job(deliveryId, now);
  }

  recordWebhookAttempt(deliveryId: string, attempt: AttemptInput): Promise<DeliveryView | null> {
    return this.webhooks.recordAttempt(deliveryId, attempt);
  }

  /** The delivery's message reached the dead-letter queue. */
  webhookDeadLettered(deliveryId: string): DeliveryView | null {
    return this.webhooks.deadLettered(deliveryId);
  }

  /** Webhook sweeper: re-enqueues deliveries whose queue message was lost. */
  override async alarm(): Promise<void> {
    await this.webhooks.sweep();
  }

  // ---------------------------------------------------------------- internals

  private get id(): string {
    return this.row()!.id;
  }

  private row() {
    return this.sql
      .exec<{ id: string; name: string; max_session_seconds: number; frozen: number; created_at: number }>("SELECT * FROM principal")
      .toArray()[0];
  }

  private view(): PrincipalView | null {
    const p = this.row();
    if (!p) return null;
    return {
      id: p.id,
      object: "principal",
      name: p.name,
      max_session_seconds: p.max_session_seconds,
      frozen: p.frozen === 1,
      created_at: new Date(p.created_at).toISOString(),
    };
  }

  private keyView(id: string): ApiKeyView | null {
    const k = this.sql
      .exec<{ id: string; prefix: string; label: string | null; created_at: number; revoked_at: number | null }>(
        "SELECT id, prefix, label, created_at, revoked_at FROM api_keys WHERE id = ?",
        id,
      )
      .toArray()[0];
    if (!k) return null;
    return {
      id: k.id,
      object: "api_key",
      prefix: k.prefix,
      label: k.label,
      created_at: new Date(k.created_at).toISOString(),
      revoked_at: k.revoked_at === null ? null : new Date(k.revoked_at).toISOString(),
    };
  }

  private tree(anyIdInTree: string) {
    return this.env.SESSION_TREE.get(this.env.SESSION_TREE.idFromName(treeKey(anyIdInTree)));
  }

  /**
   * Authenticates, then runs `fn` at most once per Idempotency-Key: a completed key
   * replays its stored outcome, a key still in flight is refused with 409, the same
   * key with another body with 422.
   */
  private async authenticated<T>(
    proof: KeyProof,
    idem: Idempotency | null,
    fn: () => Outcome<T> | Promise<Outcome<T>>,
  ): Promise<PrincipalResult<T>> {
    const auth = this.authenticate(proof);
    if (!auth.ok) return { outcome: auth };
    if (!idem) return { outcome: await fn() };
    const now = Date.now();
    const existing = this.sql
      .exec<{ fingerprint: string; state: string; response: string | null; created_at: number }>(
        "SELECT fingerprint, state, response, created_at FROM idempotency WHERE key = ? AND created_at > ?",
        idem.key,
        now - IDEMPOTENCY_TTL_MS,
      )
      .toArray()[0];
    if (existing) {
      if (existing.fingerprint !== idem.fingerprint)
        return { outcome: refused(problem("idempotency-key-reused", "this Idempotency-Key was used with a different request", { idempotency_key: idem.key })) };
      if (existing.state === "done") return { outcome: JSON.parse(existing.response!) as Outcome<T>, replayed: true };
      if (now - existing.created_at < IN_FLIGHT_STALE_MS)
        return { outcome: refused(problem("idempotency-in-flight", "a request with this Idempotency-Key is still being processed", { idempotency_key: idem.key })) };
    }
    this.sql.exec(
      "INSERT INTO idempotency (key, fingerprint, state, created_at) VALUES (?, ?, 'in_flight', ?) ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'in_flight', response = NULL, created_at = excluded.created_at",
      idem.key,
      idem.fingerprint,
      now,
    );
    let outcome: Outcome<T>;
    try {
      outcome = await fn();
    } catch (e) {
      this.sql.exec("DELETE FROM idempotency WHERE key = ?", idem.key);
      throw e;
    }
    if (!outcome.ok && outcome.problem.name === "validation-failed") this.sql.exec("DELETE FROM idempotency WHERE key = ?", idem.key);
    else this.sql.exec("UPDATE idempotency SET state = 'done', response = ? WHERE key = ?", JSON.stringify(outcome), idem.key);
    return { outcome };
  }
}

function validation(field: string, rule: string, message: string): Problem {
  return problem("validation-failed", `${field}: ${message}`, { errors: [{ field, rule, message }] });
}
