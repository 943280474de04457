/**
 * The SessionTree object's RPC surface: one delegation tree (its sessions, counters,
 * holds, replay cache, idempotency records and outboxes). Each method only says which
 * concept module answers it and, for agent calls, whether the session must be live;
 * every decision is one synchronous SQLite transaction (./decide.ts).
 */
import { DurableObject } from "cloudflare:workers";
import type { SessionTreeRpc } from "../../src/contract/rpc";
import type { Env } from "../../src/contract/env";
import type { AgentCall, AgentResult, AuthorizeInput, ChildRequest, Grant, HoldInput, HoldView, NewSession } from "../../src/contract/session-tree";
import type { ReceiptInOutbox } from "../../src/contract/settlement";
import { serviceKeys } from "../../src/core/auth/service-keys";
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import { listSessionReceipts, ownedSession, readableReceipt, readableReceiptInOutbox, type ReceiptReader } from "./access";
import { runMaintenance } from "./alarm";
import { authorize } from "./authorize";
import { agentDecision } from "./decide";
import { drainEvents } from "./event-outbox";
import { createRoot, delegate } from "./grants";
import { captureHold, placeHold, voidHold, type SettledHold } from "./holds";
import { drainReceipts } from "./receipt-outbox";
import { revokeSubtree } from "./revoke";
import { listSessions, listTreeReceipts, revokeMatching, type ListedSession } from "./listing";
import { treeExposure } from "./exposure-inputs";
import { setSessionFrozen } from "./session-switch";
import type { ListCursor, ReceiptFilter, SessionFilter, TreeExposure } from "../../src/contract/governance";
import { migrateTree } from "./schema";
import { migrateGovernance } from "./governance";
import { readSubtree } from "./store";
import { TreeHandle } from "./tree-handle";
import { viewSession, type SessionView } from "./views";
export type { AgentCall, AgentResult, NewSession, ChildRequest, Grant, AuthorizeInput, HoldInput, HoldView } from "../../src/contract/session-tree";

export class SessionTree extends DurableObject<Env> implements SessionTreeRpc {
  private readonly tree: TreeHandle;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.tree = new TreeHandle(ctx.storage);
    ctx.blockConcurrencyWhile(async () => {
      migrateTree(this.tree.sql);
      migrateGovernance(this.tree.sql);
      this.tree.key = (await serviceKeys(env)).current;
    });
  }

  // ---------------------------------------------------------------- principal surface

  /** Creates the tree with its root session. Called once per tree, by the principal's object. */
  createRoot(input: { tree: string; principal: string; issuer: string; session: NewSession }): Outcome<Grant> {
    const now = Date.now();
    const out = this.tree.transaction(() => createRoot(this.tree, input, now));
    this.tree.scheduleAlarm();
    return out;
  }

  getSession(principal: string, id: string): Outcome<SessionView> {
    const row = ownedSession(this.tree, principal, id);
    if (!row) return refused(problem("not-found", `no session ${id}`));
    return ok(viewSession(this.tree, row, Date.now()));
  }

  getTree(principal: string, id: string): Outcome<{ session: SessionView; descendants: SessionView[] }> {
    const row = ownedSession(this.tree, principal, id);
    if (!row) return refused(problem("not-found", `no session ${id}`));
    const now = Date.now();
    const [self, ...rest] = readSubtree(this.tree.sql, id).map((s) => viewSession(this.tree, s, now));
    return ok({ session: self!, descendants: rest });
  }

  /** Revokes the session and every descendant in one transaction; from its return nothing under them succeeds. */
  revoke(principal: string, id: string): Outcome<{ revoked: number; session: string }> {
    if (!ownedSession(this.tree, principal, id)) return refused(problem("not-found", `no session ${id}`));
    const now = Date.now();
    const out = this.tree.transaction(() => revokeSubtree(this.tree, id, now));
    this.tree.scheduleAlarmSoon(now); // drains the events outbox
    return out;
  }

  // ---------------------------------------------------------------- governance (./listing.ts, ./exposure-inputs.ts, ./session-switch.ts)

  /** Matching sessions, newest first before the cursor, with counters and last use (the principal merges trees). */
  listSessions(principal: string, filter: SessionFilter, page: { limit: number; before?: ListCursor }): ListedSession[] {
    return listSessions(this.tree, principal, filter, page, Date.now());
  }

  listTreeReceipts(principal: string, filter: ReceiptFilter, page: { limit: number; before?: ListCursor }): SignedReceipt[] {
    return listTreeReceipts(this.tree, principal, filter, page);
  }

  /** This tree's part of the principal's exposure (null: not the principal's, or no root yet). */
  exposure(principal: string, opts: { holders?: number; findings?: number }): TreeExposure | null {
    return treeExposure(this.tree, principal, Date.now(), opts);
  }

  /** A bulk revocation's part here: with `dryRun` only what it would revoke and what would remain exposed. */
  revokeMatching(principal: string, filter: SessionFilter, dryRun: boolean): { ids: string[]; exposure: TreeExposure | null } {
    const now = Date.now();
    const out = revokeMatching(this.tree, principal, filter, dryRun, now);
    if (!dryRun && out.ids.length > 0) this.tree.scheduleAlarmSoon(now); // drains the events outbox
    return out;
  }

  /** A session's own switch (separate from the principal's): it and everything beneath stop or work again. */
  setSessionFrozen(principal: string, id: string, frozen: boolean): Outcome<SessionView> {
    return this.tree.transaction(() => setSessionFrozen(this.tree, principal, id, frozen, Date.now()));
  }

  /** The agent's panic button: its own session and everything beneath, never an ancestor. Allowed when already dead. */
  revokeSelf(call: AgentCall): AgentResult<{ revoked: number; session: string }> {
    const result = agentDecision(this.tree, call, { liveness: false }, (ctx) => revokeSubtree(this.tree, ctx.session.id, ctx.now));
    this.tree.scheduleAlarmSoon(Date.now());
    return result;
  }

  /** The principal's kill switch, fanned out to each of its trees. */
  setFrozen(frozen: boolean): void {
    this.tree.setFrozen(frozen);
  }

  receipt(caller: ReceiptReader, id: string): Outcome<SignedReceipt> {
    return readableReceipt(this.tree, caller, id);
  }

  /** A session's receipts, oldest first (by the tree's sequence), cursor-paginated. */
  listReceipts(principal: string, sessionId: string, page: { limit: number; startingAfter?: string }): Outcome<{ data: SignedReceipt[]; has_more: boolean }> {
    return listSessionReceipts(this.tree, principal, sessionId, page);
  }

  /** The receipt and whether its outbox entry reached the ledger, and which shard (the proof route). */
  receiptInOutbox(caller: ReceiptReader, id: string): Outcome<ReceiptInOutbox> {
    return readableReceiptInOutbox(this.tree, caller, id);
  }

  // ---------------------------------------------------------------- agent surface

  /** A receipt of the agent's own session or of a session below it. */
  receiptForAgent(call: AgentCall, id: string): AgentResult<SignedReceipt> {
    return agentDecision(this.tree, call, { liveness: false }, (ctx) => readableReceipt(this.tree, { session: ctx.session.id }, id));
  }

  receiptInOutboxForAgent(call: AgentCall, id: string): AgentResult<ReceiptInOutbox> {
    return agentDecision(this.tree, call, { liveness: false }, (ctx) => readableReceiptInOutbox(this.tree, { session: ctx.session.id }, id));
  }

  introspect(call: AgentCall): AgentResult<SessionView> {
    return agentDecision(this.tree, call, { liveness: true }, (ctx) => ok(viewSession(this.tree, ctx.session, ctx.now)));
  }

  delegate(call: AgentCall, request: ChildRequest): AgentResult<Grant> {
    return agentDecision(this.tree, call, { liveness: true }, (ctx) => delegate(this.tree, ctx, request));
  }

  authorize(call: AgentCall, input: AuthorizeInput): AgentResult<{ receipt: SignedReceipt; session: SessionView }> {
    return agentDecision(this.tree, call, { liveness: true }, (ctx) => authorize(this.tree, ctx, input));
  }

  hold(call: AgentCall, input: HoldInput): AgentResult<HoldView> {
    return agentDecision(this.tree, call, { liveness: true }, (ctx) => placeHold(this.tree, ctx, input));
  }

  capture(call: AgentCall, holdId: string, amount?: string): AgentResult<SettledHold> {
    return agentDecision(this.tree, call, { liveness: true }, (ctx) => captureHold(this.tree, ctx, holdId, amount));
  }

  /** Voiding only ever gives authority back, so it is allowed after revocation or freeze. */
  void(call: AgentCall, holdId: string): AgentResult<SettledHold> {
    return agentDecision(this.tree, call, { liveness: false }, (ctx) => voidHold(this.tree, ctx, holdId));
  }

  // ---------------------------------------------------------------- time

  /** At-least-once: every step below is idempotent (expire what is due, drop what is stale). */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.tree.transaction(() => runMaintenance(this.tree.sql, this.tree.key, now));
    await drainReceipts(this.tree.sql, this.env, now); // receipts outbox → ledger shard (./receipt-outbox.ts)
    await drainEvents(this.tree.sql, this.env, now); // events outbox → the principal's object (./event-outbox.ts)
    this.tree.scheduleAlarm();
  }
}
