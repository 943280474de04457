/**
 * The calls between a parent's object and the objects it leased budgets to, and what
 * each side writes around them. Every call is made outside any decision: a transaction
 * commits what the call is about before it is sent, and its answer is applied in a
 * transaction of its own (an outbound call opens the object's input gate). Every call
 * is safe to repeat: offers are placed once, figures are cumulative, revocations final.
 */
import type { Env } from "../../src/contract/env";
import type { LeaseAsk, LeaseGrant, SliceReport } from "../../src/contract/session-tree";
import { principalStub, treeStub } from "../../src/contract/stubs";
import { problem, type Problem } from "../../src/core/errors";
import { sliceWanted } from "../../src/core/policy/lease";
import {
  applyReport,
  closeLease,
  grantsFor,
  lapsedLeases,
  leaseOffer,
  leasesBeneath,
  leasesRevoking,
  leasesToPlace,
  markPlaced,
  otherOpenLeases,
  refill,
  type RefillAnswer,
} from "./lease-grants";
import { applyGrant, dueForRenewal, recentUse, releaseUnused, setAncestorFrozen, shortfall, sliceReport, validUntil } from "./lease-holder";
import { revokeLeasedSubtree } from "./revoke";
import { getMeta, readSession, revokeSubtreeRows, setMeta, type SessionRow } from "./store";
import type { TreeHandle } from "./tree-handle";

// ---------------------------------------------------------------- the parent's side

/** Sends the offer to the child's object and indexes that object with the principal; false when either did not answer (the alarm retries). */
export async function placeLease(tree: TreeHandle, env: Env, child: string): Promise<boolean> {
  const offer = leaseOffer(tree, child);
  if (!offer) return true;
  try {
    await treeStub(env, offer.tree).openLease(offer);
    await principalStub(env, tree.principal).indexLeasedTree({
      tree: offer.tree,
      root: child,
      parentTree: tree.id,
      createdAt: offer.session.createdAt,
      expiresAt: offer.session.expiresAt,
    });
  } catch {
    return false;
  }
  tree.transaction(() => markPlaced(tree.sql, child));
  return true;
}

/** False after a recall that gave nothing back, until the next grant. */
const recallFound = new WeakMap<SqlStorage, boolean>();

/** How many times a short refill takes back what the other leases hold unused and asks again. */
const RECALL_ROUNDS = 3;

/**
 * A refill: granted at once when the budget has room; when `need` does not fit, the other
 * leased objects are asked to give back what they hold unused (all at once), and the
 * refill is tried again — so a spend is refused only when the whole budget, leases
 * included, cannot cover it.
 */
export async function refillWithRecall(tree: TreeHandle, env: Env, child: string, ask: LeaseAsk): Promise<RefillAnswer> {
  let answer = tree.transaction(() => refill(tree, child, ask, Date.now()));
  if ("granted" in answer) recallFound.delete(tree.sql);
  for (let round = 0; round < RECALL_ROUNDS && "short" in answer; round++) {
    // A recall that found nothing is not repeated until a lease was granted more since:
    // until then the other leases hold nothing unused (a recall takes their in-flight grants too).
    if (recallFound.get(tree.sql) === false) break;
    const gaveBack = await recall(tree, env, child);
    answer = tree.transaction(() => refill(tree, child, { ...ask, report: [] }, Date.now()));
    if ("granted" in answer) recallFound.delete(tree.sql);
    else if (!gaveBack) recallFound.set(tree.sql, false);
    if (!gaveBack) break;
  }
  if ("short" in answer) return { refused: { stop: "exhausted", detail: "the budget above the lease is spent, its other leases included" } };
  return answer;
}

/** Asks every other open lease's object to give back its unused slices; true when any of the budget came back. */
async function recall(tree: TreeHandle, env: Env, except: string): Promise<boolean> {
  const others = otherOpenLeases(tree.sql, except);
  const answers = await Promise.allSettled(
    others.map(async (l) => ({ child: l.child, settled: await treeStub(env, l.object).settleLease(grantsFor(tree, l.child, Date.now())) })),
  );
  return tree.transaction(() => {
    let freed = 0n;
    for (const a of answers) if (a.status === "fulfilled" && a.value.settled) freed += applySettled(tree, a.value.child, a.value.settled);
    return freed > 0n;
  });
}

export interface Settled {
  report: SliceReport[];
  /** The leased session can act no more (revoked or expired): its figures are final. */
  ended: boolean;
  /** Revoked in its own object: by whom. */
  revokedBy?: string;
}

/** Parent side: a leased object's figures applied; an ended lease is closed, and a revocation there is mirrored on the row here. */
export function applySettled(tree: TreeHandle, child: string, settled: Settled): bigint {
  const now = Date.now();
  const freed = applyReport(tree, child, settled.report, now, settled.ended);
  if (settled.ended) closeLease(tree.sql, child);
  if (settled.revokedBy) revokeSubtreeRows(tree.sql, child, settled.revokedBy, now);
  return freed;
}

/**
 * Tells every lease a revocation reached (marked `revoking` in its transaction) and takes
 * their final figures; returns the leased sessions not reached (they stop by themselves
 * when their lease lapses, and the alarm keeps trying).
 */
export async function pushRevocations(tree: TreeHandle, env: Env): Promise<string[]> {
  const due = leasesRevoking(tree.sql);
  if (due.length === 0) return [];
  const answers = await Promise.allSettled(
    due.map(async (l) => ({ child: l.child, settled: await treeStub(env, l.object).leaseRevoked(readSession(tree.sql, l.child)?.revokedBy ?? l.child) })),
  );
  const pending: string[] = [];
  tree.transaction(() => {
    answers.forEach((a, i) => {
      if (a.status === "fulfilled") applySettled(tree, a.value.child, { report: a.value.settled.report, ended: true });
      else pending.push(due[i]!.child);
    });
  });
  return pending;
}

/** A session's switch reaches the leases beneath it (best effort: a lease that missed it learns at its next renewal, at most a time-to-live later). */
export async function pushFreeze(tree: TreeHandle, env: Env, id: string, frozen: boolean): Promise<void> {
  const beneath = leasesBeneath(tree.sql, id);
  await Promise.allSettled(beneath.map((l) => (l.child === id ? Promise.resolve() : treeStub(env, l.object).leaseAncestorFrozen(id, frozen))));
}

/** The alarm's lease work: placements and revocations not yet confirmed, and lapsed leases that still hold part of a budget. */
export async function leaseUpkeep(tree: TreeHandle, env: Env, now: number): Promise<void> {
  for (const child of leasesToPlace(tree.sql)) await placeLease(tree, env, child);
  await pushRevocations(tree, env);
  const lapsed = lapsedLeases(tree.sql, now);
  const answers = await Promise.allSettled(
    lapsed.map(async (l) => ({ child: l.child, settled: await treeStub(env, l.object).settleLease(grantsFor(tree, l.child, now)) })),
  );
  tree.transaction(() => {
    for (const a of answers) if (a.status === "fulfilled" && a.value.settled) applySettled(tree, a.value.child, a.value.settled);
  });
}

// ---------------------------------------------------------------- the leased object's side

/** One refill or renewal in flight per object: concurrent spends that run short wait for it and look again. */
const inflight = new WeakMap<SqlStorage, Promise<Problem | null>>();

/**
 * Before a call of `session` here (with the amount it would spend): renews the lease when
 * it lapses soon, and refills the slices when they cannot cover the amount. Null: go on
 * and decide (the decision checks everything again). A problem: the call is refused
 * without a decision — the lease lapsed and the parent cannot be reached, or the parent
 * no longer renews it (a frozen ancestor).
 */
export async function ensureLease(tree: TreeHandle, env: Env, session: string, amount: { asset: string; value: string } | undefined): Promise<Problem | null> {
  for (let round = 0; round < 4; round++) {
    const now = Date.now();
    const need = amount ? shortfall(tree.sql, session, amount, now) : 0n;
    if (need === 0n && !dueForRenewal(tree.sql, now)) return null;
    const running = inflight.get(tree.sql);
    if (running) {
      const stop = await running;
      if (stop) return stop;
      continue;
    }
    const ask: LeaseAsk = { report: sliceReport(tree.sql) };
    if (amount && need > 0n) {
      const use = recentUse(tree.sql, amount.asset, now);
      ask.asset = amount.asset;
      ask.need = need.toString();
      ask.want = sliceWanted({ need, spend: BigInt(amount.value), usedRecently: use.used, overMs: use.overMs }).toString();
    }
    const call = askParent(tree, env, ask);
    inflight.set(tree.sql, call);
    let stop: Problem | null;
    try {
      stop = await call;
    } finally {
      inflight.delete(tree.sql);
    }
    if (stop) return stop;
    if (need > 0n && shortfall(tree.sql, session, amount!, Date.now()) === need) return null; // nothing came: the decision refuses
  }
  return null;
}

async function askParent(tree: TreeHandle, env: Env, ask: LeaseAsk): Promise<Problem | null> {
  const root = getMeta(tree.sql, "root")!;
  let answer: RefillAnswer;
  try {
    answer = await treeStub(env, tree.leaseParent!).leaseRefill(root, ask);
  } catch {
    // The parent cannot be reached: spend on within the lease's life, and stop when it lapses.
    if (validUntil(tree.sql) > Date.now()) return null;
    return problem(
      "lease-lapsed",
      `this session's budget lease from its parent's object lapsed and could not be renewed (the parent's object did not answer); retry shortly`,
      undefined,
      { "Retry-After": "1" },
    );
  }
  if ("granted" in answer) {
    const grant: LeaseGrant = answer.granted;
    tree.transaction(() => applyGrant(tree, grant, Date.now()));
    return null;
  }
  if (!("refused" in answer)) return null;
  const why = answer.refused;
  if (why.stop === "revoked") {
    const now = Date.now();
    tree.transaction(() => revokeLeasedSubtree(tree, root, why.by ?? root, now));
    tree.scheduleAlarmSoon(now);
    return null; // the decision refuses, receipted: the session is revoked here now
  }
  if (why.stop === "frozen") {
    // Take the parent's switches: the decision then refuses, receipted, naming the switch.
    const held = tree.transaction(() => {
      if (why.principalFrozen && !tree.frozen) tree.setFrozen(true);
      for (const id of why.frozenAncestors ?? []) setAncestorFrozen(tree.sql, id, true);
      return tree.frozen || (why.frozenAncestors?.length ?? 0) > 0;
    });
    if (held) return null;
    // A switch this object cannot hold (a trip-wire's, in the parent's object): refused as the parent refused, until it clears.
    const name = why.problem?.name === "tripwire" ? "tripwire" : "session-frozen";
    return problem(name, `${why.problem?.detail ?? why.detail} (the budget lease is not renewed while it holds)`);
  }
  return null; // exhausted: the decision refuses with budget-exceeded
}

/** What the parent learns when the leased object is settled: its cumulative figures, and whether its root is over (revoked or expired). */
export function settledFigures(tree: TreeHandle): Settled {
  const root = leasedRoot(tree);
  const revoked = root?.status === "revoked";
  return {
    report: sliceReport(tree.sql),
    ended: !root || revoked || root.expiresAt <= Date.now(),
    ...(revoked ? { revokedBy: root.revokedBy ?? root.id } : {}),
  };
}

/** The session this object was placed for. */
function leasedRoot(tree: TreeHandle): SessionRow | null {
  const id = getMeta(tree.sql, "root");
  return id ? readSession(tree.sql, id) : null;
}

/**
 * Leased side: when the leased session itself was revoked here (by the principal, by its
 * agent's panic button, by a bulk revocation), the parent is told at once, so its row and
 * its budget stop showing a live lease; if it cannot be told now, the alarm tells it, and
 * failing that the parent settles the lapsed lease (`ended`).
 */
export async function tellParentIfEnded(tree: TreeHandle, env: Env): Promise<void> {
  if (!tree.leaseParent || leasedRoot(tree)?.status !== "revoked" || getMeta(tree.sql, "lease_end_told") === "1") return;
  const settled = tree.transaction(() => {
    releaseUnused(tree.sql, Date.now());
    return settledFigures(tree);
  });
  try {
    await treeStub(env, tree.leaseParent).leaseReport(getMeta(tree.sql, "root")!, settled.report, { revokedBy: settled.revokedBy! });
  } catch {
    return;
  }
  tree.transaction(() => setMeta(tree.sql, "lease_end_told", "1"));
}
