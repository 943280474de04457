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
import { TREE_PAGE_DEFAULT, TREE_PAGE_MAX, type SessionTreeView, type TreePage } from "../../src/contract/wire/session";
import { serviceKeys } from "../../src/core/auth/service-keys";
import { treeCaps, type TreeCaps } from "../../src/core/policy/caps";
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import { listSessionReceipts, ownedSession, readableReceipt, readableReceiptInOutbox, type ReceiptReader } from "./access";
import { runMaintenance } from "./alarm";
import type { ApprovalStatus, ApprovalView, PendingApproval } from "../../src/contract/wire/approvals";
import {
  agentApproval,
  approvalView,
  cancelApproval,
  cancelPendingApprovals,
  decideApproval,
  expireDueApprovals,
  listApprovals,
  migrateApprovals,
  ownApproval,
} from "./approvals";
import { authorize } from "./authorize";
import { agentDecision } from "./decide";
import { drainEvents } from "./event-outbox";
import { createRoot, delegate } from "./grants";
import { captureHold, placeHold, voidHold, type SettledHold } from "./holds";
import { drainReceipts } from "./receipt-outbox";
import { revokeSubtree } from "./revoke";
import { receiptKeys, receiptsByIds, revokeMatching, sessionKeys, sessionsByIds, type ListedSession } from "./listing";
import { treeExposure } from "./exposure-inputs";
import { setSessionFrozen } from "./session-switch";
import type { ListCursor, ReceiptFilter, SessionFilter, TreeExposure } from "../../src/contract/governance";
import { hasTreeTables, migrateTree } from "./schema";
import { migrateGovernance } from "./governance";
import { getMeta, readSubtreePage } from "./store";
import { TreeHandle } from "./tree-handle";
import { parseAssetDecimals } from "../../src/core/policy/money";
import { handOverPrincipalTrips, resetTripwire, setTripwireRules } from "./tripwires";
import type { TripwireSet } from "../../src/core/policy/tripwires";
import { viewSession, type SessionView } from "./views";
export type { AgentCall, AgentResult, NewSession, ChildRequest, Grant, AuthorizeInput, HoldInput, HoldView } from "../../src/contract/session-tree";

export class SessionTree extends DurableObject<Env> implements SessionTreeRpc {
  private readonly tree: TreeHandle;
  /** How big the tree may grow (src/core/policy/caps.ts, from the vars). */
  private readonly caps: TreeCaps;
  /** Whether the tree has tables. An object without them is written only by createRoot or setFrozen: a read writes nothing. */
  private stored = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.tree = new TreeHandle(ctx.storage);
    this.tree.decimals = parseAssetDecimals(env.ASSET_DECIMALS);
    this.caps = treeCaps(env);
    ctx.blockConcurrencyWhile(async () => {
      if (hasTreeTables(this.tree.sql)) this.store();
      this.tree.key = (await serviceKeys(env)).current;
    });
  }

  /** Creates (or brings up to date) the tables: on start for a stored tree, else on the first write. */
  private store(): void {
    if (!this.stored) {
      migrateTree(this.tree.sql);
      migrateApprovals(this.tree.sql);
      migrateGovernance(this.tree.sql);
    }
    this.stored = true;
  }

  // ---------------------------------------------------------------- principal surface

  /** Creates the tree with its root session. Called once per tree, by the principal's object. */
  createRoot(input: { tree: string; principal: string; issuer: string; session: NewSession; tripwires?: TripwireSet }): Outcome<Grant> {
    this.store();
    const now = Date.now();
    const { tripwires, ...root } = input;
    const out = this.tree.transaction(() => {
      const created = createRoot(this.tree, root, this.caps, now);
      // The principal's trip-wires from the first decision on (a push since may already be newer).
      if (created.ok && tripwires) setTripwireRules(this.tree, tripwires.rules, tripwires.version);
      return created;
    });
    this.tree.scheduleAlarm();
    return out;
  }

  getSession(principal: string, id: string): Outcome<SessionView> {
    if (!this.stored) return refused(problem("not-found", `no session ${id}`));
    const row = ownedSession(this.tree, principal, id);
    if (!row) return refused(problem("not-found", `no session ${id}`));
    return ok(viewSession(this.tree, row, Date.now()));
  }

  /** The session and one page of its descendants, depth-first (siblings in creation order). */
  getTree(principal: string, id: string, page: TreePage = { limit: TREE_PAGE_DEFAULT }): Outcome<SessionTreeView> {
    if (!this.stored) return refused(problem("not-found", `no session ${id}`));
    const row = ownedSession(this.tree, principal, id);
    if (!row) return refused(problem("not-found", `no session ${id}`));
    const now = Date.now();
    const found = readSubtreePage(this.tree.sql, id, {
      limit: Math.min(Math.max(1, page.limit), TREE_PAGE_MAX),
      ...(page.startingAfter ? { startingAfter: page.startingAfter } : {}),
    });
    if (!found)
      return refused(
        problem("validation-failed", `starting_after ${page.startingAfter} is not a descendant of ${id}`, {
          errors: [{ field: "starting_after", rule: "unknown_cursor", message: "must be the id of a session below this one (next_cursor of the previous page)" }],
        }),
      );
    const descendants = found.rows.map((s) => viewSession(this.tree, s, now));
    return ok({
      session: viewSession(this.tree, row, now),
      descendants,
      has_more: found.hasMore,
      next_cursor: found.hasMore ? descendants[descendants.length - 1]!.id : null,
    });
  }

  /** Revokes the session and every descendant in one transaction; from its return nothing under them succeeds. */
  revoke(principal: string, id: string): Outcome<{ revoked: number; session: string }> {
    if (!this.stored) return refused(problem("not-found", `no session ${id}`));
    if (!ownedSession(this.tree, principal, id)) return refused(problem("not-found", `no session ${id}`));
    const now = Date.now();
    const out = this.tree.transaction(() => revokeSubtree(this.tree, id, now));
    this.tree.scheduleAlarmSoon(now); // drains the events outbox
    return out;
  }

  // ---------------------------------------------------------------- governance (./listing.ts, ./exposure-inputs.ts, ./session-switch.ts)

  /** A session listing's phase 1: the keys of the first matches before the cursor, newest first (the principal merges trees). */
  sessionKeys(principal: string, filter: SessionFilter, page: { limit: number; before?: ListCursor }): ListCursor[] {
    if (!this.stored) return [];
    return sessionKeys(this.tree, principal, filter, page, Date.now());
  }

  /** Its phase 2: the listed sessions (views with counters, last use) among the ids the principal kept, if they still match. */
  sessionsByIds(principal: string, filter: SessionFilter, ids: string[]): ListedSession[] {
    if (!this.stored) return [];
    return sessionsByIds(this.tree, principal, filter, ids, Date.now());
  }

  receiptKeys(principal: string, filter: ReceiptFilter, page: { limit: number; before?: ListCursor }): ListCursor[] {
    if (!this.stored) return [];
    return receiptKeys(this.tree, principal, filter, page);
  }

  receiptsByIds(principal: string, ids: string[]): SignedReceipt[] {
    if (!this.stored) return [];
    return receiptsByIds(this.tree, principal, ids);
  }

  /** This tree's part of the principal's exposure (null: not the principal's, or no root yet). */
  exposure(principal: string, opts: { holders?: number; findings?: number }): TreeExposure | null {
    if (!this.stored) return null;
    return treeExposure(this.tree, principal, Date.now(), opts);
  }

  /** A bulk revocation's part here: with `dryRun` only what it would revoke and what would remain exposed. */
  revokeMatching(principal: string, filter: SessionFilter, dryRun: boolean): { ids: string[]; exposure: TreeExposure | null } {
    if (!this.stored) return { ids: [], exposure: null };
    const now = Date.now();
    const out = revokeMatching(this.tree, principal, filter, dryRun, now);
    if (!dryRun && out.ids.length > 0) this.tree.scheduleAlarmSoon(now); // drains the events outbox
    return out;
  }

  /** A session's own switch (separate from the principal's): it and everything beneath stop or work again. */
  setSessionFrozen(principal: string, id: string, frozen: boolean): Outcome<SessionView> {
    if (!this.stored) return refused(problem("not-found", `no session ${id}`));
    const now = Date.now();
    const out = this.tree.transaction(() => setSessionFrozen(this.tree, principal, id, frozen, now));
    this.tree.scheduleAlarmSoon(now); // drains the events outbox (approvals a freeze canceled)
    return out;
  }

  /** The agent's panic button: its own session and everything beneath, never an ancestor. Allowed when already dead. */
  revokeSelf(call: AgentCall): AgentResult<{ revoked: number; session: string }> {
    const result = agentDecision(this.tree, call, { liveness: false }, (ctx) => revokeSubtree(this.tree, ctx.session.id, ctx.now));
    this.tree.scheduleAlarmSoon(Date.now());
    return result;
  }

  /** The principal's kill switch, fanned out to each of its trees. */
  setFrozen(frozen: boolean): void {
    this.store(); // a freeze can reach a tree its principal indexed before createRoot
    // A freeze cancels every pending approval in the same transaction that sets the flag.
    const now = Date.now();
    this.tree.transaction(() => {
      this.tree.setFrozen(frozen);
      if (frozen && getMetaTree(this.tree)) cancelPendingApprovals(this.tree, null, "principal-frozen", now);
      if (frozen) handOverPrincipalTrips(this.tree);
    });
    this.tree.scheduleAlarmSoon(now);
  }

  // ---------------------------------------------------------------- approvals (./approvals.ts)

  approvalForPrincipal(principal: string, id: string): Outcome<ApprovalView> {
    const row = ownApproval(this.tree, principal, id);
    return row ? ok(approvalView(this.tree, row)) : refused(problem("not-found", `no approval ${id}`));
  }

  listApprovals(principal: string, query: { status?: ApprovalStatus; before?: { createdAt: number; id: string }; limit: number }): ApprovalView[] {
    return listApprovals(this.tree, principal, query);
  }

  /** A vote or a denial by one of the principal's keys (the principal's object checked its role). */
  decideApproval(principal: string, id: string, decision: { verdict: "approve" | "deny"; keyId: string; text: string | null }): Outcome<ApprovalView> {
    const now = Date.now();
    const out = this.tree.transaction(() => decideApproval(this.tree, principal, id, decision, now));
    this.tree.scheduleAlarmSoon(now); // drains the events outbox
    return out;
  }

  /** The principal's trip-wires, pushed on every change; like a freeze, it can reach a tree indexed before createRoot. */
  setTripwires(set: TripwireSet): { version: number } {
    this.store();
    return this.tree.transaction(() => setTripwireRules(this.tree, set.rules, set.version));
  }

  /** Clears what the rule froze in this tree, and its window log. */
  resetTripwire(ruleId: string): { cleared: number } {
    if (!this.stored) return { cleared: 0 };
    return this.tree.transaction(() => resetTripwire(this.tree, ruleId));
  }

  receipt(caller: ReceiptReader, id: string): Outcome<SignedReceipt> {
    if (!this.stored) return refused(problem("not-found", `no receipt ${id}`));
    return readableReceipt(this.tree, caller, id);
  }

  /** A session's receipts, oldest first (by the tree's sequence), cursor-paginated. */
  listReceipts(principal: string, sessionId: string, page: { limit: number; startingAfter?: string }): Outcome<{ data: SignedReceipt[]; has_more: boolean }> {
    if (!this.stored) return refused(problem("not-found", `no session ${sessionId}`));
    return listSessionReceipts(this.tree, principal, sessionId, page);
  }

  /** The receipt and whether its outbox entry reached the ledger, and which shard (the proof route). */
  receiptInOutbox(caller: ReceiptReader, id: string): Outcome<ReceiptInOutbox> {
    if (!this.stored) return refused(problem("not-found", `no receipt ${id}`));
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
    return agentDecision(this.tree, call, { liveness: true }, (ctx) => delegate(this.tree, ctx, request, this.caps));
  }

  authorize(call: AgentCall, input: AuthorizeInput): AgentResult<{ receipt: SignedReceipt; session: SessionView } | PendingApproval> {
    return agentDecision(this.tree, call, { liveness: true }, (ctx) => authorize(this.tree, ctx, input));
  }

  hold(call: AgentCall, input: HoldInput): AgentResult<HoldView | PendingApproval> {
    return agentDecision(this.tree, call, { liveness: true }, (ctx) => placeHold(this.tree, ctx, input));
  }

  capture(call: AgentCall, holdId: string, amount?: string): AgentResult<SettledHold> {
    return agentDecision(this.tree, call, { liveness: true }, (ctx) => captureHold(this.tree, ctx, holdId, amount));
  }

  /** Voiding only ever gives authority back, so it is allowed after revocation or freeze. */
  void(call: AgentCall, holdId: string): AgentResult<SettledHold> {
    return agentDecision(this.tree, call, { liveness: false }, (ctx) => voidHold(this.tree, ctx, holdId));
  }

  /** The agent's read of an approval it (or a session below it) asked for; allowed after revocation, to learn the outcome. */
  approvalForAgent(call: AgentCall, id: string): AgentResult<ApprovalView> {
    return agentDecision(this.tree, call, { liveness: false }, (ctx) => {
      const row = agentApproval(this.tree, ctx.session.id, id);
      return row ? ok(approvalView(this.tree, row)) : refused(problem("not-found", `no approval ${id}`));
    });
  }

  /**
   * The same read without a proof, for the edge's `?wait=N` loop after `approvalForAgent`
   * authenticated the request: a plain read, no transaction held, nothing written.
   */
  approvalForSession(session: string, id: string): Outcome<ApprovalView> {
    const row = agentApproval(this.tree, session, id);
    return row ? ok(approvalView(this.tree, row)) : refused(problem("not-found", `no approval ${id}`));
  }

  /** Withdrawing only gives authority back, so it is allowed after revocation or freeze. */
  cancelApproval(call: AgentCall, id: string): AgentResult<ApprovalView> {
    return agentDecision(this.tree, call, { liveness: false }, (ctx) => cancelApproval(this.tree, ctx, id));
  }

  // ---------------------------------------------------------------- time

  /** At-least-once: every step below is idempotent (expire what is due, drop what is stale). */
  override async alarm(): Promise<void> {
    if (!this.stored) return;
    const now = Date.now();
    this.tree.transaction(() => {
      runMaintenance(this.tree.sql, this.tree.key, now);
      if (getMetaTree(this.tree)) expireDueApprovals(this.tree, now); // never approved by a timeout (./approvals.ts)
    });
    await drainReceipts(this.tree.sql, this.env, now); // receipts outbox → ledger shard (./receipt-outbox.ts)
    await drainEvents(this.tree.sql, this.env, now); // events outbox → the principal's object (./event-outbox.ts)
    this.tree.scheduleAlarm();
  }
}

/** Whether the tree exists yet (a freeze can reach a tree indexed before its root is created). */
function getMetaTree(tree: TreeHandle): boolean {
  return getMeta(tree.sql, "tree") !== null;
}
