import { DurableObject } from "cloudflare:workers";
import type { SessionTreeRpc } from "../../src/contract/session-tree";
import { dpopChallenge } from "../../src/core/auth/dpop";
import type { AgentJwk } from "../../src/core/auth/jwk";
import { serviceKeys, type ServiceKey } from "../../src/core/auth/service-keys";
import { issueSessionTokenSync } from "../../src/core/auth/session-token";
import type { Env } from "../../src/contract/env";
import { ok, problem, refused, type Outcome, type Problem, type ProblemName } from "../../src/core/errors";
import { attenuate, type Limits } from "../../src/core/policy/attenuate";
import { checkDebit, capture as captureCounter, debit, release, reserve, rollover, type BudgetCounter } from "../../src/core/policy/budgets";
import { formatAmount } from "../../src/core/policy/amounts";
import { gcra, rateLimitHeaders, tightest, type RateLimit } from "../../src/core/policy/rate";
import { coveredByAny } from "../../src/core/policy/scopes";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import { newIdIn } from "../../src/core/tree-ids";
import { readReceipt, readReceipts, writeReceipt, type ReceiptFields } from "./receipts";
import { DRAIN_COALESCE_MS, drainReceipts, outboxState, type ReceiptInOutbox } from "./receipt-outbox";
import { migrateTree } from "./schema";
import {
  getMeta,
  insertSession,
  readChain,
  readCounters,
  readSession,
  readSubtree,
  setMeta,
  settleHoldCounters,
  writeCounter,
  type SessionRow,
  type StoredCounter,
} from "./store";
import { sessionView, type SessionView } from "./views";
import { budgetThresholdEvents, emitEvent, nextAlarmAt, runMaintenance } from "./alarm";
import { drainEvents, eventsDueAt, sessionGrantData } from "./event-outbox";
import type { AgentCall, AgentResult, NewSession, ChildRequest, Grant, AuthorizeInput, HoldInput, HoldView } from "../../src/contract/session-tree";
export type { AgentCall, AgentResult, NewSession, ChildRequest, Grant, AuthorizeInput, HoldInput, HoldView } from "../../src/contract/session-tree";









const DEFAULT_HOLD_SECONDS = 15 * 60;
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** Refusals that are not stored against an Idempotency-Key: retrying them may rightly succeed. */
const UNSTORED: ProblemName[] = ["rate-limited", "validation-failed"];

/**
 * One delegation tree: its sessions, counters, holds, replay cache, idempotency
 * records and outboxes. Every decision is one synchronous SQLite transaction.
 */
export class SessionTree extends DurableObject<Env> implements SessionTreeRpc {
  private readonly sql: SqlStorage;
  private key!: ServiceKey;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      migrateTree(this.sql);
      this.key = (await serviceKeys(env)).current;
    });
  }

  // ---------------------------------------------------------------- principal surface

  /** Creates the tree with its root session. Called once per tree, by the principal's object. */
  createRoot(input: { tree: string; principal: string; issuer: string; session: NewSession }): Outcome<Grant> {
    const now = Date.now();
    const out = this.ctx.storage.transactionSync(() => {
      if (getMeta(this.sql, "tree")) return refused<Grant>(problem("validation-failed", "the tree already exists"));
      setMeta(this.sql, "tree", input.tree);
      setMeta(this.sql, "principal", input.principal);
      setMeta(this.sql, "issuer", input.issuer);
      const id = newIdIn("ses", input.tree);
      setMeta(this.sql, "root", id);
      const row = this.newRow(id, null, [id], 0, input.session, now);
      insertSession(this.sql, row);
      emitEvent(this.sql, "session.granted", input.principal, { ...sessionGrantData(row, input.tree), parent: null }, now);
      return ok(this.grant(row, now));
    });
    this.scheduleAlarm();
    return out;
  }

  getSession(principal: string, id: string): Outcome<SessionView> {
    const row = this.ownedSession(principal, id);
    if (!row) return refused(problem("not-found", `no session ${id}`));
    return ok(this.view(row, Date.now()));
  }

  getTree(principal: string, id: string): Outcome<{ session: SessionView; descendants: SessionView[] }> {
    const row = this.ownedSession(principal, id);
    if (!row) return refused(problem("not-found", `no session ${id}`));
    const now = Date.now();
    const [self, ...rest] = readSubtree(this.sql, id).map((s) => this.view(s, now));
    return ok({ session: self!, descendants: rest });
  }

  /** Revokes the session and every descendant in one transaction; from its return nothing under them succeeds. */
  revoke(principal: string, id: string): Outcome<{ revoked: number; session: string }> {
    const row = this.ownedSession(principal, id);
    if (!row) return refused(problem("not-found", `no session ${id}`));
    const now = Date.now();
    const out = this.ctx.storage.transactionSync(() => {
      const targets = readSubtree(this.sql, id).filter((s) => s.status === "active");
      for (const s of targets) {
        this.sql.exec("UPDATE sessions SET status = 'revoked', revoked_at = ?, revoked_by = ? WHERE id = ?", now, id, s.id);
        emitEvent(this.sql, "session.revoked", principal, { session: s.id, tree: this.treeId, revoked_root: id, revoked_at: new Date(now).toISOString() }, now);
      }
      return ok({ revoked: targets.length, session: id });
    });
    this.scheduleAlarmSoon(now); // drains the events outbox
    return out;
  }

  /** The principal's kill switch, fanned out to each of its trees. */
  setFrozen(frozen: boolean): void {
    setMeta(this.sql, "frozen", frozen ? "1" : "0");
    this.frozenFlag = frozen;
  }

  // Only setFrozen changes it, in this object: read from storage once per instance.
  private frozenFlag: boolean | null = null;
  private get frozen(): boolean {
    return (this.frozenFlag ??= getMeta(this.sql, "frozen") === "1");
  }

  receipt(caller: { principal: string } | { session: string }, id: string): Outcome<SignedReceipt> {
    const found = readReceipt(this.sql, id);
    const allowed =
      found &&
      ("principal" in caller
        ? found.receipt.principal === caller.principal
        : found.receipt.path.includes(caller.session));
    if (!found || !allowed) return refused(problem("not-found", `no receipt ${id}`));
    return ok(found);
  }

  /** A session's receipts, oldest first (by the tree's sequence), cursor-paginated. */
  listReceipts(
    principal: string,
    sessionId: string,
    page: { limit: number; startingAfter?: string },
  ): Outcome<{ data: SignedReceipt[]; has_more: boolean }> {
    if (!this.ownedSession(principal, sessionId)) return refused(problem("not-found", `no session ${sessionId}`));
    let afterSeq = 0;
    if (page.startingAfter) {
      const cursor = this.sql.exec<{ seq: number }>("SELECT seq FROM receipts WHERE id = ? AND session_id = ?", page.startingAfter, sessionId).toArray()[0];
      if (!cursor)
        return refused(
          problem("validation-failed", `starting_after ${page.startingAfter} is not a receipt of this session`, {
            errors: [{ field: "starting_after", rule: "unknown_cursor", message: "must be a receipt id of this session" }],
          }),
        );
      afterSeq = cursor.seq;
    }
    const rows = readReceipts(this.sql, "session_id = ? AND seq > ? ORDER BY seq LIMIT ?", sessionId, afterSeq, page.limit + 1);
    const data = rows.slice(0, page.limit);
    return ok({ data, has_more: rows.length > page.limit });
  }

  // ---------------------------------------------------------------- agent surface

  /** A receipt of the agent's own session or of a session below it. */
  receiptForAgent(call: AgentCall, id: string): AgentResult<SignedReceipt> {
    return this.agentDecision(call, { liveness: false }, (ctx) => this.receipt({ session: ctx.session.id }, id));
  }

  /** The receipt and whether its outbox entry reached the ledger, and which shard (the proof route, durable-objects/tree/outbox.ts). */
  receiptInOutbox(caller: { principal: string } | { session: string }, id: string): Outcome<ReceiptInOutbox> {
    const found = this.receipt(caller, id);
    return found.ok ? ok(outboxState(this.sql, found.value)) : found;
  }

  receiptInOutboxForAgent(call: AgentCall, id: string): AgentResult<ReceiptInOutbox> {
    return this.agentDecision(call, { liveness: false }, (ctx) => this.receiptInOutbox({ session: ctx.session.id }, id));
  }

  introspect(call: AgentCall): AgentResult<SessionView> {
    return this.agentDecision(call, { liveness: true }, (ctx) => ok(this.view(ctx.session, ctx.now)));
  }

  delegate(call: AgentCall, request: ChildRequest): AgentResult<Grant> {
    return this.agentDecision(call, { liveness: true }, (ctx) => {
      const parent = ctx.session;
      const child: NewSession = {
        ...request,
        notBefore: request.notBefore ?? Math.max(ctx.now, parent.notBefore),
        expiresAt: request.expiresAt ?? parent.expiresAt,
        limits: request.limits ?? parent.limits,
        maxDepth: request.maxDepth ?? Math.max(0, parent.maxDepth - 1),
      };
      const verdict = attenuate(
        { scopes: parent.scopes, notBefore: parent.notBefore, expiresAt: parent.expiresAt, limits: parent.limits, maxDepth: parent.maxDepth },
        { scopes: child.scopes, notBefore: child.notBefore, expiresAt: child.expiresAt, limits: child.limits, maxDepth: child.maxDepth },
      );
      if (!verdict.ok) {
        if (verdict.kind === "depth-exceeded") return refused(problem("depth-exceeded", verdict.detail, { max_depth: parent.maxDepth }));
        return refused(
          problem("delegation-widens", `the delegation would widen ${verdict.widens.map((w) => w.field).join(", ")}`, {
            errors: verdict.widens,
          }),
        );
      }
      const id = newIdIn("ses", this.treeId);
      const row = this.newRow(id, parent.id, [...parent.path, id], parent.depth + 1, child, ctx.now);
      insertSession(this.sql, row);
      emitEvent(this.sql, "session.delegated", this.principal, { ...sessionGrantData(row, this.treeId), parent: parent.id, depth: row.depth }, ctx.now);
      return ok(this.grant(row, ctx.now));
    });
  }

  authorize(call: AgentCall, input: AuthorizeInput): AgentResult<{ receipt: SignedReceipt; session: SessionView }> {
    return this.agentDecision(call, { liveness: true }, (ctx) => {
      const denied = this.checkAction(ctx, input.scope, input.amount);
      if (denied) return denied;
      this.countCall(ctx.chain);
      let amount: string | null = null;
      if (input.amount) {
        const value = BigInt(input.amount.value);
        this.applyToCounters(ctx, input.amount.asset, (c) => debit(c, value));
        amount = formatAmount(value);
      }
      const receipt = this.receiptFor(ctx, {
        kind: "authorize",
        scope: input.scope,
        asset: input.amount?.asset ?? null,
        amount,
        request_digest: input.request_digest ?? null,
        reason: null,
        hold: null,
      });
      // Ancestors' statuses cannot change inside this transaction: reuse the chain already read.
      return ok({ receipt, session: this.view(readSession(this.sql, ctx.session.id)!, ctx.now, ctx.chain) });
    });
  }

  hold(call: AgentCall, input: HoldInput): AgentResult<HoldView> {
    return this.agentDecision(call, { liveness: true }, (ctx) => {
      const requested = input.expiresInSeconds ?? DEFAULT_HOLD_SECONDS;
      const expiresAt = Math.min(ctx.now + requested * 1000, ctx.session.expiresAt);
      const denied = this.checkAction(ctx, input.scope, input.amount);
      if (denied) return denied;
      this.countCall(ctx.chain);
      const value = BigInt(input.amount.value);
      const windows = this.applyToCounters(ctx, input.amount.asset, (c) => reserve(c, value)).map((c) => ({
        session: c.session,
        period: c.period ?? "life",
        window_start: c.windowStart,
      }));
      const id = newIdIn("hld", this.treeId);
      this.sql.exec(
        `INSERT INTO holds (id, session_id, scope, asset, amount, status, windows, expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
        id,
        ctx.session.id,
        input.scope,
        input.amount.asset,
        formatAmount(value),
        JSON.stringify(windows),
        expiresAt,
        ctx.now,
      );
      this.scheduleAlarmSoon(expiresAt);
      return ok(this.holdView(id)!);
    });
  }

  capture(call: AgentCall, holdId: string, amount?: string): AgentResult<{ hold: HoldView; receipt: SignedReceipt }> {
    return this.agentDecision(call, { liveness: true }, (ctx) => {
      const hold = this.openHold(ctx, holdId);
      if (!hold.ok) return hold;
      const held = BigInt(hold.value.amount);
      const take = amount === undefined ? held : BigInt(amount);
      if (take > held)
        return refused(
          problem("validation-failed", `amount ${amount} is more than the ${hold.value.amount} held`, {
            errors: [{ field: "amount", rule: "exceeds_hold", message: `must be at most ${hold.value.amount}` }],
          }),
        );
      settleHoldCounters(this.sql, hold.value, (c) => captureCounter(c, held, take));
      this.sql.exec("UPDATE holds SET status = 'captured', captured = ?, closed_at = ? WHERE id = ?", formatAmount(take), ctx.now, holdId);
      const receipt = this.receiptFor(ctx, {
        kind: "capture",
        scope: hold.value.scope,
        asset: hold.value.asset,
        amount: formatAmount(take),
        request_digest: null,
        reason: null,
        hold: holdId,
      });
      return ok({ hold: this.holdView(holdId)!, receipt });
    });
  }

  /** Voiding only ever gives authority back, so it is allowed after revocation or freeze. */
  void(call: AgentCall, holdId: string): AgentResult<{ hold: HoldView; receipt: SignedReceipt }> {
    return this.agentDecision(call, { liveness: false }, (ctx) => {
      const hold = this.openHold(ctx, holdId);
      if (!hold.ok) return hold;
      settleHoldCounters(this.sql, hold.value, (c) => release(c, BigInt(hold.value.amount)));
      this.sql.exec("UPDATE holds SET status = 'voided', closed_at = ? WHERE id = ?", ctx.now, holdId);
      const receipt = this.receiptFor(ctx, {
        kind: "void",
        scope: hold.value.scope,
        asset: hold.value.asset,
        amount: hold.value.amount,
        request_digest: null,
        reason: null,
        hold: holdId,
      });
      return ok({ hold: this.holdView(holdId)!, receipt });
    });
  }

  // ---------------------------------------------------------------- time

  /** At-least-once: every step below is idempotent (expire what is due, drop what is stale). */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => runMaintenance(this.sql, this.key, now));
    await drainReceipts(this.sql, this.env, now); // receipts outbox → ledger shard (./tree/outbox.ts)
    await drainEvents(this.sql, this.env, now);
    this.scheduleAlarm();
  }

  // ---------------------------------------------------------------- internals

  // Fixed for the life of the tree once created: read once, not on every use.
  private cachedTree: string | null = null;
  private cachedPrincipal: string | null = null;

  private get treeId(): string {
    return (this.cachedTree ??= getMeta(this.sql, "tree")!);
  }

  private get principal(): string {
    return (this.cachedPrincipal ??= getMeta(this.sql, "principal")!);
  }

  private ownedSession(principal: string, id: string): SessionRow | null {
    if (this.principal !== principal) return null;
    return readSession(this.sql, id);
  }

  private newRow(id: string, parent: string | null, path: string[], depth: number, s: NewSession, now: number): SessionRow {
    return {
      id,
      parent,
      path,
      depth,
      agentJwk: s.agentJwk,
      jkt: s.jkt,
      scopes: s.scopes,
      notBefore: s.notBefore,
      expiresAt: s.expiresAt,
      limits: s.limits,
      maxDepth: s.maxDepth,
      label: s.label,
      status: "active",
      revokedAt: null,
      revokedBy: null,
      callsUsed: 0,
      rateRefused: 0,
      expiryNotified: 0,
      createdAt: now,
    };
  }

  private grant(row: SessionRow, now: number): Grant {
    const token = issueSessionTokenSync(
      this.key,
      {
        iss: getMeta(this.sql, "issuer")!,
        sub: row.id,
        tree: this.treeId,
        prn: this.principal,
        nbf: Math.floor(row.notBefore / 1000),
        exp: Math.floor(row.expiresAt / 1000),
        cnf: { jkt: row.jkt },
        scope: row.scopes.join(" "),
        depth: row.depth,
      },
      now,
    );
    return { session: this.view(row, now), token };
  }

  private view(row: SessionRow, now: number, knownChain?: SessionRow[]): SessionView {
    const chain = knownChain ?? readChain(this.sql, row);
    const tat = row.limits.rate
      ? (this.sql.exec<{ tat: number }>("SELECT tat FROM rate WHERE session_id = ?", row.id).toArray()[0]?.tat ?? null)
      : null;
    return sessionView(
      row,
      {
        tree: this.treeId,
        principal: this.principal,
        frozen: this.frozen,
        revokedAncestor: chain.some((s) => s.status === "revoked"),
      },
      readCounters(this.sql, [row.id]),
      tat,
      now,
    );
  }

  /**
   * The common prologue of every agent call, then `decide`, all in one transaction:
   * replay cache, idempotency, rate, liveness of the session and every ancestor.
   */
  private agentDecision<T>(
    call: AgentCall,
    opts: { liveness: boolean },
    decide: (ctx: DecisionContext) => Outcome<T>,
  ): AgentResult<T> {
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): AgentResult<T> => {
      // A proof is good once, whatever happens next (invariant 5).
      const fresh = this.sql
        .exec("INSERT INTO jti (jti, expires_at) VALUES (?, ?) ON CONFLICT(jti) DO NOTHING RETURNING 1", call.jti, call.jtiExpiresAt)
        .toArray().length === 1;
      if (!fresh) {
        const detail = "this DPoP proof was already used";
        return { outcome: refused(problem("proof-replayed", detail, undefined, dpopChallenge("invalid_dpop_proof", detail))) };
      }

      const session = readSession(this.sql, call.session);
      if (!session) return { outcome: refused(problem("invalid-token", "the session does not exist")) };

      // Rate first, so an agent in a loop is throttled before anything else is read or receipted.
      const chain = readChain(this.sql, session);
      const rate = this.consumeRate(chain, now);
      const rateLimit = rate.headers ? { rateLimit: rate.headers } : {};
      if (!rate.allowed) {
        this.sql.exec("UPDATE sessions SET rate_refused = rate_refused + 1 WHERE id = ?", session.id);
        return { outcome: refused(rate.problem!), ...rateLimit };
      }

      const ctx: DecisionContext = { session, chain, now };
      // Liveness before any replay: after revocation or freeze not even a stored success is
      // handed out again, or an agent that lost its answer would act after revocation (invariant 3).
      const dead = opts.liveness ? this.checkLiveness(ctx) : null;
      if (dead) return { outcome: dead, ...rateLimit };

      if (call.idempotency) {
        const stored = this.sql
          .exec<{ fingerprint: string; response: string }>(
            "SELECT fingerprint, response FROM idempotency WHERE caller = ? AND key = ? AND created_at > ?",
            session.id,
            call.idempotency.key,
            now - IDEMPOTENCY_TTL_MS,
          )
          .toArray()[0];
        if (stored) {
          if (stored.fingerprint !== call.idempotency.fingerprint)
            return {
              outcome: refused(
                problem("idempotency-key-reused", "this Idempotency-Key was used with a different request", {
                  idempotency_key: call.idempotency.key,
                }),
              ),
              ...rateLimit,
            };
          return { outcome: (JSON.parse(stored.response) as AgentResult<T>).outcome, ...rateLimit, replayed: true };
        }
      }

      const outcome = decide(ctx);
      const result: AgentResult<T> = { outcome, ...rateLimit };
      if (call.idempotency && (outcome.ok || !UNSTORED.includes(outcome.problem.name))) {
        this.sql.exec(
          "INSERT INTO idempotency (caller, key, fingerprint, response, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET fingerprint = excluded.fingerprint, response = excluded.response, created_at = excluded.created_at",
          session.id,
          call.idempotency.key,
          call.idempotency.fingerprint,
          JSON.stringify(result),
          now,
        );
      }
      return result;
    });
    this.scheduleAlarmSoon(call.jtiExpiresAt);
    const eventsAt = eventsDueAt(this.sql, now);
    if (eventsAt !== null) this.scheduleAlarmSoon(eventsAt);
    return result;
  }

  /** GCRA on the session and every ancestor with a rate; all must allow, and only then is any TAT advanced. */
  private consumeRate(chain: SessionRow[], now: number): { allowed: boolean; headers?: Record<string, string>; problem?: Problem } {
    const limited = chain.filter((s) => s.limits.rate);
    if (limited.length === 0) return { allowed: true };
    const decisions = limited.map((s) => {
      const tat = this.sql.exec<{ tat: number }>("SELECT tat FROM rate WHERE session_id = ?", s.id).toArray()[0]?.tat ?? null;
      const limit = s.limits.rate as RateLimit;
      return { session: s, limit, decision: gcra(tat, now, limit) };
    });
    const refusedBy = decisions.filter((d) => !d.decision.allowed);
    if (refusedBy.length > 0) {
      const worst = refusedBy.reduce((a, b) => (b.decision.retryAfterSeconds > a.decision.retryAfterSeconds ? b : a));
      const headers = rateLimitHeaders(worst.limit, worst.decision);
      const retryAfter = String(worst.decision.retryAfterSeconds);
      return {
        allowed: false,
        headers: { ...headers, "Retry-After": retryAfter },
        problem: problem(
          "rate-limited",
          `session ${worst.session.id} allows ${worst.limit.requests} requests per ${worst.limit.per_seconds} s`,
          { session: worst.session.id, retry_after: worst.decision.retryAfterSeconds, limit: worst.limit },
          { "Retry-After": retryAfter },
        ),
      };
    }
    for (const d of decisions)
      this.sql.exec(
        "INSERT INTO rate (session_id, tat) VALUES (?, ?) ON CONFLICT DO UPDATE SET tat = excluded.tat",
        d.session.id,
        d.decision.tat,
      );
    const t = tightest(decisions.map((d) => ({ limit: d.limit, decision: d.decision })))!;
    return { allowed: true, headers: rateLimitHeaders(t.limit, t.decision) };
  }

  /** Revoked, frozen or outside its window — for the session or any ancestor. Refusals for revocation leave a denial receipt. */
  private checkLiveness(ctx: DecisionContext): Outcome<never> | null {
    const revoked = ctx.chain.find((s) => s.status === "revoked");
    if (revoked) return this.deny(ctx, "session-revoked", `session ${revoked.id} was revoked`, { revoked_session: revoked.id });
    if (this.frozen) return this.deny(ctx, "principal-frozen", "every session of this principal is frozen");
    const expired = ctx.chain.find((s) => ctx.now >= s.expiresAt);
    if (expired) return refused(problem("session-expired", `session ${expired.id} expired at ${new Date(expired.expiresAt).toISOString()}`));
    const early = ctx.chain.find((s) => ctx.now < s.notBefore);
    if (early) return refused(problem("session-not-yet-valid", `session ${early.id} is valid from ${new Date(early.notBefore).toISOString()}`));
    return null;
  }

  /** Scope, calls and budget of an action, against the session and every ancestor; a denial is receipted. */
  private checkAction(ctx: DecisionContext, scope: string, amount?: { asset: string; value: string }): Outcome<never> | null {
    const withScope = { scope };
    if (!ctx.chain.every((s) => coveredByAny(s.scopes, scope)))
      return this.deny(ctx, "scope-denied", `scope ${scope} is not granted to this session`, withScope);
    const exhausted = ctx.chain.find((s) => s.limits.calls !== undefined && s.callsUsed >= s.limits.calls);
    if (exhausted)
      return this.deny(ctx, "calls-exhausted", `session ${exhausted.id} has used all ${exhausted.limits.calls} calls`, {
        ...withScope,
        session: exhausted.id,
        limit: exhausted.limits.calls,
      });
    if (!amount) return null;
    const chainCounters = readCounters(this.sql, ctx.chain.map((s) => s.id), amount.asset);
    if (!chainCounters.some((c) => c.session === ctx.session.id))
      return refused(
        problem("validation-failed", `this session has no budget in ${amount.asset}`, {
          errors: [{ field: "amount.asset", rule: "unknown_asset", message: `no budget in ${amount.asset} on this session` }],
        }),
      );
    const counters = chainCounters.map((c) => ({ ...rollover(c, ctx.now), session: c.session }));
    const verdict = checkDebit(counters, BigInt(amount.value));
    if (!verdict.ok) {
      const c = verdict.counter as BudgetCounter & { session: string };
      return this.deny(
        ctx,
        "budget-exceeded",
        `${amount.value} ${amount.asset} would exceed the ${c.period ?? "lifetime"} budget of session ${c.session}: ${formatAmount(verdict.remaining)} remains`,
        {
          ...withScope,
          session: c.session,
          asset: c.asset,
          period: c.period,
          limit: formatAmount(c.limit),
          spent: formatAmount(c.spent),
          held: formatAmount(c.held),
          remaining: formatAmount(verdict.remaining),
          requested: amount.value,
        },
        amount,
      );
    }
    return null;
  }

  private deny(
    ctx: DecisionContext,
    name: ProblemName,
    detail: string,
    extra?: Record<string, unknown>,
    amount?: { asset: string; value: string },
  ): Outcome<never> {
    const receipt = this.receiptFor(ctx, {
      kind: "denial",
      scope: typeof extra?.scope === "string" ? extra.scope : null,
      asset: amount?.asset ?? null,
      amount: amount?.value ?? null,
      request_digest: null,
      reason: name,
      hold: null,
    });
    return refused(problem(name, detail, { ...extra, receipt: receipt.receipt.id }));
  }

  private countCall(chain: SessionRow[]): void {
    this.sql.exec(`UPDATE sessions SET calls_used = calls_used + 1 WHERE id IN (${chain.map(() => "?").join(",")})`, ...chain.map((s) => s.id));
  }

  /** Applies `change` to every counter of `asset` up the chain (already checked), returning what was written. */
  private applyToCounters(ctx: DecisionContext, asset: string, change: (c: BudgetCounter) => BudgetCounter): StoredCounter[] {
    const written: StoredCounter[] = [];
    for (const raw of readCounters(this.sql, ctx.chain.map((s) => s.id), asset)) {
      const rolled = rollover(raw, ctx.now);
      const thresholds = rolled.windowStart === raw.windowStart ? raw.thresholds : [];
      const next: StoredCounter = { ...change(rolled), session: raw.session, thresholds };
      next.thresholds = budgetThresholdEvents(this.sql, this.principal, next, ctx.now);
      writeCounter(this.sql, next);
      written.push(next);
    }
    return written;
  }

  private openHold(ctx: DecisionContext, holdId: string): Outcome<HoldRow> {
    const row = this.sql.exec<HoldRow>("SELECT * FROM holds WHERE id = ?", holdId).toArray()[0];
    if (!row || row.session_id !== ctx.session.id) return refused(problem("not-found", `no hold ${holdId}`));
    if (row.status !== "open" || ctx.now >= row.expires_at)
      return refused(problem("hold-closed", `hold ${holdId} is ${row.status === "open" ? "expired" : row.status}`, { hold: holdId, status: row.status === "open" ? "expired" : row.status }));
    return ok(row);
  }

  private receiptFor(ctx: DecisionContext, fields: Omit<ReceiptFields, "session" | "path">): SignedReceipt {
    const signed = writeReceipt(
      this.sql,
      this.key,
      { id: this.treeId, principal: this.principal },
      { ...fields, session: ctx.session.id, path: ctx.session.path },
      ctx.now,
    );
    this.scheduleAlarmSoon(ctx.now + DRAIN_COALESCE_MS);
    return signed;
  }

  private holdView(id: string): HoldView | null {
    const h = this.sql.exec<HoldRow>("SELECT * FROM holds WHERE id = ?", id).toArray()[0];
    if (!h) return null;
    return {
      id: h.id,
      object: "hold",
      session: h.session_id,
      scope: h.scope,
      asset: h.asset,
      amount: h.amount,
      captured: h.captured,
      status: h.status,
      expires_at: new Date(h.expires_at).toISOString(),
      created_at: new Date(h.created_at).toISOString(),
    };
  }

  private pendingAlarm: number | null = null;

  /** Makes sure an alarm fires no later than `at`. */
  private scheduleAlarmSoon(at: number): void {
    if (this.pendingAlarm !== null && this.pendingAlarm <= at) return;
    this.pendingAlarm = at;
    void this.ctx.storage.setAlarm(at);
  }

  private scheduleAlarm(): void {
    const at = nextAlarmAt(this.sql, Date.now());
    this.pendingAlarm = at;
    if (at === null) void this.ctx.storage.deleteAlarm();
    else void this.ctx.storage.setAlarm(at);
  }
}

interface DecisionContext {
  session: SessionRow;
  chain: SessionRow[];
  now: number;
}

export interface HoldRow {
  id: string;
  session_id: string;
  scope: string;
  asset: string;
  amount: string;
  captured: string | null;
  status: HoldView["status"];
  windows: string;
  expires_at: number;
  created_at: number;
  closed_at: number | null;
  [key: string]: SqlStorageValue;
}
