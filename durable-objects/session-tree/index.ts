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
import type { LeaseAsk, LeaseGrant, LeaseOffer, SliceReport } from "../../src/contract/session-tree";
import { applyReport, countLeaseRequest, leaseOf } from "./lease-grants";
import { adoptOffer, applyGrant, lastUsedAt, noteUse, releaseUnused, setAncestorFrozen, sliceReport } from "./lease-holder";
import { LEASE_IDLE_MS } from "../../src/core/policy/lease";
import { treeStub } from "../../src/contract/stubs";
import { applySettled, ensureLease, leaseUpkeep, placeLease, pushFreeze, pushRevocations, refillWithRecall, settledFigures, tellParentIfEnded } from "./lease-calls";
import type { RefillAnswer } from "./lease-grants";
import type { Settled } from "./lease-calls";
import { revokeLeasedSubtree } from "./revoke";
export type { AgentCall, AgentResult, NewSession, ChildRequest, Grant, AuthorizeInput, HoldInput, HoldView } from "../../src/contract/session-tree";

export class SessionTree extends DurableObject<Env> implements SessionTreeRpc {
  private readonly tree: TreeHandle;
  /** How big the tree may grow (src/core/policy/caps.ts, from the vars). */
  private readonly caps: TreeCaps;

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
    if (!this.tree.stored) {
      migrateTree(this.tree.sql);
      migrateApprovals(this.tree.sql);
      migrateGovernance(this.tree.sql);
    }
    this.tree.stored = true;
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
    if (!this.tree.stored) return refused(problem("not-found", `no session ${id}`));
    const row = ownedSession(this.tree, principal, id);
    if (!row) return refused(problem("not-found", `no session ${id}`));
    return ok(viewSession(this.tree, row, Date.now()));
  }

  /** The session and one page of its descendants, depth-first (siblings in creation order). */
  getTree(principal: string, id: string, page: TreePage = { limit: TREE_PAGE_DEFAULT }): Outcome<SessionTreeView> {
    if (!this.tree.stored) return refused(problem("not-found", `no session ${id}`));
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

  /**
   * Revokes the session and every descendant in one transaction; from its return nothing
   * under them succeeds — in objects of their own too: each lease the revocation reached
   * is told before this returns, and any not reached is named in `pending_sessions`.
   */
  async revoke(principal: string, id: string): Promise<Outcome<{ revoked: number; session: string; pending_sessions?: string[] }>> {
    if (!this.tree.stored) return refused(problem("not-found", `no session ${id}`));
    if (!ownedSession(this.tree, principal, id)) return refused(problem("not-found", `no session ${id}`));
    const now = Date.now();
    const out = this.tree.transaction(() => revokeSubtree(this.tree, id, now));
    this.tree.scheduleAlarmSoon(now); // drains the events outbox
    return withPending(out, await this.reachLeases());
  }

  // ---------------------------------------------------------------- governance (./listing.ts, ./exposure-inputs.ts, ./session-switch.ts)

  /** A session listing's phase 1: the keys of the first matches before the cursor, newest first (the principal merges trees). */
  sessionKeys(principal: string, filter: SessionFilter, page: { limit: number; before?: ListCursor }): ListCursor[] {
    if (!this.tree.stored) return [];
    return sessionKeys(this.tree, principal, filter, page, Date.now());
  }

  /** Its phase 2: the listed sessions (views with counters, last use) among the ids the principal kept, if they still match. */
  sessionsByIds(principal: string, filter: SessionFilter, ids: string[]): ListedSession[] {
    if (!this.tree.stored) return [];
    return sessionsByIds(this.tree, principal, filter, ids, Date.now());
  }

  receiptKeys(principal: string, filter: ReceiptFilter, page: { limit: number; before?: ListCursor }): ListCursor[] {
    if (!this.tree.stored) return [];
    return receiptKeys(this.tree, principal, filter, page);
  }

  receiptsByIds(principal: string, ids: string[]): SignedReceipt[] {
    if (!this.tree.stored) return [];
    return receiptsByIds(this.tree, principal, ids);
  }

  /** This tree's part of the principal's exposure (null: not the principal's, or no root yet). */
  exposure(principal: string, opts: { holders?: number; findings?: number }): TreeExposure | null {
    // A leased object's authority is inside the slices its parent holds for it: the parent's tree counts it.
    if (!this.tree.stored || this.tree.leaseParent) return null;
    return treeExposure(this.tree, principal, Date.now(), opts);
  }

  /** A bulk revocation's part here: with `dryRun` only what it would revoke and what would remain exposed. */
  async revokeMatching(principal: string, filter: SessionFilter, dryRun: boolean): Promise<{ ids: string[]; exposure: TreeExposure | null; pending?: string[] }> {
    if (!this.tree.stored) return { ids: [], exposure: null };
    const now = Date.now();
    const out = revokeMatching(this.tree, principal, filter, dryRun, now);
    if (dryRun || out.ids.length === 0) return out;
    this.tree.scheduleAlarmSoon(now); // drains the events outbox
    const pending = await this.reachLeases();
    return pending.length > 0 ? { ...out, pending } : out;
  }

  /** A session's own switch (separate from the principal's): it and everything beneath stop or work again. */
  async setSessionFrozen(principal: string, id: string, frozen: boolean): Promise<Outcome<SessionView>> {
    if (!this.tree.stored) return refused(problem("not-found", `no session ${id}`));
    const now = Date.now();
    const out = this.tree.transaction(() => setSessionFrozen(this.tree, principal, id, frozen, now));
    this.tree.scheduleAlarmSoon(now); // drains the events outbox (approvals a freeze canceled)
    if (out.ok) await pushFreeze(this.tree, this.env, id, frozen);
    return out;
  }

  /** The agent's panic button: its own session and everything beneath, never an ancestor. Allowed when already dead. */
  async revokeSelf(call: AgentCall): Promise<AgentResult<{ revoked: number; session: string; pending_sessions?: string[] }>> {
    const result = agentDecision(this.tree, call, { liveness: false }, (ctx) => revokeSubtree(this.tree, ctx.session.id, ctx.now));
    this.tree.scheduleAlarmSoon(Date.now());
    if (!this.tree.stored) return result;
    return { ...result, outcome: withPending(result.outcome, await this.reachLeases()) };
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
    if (!this.tree.stored) return { cleared: 0 };
    return this.tree.transaction(() => resetTripwire(this.tree, ruleId));
  }

  receipt(caller: ReceiptReader, id: string): Outcome<SignedReceipt> {
    if (!this.tree.stored) return refused(problem("not-found", `no receipt ${id}`));
    return readableReceipt(this.tree, caller, id);
  }

  /** A session's receipts, oldest first (by the tree's sequence), cursor-paginated. */
  listReceipts(principal: string, sessionId: string, page: { limit: number; startingAfter?: string }): Outcome<{ data: SignedReceipt[]; has_more: boolean }> {
    if (!this.tree.stored) return refused(problem("not-found", `no session ${sessionId}`));
    return listSessionReceipts(this.tree, principal, sessionId, page);
  }

  /** The receipt and whether its outbox entry reached the ledger, and which shard (the proof route). */
  receiptInOutbox(caller: ReceiptReader, id: string): Outcome<ReceiptInOutbox> {
    if (!this.tree.stored) return refused(problem("not-found", `no receipt ${id}`));
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

  introspect(call: AgentCall): AgentResult<SessionView> | Promise<AgentResult<SessionView>> {
    return this.underLease(call, undefined, () => agentDecision(this.tree, call, { liveness: true }, (ctx) => ok(viewSession(this.tree, ctx.session, ctx.now))));
  }

  /** A child placed in its own object is offered to that object before the grant is returned (and by the alarm, until it answers). */
  async delegate(call: AgentCall, request: ChildRequest): Promise<AgentResult<Grant>> {
    const result = await this.underLease(call, undefined, () =>
      agentDecision(this.tree, call, { liveness: true }, (ctx) => delegate(this.tree, ctx, request, this.caps)),
    );
    if (result.outcome.ok) {
      const child = result.outcome.value.session.id;
      if (leaseOf(this.tree.sql, child)?.placed === 0 && !(await placeLease(this.tree, this.env, child))) this.tree.scheduleAlarmSoon(Date.now() + 1_000);
    }
    return result;
  }

  authorize(
    call: AgentCall,
    input: AuthorizeInput,
  ):
    | AgentResult<{ receipt: SignedReceipt; session: SessionView } | PendingApproval>
    | Promise<AgentResult<{ receipt: SignedReceipt; session: SessionView } | PendingApproval>> {
    return this.underLease(call, input.amount, () => agentDecision(this.tree, call, { liveness: true }, (ctx) => authorize(this.tree, ctx, input)));
  }

  hold(call: AgentCall, input: HoldInput): AgentResult<HoldView | PendingApproval> | Promise<AgentResult<HoldView | PendingApproval>> {
    return this.underLease(call, input.amount, () => agentDecision(this.tree, call, { liveness: true }, (ctx) => placeHold(this.tree, ctx, input)));
  }

  capture(call: AgentCall, holdId: string, amount?: string): AgentResult<SettledHold> | Promise<AgentResult<SettledHold>> {
    return this.underLease(call, undefined, () => agentDecision(this.tree, call, { liveness: true }, (ctx) => captureHold(this.tree, ctx, holdId, amount)));
  }

  /**
   * After a revocation here committed: a leased object whose own root it revoked tells its
   * parent, and the leases it reached beneath are told; answers the leased sessions not reached.
   */
  private async reachLeases(): Promise<string[]> {
    await tellParentIfEnded(this.tree, this.env);
    return pushRevocations(this.tree, this.env);
  }

  /**
   * A call that needs live authority. In the tree's own object it is decided at once; in an
   * object placed under a budget lease the lease is renewed or refilled first, outside any
   * decision (./lease-calls.ts), and the decision then checks everything again.
   */
  private underLease<T>(call: AgentCall, amount: { asset: string; value: string } | undefined, decide: () => AgentResult<T>): AgentResult<T> | Promise<AgentResult<T>> {
    if (!this.tree.stored || !this.tree.leaseParent) return decide();
    return this.leasedCall(call, amount, decide);
  }

  private async leasedCall<T>(call: AgentCall, amount: { asset: string; value: string } | undefined, decide: () => AgentResult<T>): Promise<AgentResult<T>> {
    const stop = await ensureLease(this.tree, this.env, call.session, amount);
    if (stop) return { outcome: refused(stop) };
    const result = decide();
    if (amount && result.outcome.ok && !result.replayed) noteUse(this.tree.sql, amount.asset, BigInt(amount.value), Date.now());
    this.tree.scheduleAlarmSoon(Date.now() + LEASE_IDLE_MS); // gives back what an idle lease holds
    return result;
  }

  // ---------------------------------------------------------------- budget leases (./lease-grants.ts, ./lease-holder.ts, ./lease-calls.ts)

  /** Parent side: a refill or renewal of the lease of `child` (its object's only way to more budget). */
  leaseRefill(child: string, ask: LeaseAsk): Promise<RefillAnswer> {
    return refillWithRecall(this.tree, this.env, child, ask);
  }

  /** Parent side: the leased object's figures, when it gives back what it holds unused (idle, or at expiry). */
  leaseReport(child: string, report: SliceReport[], end?: { revokedBy: string }): void {
    if (!this.tree.stored) return;
    this.tree.transaction(() => {
      countLeaseRequest(this.tree.sql, child);
      if (end) applySettled(this.tree, child, { report, ended: true, revokedBy: end.revokedBy });
      else applyReport(this.tree, child, report, Date.now());
    });
  }

  /** Leased side: takes the parent's offer (once; a repeat changes nothing). */
  openLease(offer: LeaseOffer): void {
    this.store();
    this.tree.transaction(() => adoptOffer(this.tree, offer));
    this.tree.forgetCopies();
    this.tree.scheduleAlarm();
  }

  /**
   * Leased side: the parent takes back what this object holds unused (a short refill
   * elsewhere, or a lapsed lease); `grant` first brings every slice up to what the parent
   * granted, so nothing granted stays unaccounted. Null: nothing is placed here.
   */
  settleLease(grant: LeaseGrant | null): Settled | null {
    if (!this.tree.stored || !this.tree.leaseParent) return null;
    const now = Date.now();
    return this.tree.transaction(() => {
      if (grant) applyGrant(this.tree, grant, now);
      releaseUnused(this.tree.sql, now);
      return settledFigures(this.tree);
    });
  }

  /** Leased side: an ancestor's revocation reached the lease; everything here is revoked, and the final figures go back. */
  leaseRevoked(by: string): { report: SliceReport[] } {
    if (!this.tree.stored || !this.tree.leaseParent) return { report: [] };
    const now = Date.now();
    const report = this.tree.transaction(() => {
      revokeLeasedSubtree(this.tree, getMeta(this.tree.sql, "root")!, by, now);
      releaseUnused(this.tree.sql, now);
      return sliceReport(this.tree.sql);
    });
    this.tree.scheduleAlarmSoon(now);
    return { report };
  }

  /** Leased side: an ancestor's own switch, pushed by the parent. */
  leaseAncestorFrozen(ancestor: string, frozen: boolean): void {
    if (!this.tree.stored || !this.tree.leaseParent) return;
    const now = Date.now();
    this.tree.transaction(() => {
      setAncestorFrozen(this.tree.sql, ancestor, frozen);
      if (frozen) cancelPendingApprovals(this.tree, null, "session-frozen", now);
    });
    this.tree.scheduleAlarmSoon(now);
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
    if (!this.tree.stored) return;
    const now = Date.now();
    this.tree.transaction(() => {
      runMaintenance(this.tree.sql, this.tree.key, now);
      if (getMetaTree(this.tree)) expireDueApprovals(this.tree, now); // never approved by a timeout (./approvals.ts)
    });
    await drainReceipts(this.tree.sql, this.env, now); // receipts outbox → ledger shard (./receipt-outbox.ts)
    await drainEvents(this.tree.sql, this.env, now); // events outbox → the principal's object (./event-outbox.ts)
    if (this.tree.leaseParent) {
      await tellParentIfEnded(this.tree, this.env);
      await this.giveBackIdle(now);
    } else await leaseUpkeep(this.tree, this.env, now); // placements, revocations and lapsed leases of children in their own objects
    this.tree.scheduleAlarm();
  }

  /** Leased side: a lease idle for a while gives back what it holds unused (it refills on its next spend). */
  private async giveBackIdle(now: number): Promise<void> {
    const last = lastUsedAt(this.tree.sql);
    if (last !== null && now - last < LEASE_IDLE_MS) return;
    if (!this.tree.transaction(() => releaseUnused(this.tree.sql, now))) return;
    try {
      await treeStub(this.env, this.tree.leaseParent!).leaseReport(getMeta(this.tree.sql, "root")!, sliceReport(this.tree.sql));
    } catch {
      // The parent learns the same cumulative figures at the next refill, or when it settles the lapsed lease.
    }
  }
}

/** A revocation's answer, naming the leased sessions it has not reached yet. */
function withPending<T extends object>(out: Outcome<T>, pending: string[]): Outcome<T & { pending_sessions?: string[] }> {
  return out.ok && pending.length > 0 ? ok({ ...out.value, pending_sessions: pending }) : out;
}

/** Whether the tree exists yet (a freeze can reach a tree indexed before its root is created). */
function getMetaTree(tree: TreeHandle): boolean {
  return getMeta(tree.sql, "tree") !== null;
}
