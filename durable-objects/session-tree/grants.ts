/**
 * Where sessions come from: the tree's root, granted by the principal, and children
 * delegated by an agent, never wider than their parent. Each new session is announced
 * and handed back with its DPoP-bound session token.
 */
import type { ChildRequest, Grant, NewSession } from "../../src/contract/session-tree";
import { issueSessionTokenSync } from "../../src/core/auth/session-token";
import { ok, problem, refused, type Outcome, type Problem } from "../../src/core/errors";
import type { EventData } from "../../src/core/webhooks/events";
import { attenuate } from "../../src/core/policy/attenuate";
import { scopeCapErrors, treeCapBreach, type TreeCaps } from "../../src/core/policy/caps";
import { newIdIn, newTreeId } from "../../src/core/tree-ids";
import { recordLease } from "./lease-grants";
import { unleasedLimit } from "../../src/core/policy/lease";
import type { DecisionContext } from "./decision-context";
import { emitEvent } from "./event-outbox";
import { getMeta, insertSession, sessionCounts, setMeta, type SessionRow } from "./store";
import type { Tree } from "./tree";
import { viewSession } from "./views";

/** Creates the tree with its root session, once per tree (the principal's object calls it). */
export function createRoot(tree: Tree, input: { tree: string; principal: string; issuer: string; session: NewSession }, caps: TreeCaps, now: number): Outcome<Grant> {
  const { sql } = tree;
  if (getMeta(sql, "tree")) return refused<Grant>(problem("validation-failed", "the tree already exists"));
  const tooMany = scopeCaps(input.session.scopes, caps);
  if (tooMany) return refused(tooMany);
  const counted = unleasedLimit(input.session.limits);
  if (input.session.childPlacement === "own_object" && counted) {
    const message = `the root limits ${counted}, which a budget lease does not divide between objects; omit child_placement or the ${counted} limit`;
    return refused(problem("validation-failed", `child_placement: ${message}`, { errors: [{ field: "child_placement", rule: "root_counts_calls", message }] }));
  }
  setMeta(sql, "tree", input.tree);
  if (input.session.childPlacement) setMeta(sql, "child_placement", input.session.childPlacement);
  setMeta(sql, "principal", input.principal);
  setMeta(sql, "issuer", input.issuer);
  const id = newIdIn("ses", input.tree);
  setMeta(sql, "root", id);
  const row = newRow(id, null, [id], 0, input.session, now);
  insertSession(sql, row);
  emitEvent(sql, "session.granted", input.principal, { ...sessionGrantData(row, input.tree), parent: null }, now);
  return ok(grant(tree, row, now));
}

/**
 * A child of the calling session: unset fields inherit the parent's, and nothing may widen
 * it; the tree's caps bound its scopes, the parent's children and the tree's sessions.
 */
export function delegate(tree: Tree, ctx: DecisionContext, request: ChildRequest, caps: TreeCaps): Outcome<Grant> {
  const parent = ctx.session;
  const tooMany = scopeCaps(request.scopes, caps);
  if (tooMany) return refused(tooMany);
  const child: NewSession = {
    ...request,
    notBefore: request.notBefore ?? Math.max(ctx.now, parent.notBefore),
    expiresAt: request.expiresAt ?? parent.expiresAt,
    // A child inherits its parent's approval unless it sets a (tighter) one of its own.
    limits: request.limits ? { ...request.limits, ...(request.limits.approval || !parent.limits.approval ? {} : { approval: parent.limits.approval }) } : parent.limits,
    maxDepth: request.maxDepth ?? Math.max(0, parent.maxDepth - 1),
  };
  const verdict = attenuate(
    { scopes: parent.scopes, notBefore: parent.notBefore, expiresAt: parent.expiresAt, limits: parent.limits, maxDepth: parent.maxDepth },
    { scopes: child.scopes, notBefore: child.notBefore, expiresAt: child.expiresAt, limits: child.limits, maxDepth: child.maxDepth },
    tree.decimals,
  );
  if (!verdict.ok) {
    if (verdict.kind === "depth-exceeded") return refused(problem("depth-exceeded", verdict.detail, { max_depth: parent.maxDepth }));
    return refused(
      problem("delegation-widens", `the delegation would widen ${verdict.widens.map((w) => w.field).join(", ")}`, {
        errors: verdict.widens,
      }),
    );
  }
  const breach = treeCapBreach(sessionCounts(tree.sql, parent.id), caps);
  if (breach) return refused(problem("cap-exceeded", breach.detail, { cap: breach.cap, limit: breach.limit, current: breach.current }));
  // The root's grant may place its children in objects of their own by default (`child_placement`).
  const placement = request.placement ?? (parent.parent === null ? getMeta(tree.sql, "child_placement") : null);
  const own = placement === "own_object";
  if (own) {
    const unplaceable = placementRefusal(tree, ctx);
    if (unplaceable) return refused(unplaceable);
  }
  // A child in an object of its own carries that object's key in its id, so every call of it routes there.
  const object = own ? newTreeId() : null;
  const id = newIdIn("ses", object ?? tree.id);
  const row = newRow(id, parent.id, [...parent.path, id], parent.depth + 1, child, ctx.now);
  insertSession(tree.sql, row);
  if (object) recordLease(tree.sql, id, object, ctx.now);
  emitEvent(tree.sql, "session.delegated", tree.principal, { ...sessionGrantData(row, tree.id), parent: parent.id, depth: row.depth }, ctx.now);
  return ok(grant(tree, row, ctx.now, object ?? tree.id));
}

/**
 * Why the child cannot have an object of its own: a leased object does not lease on
 * (its subtree delegates within it), and the limits that are not leased — calls and
 * rate, counted on every ancestor at every call — would no longer hold across objects.
 */
function placementRefusal(tree: Tree, ctx: DecisionContext): Problem | null {
  const invalid = (rule: string, message: string) => problem("validation-failed", `placement: ${message}`, { errors: [{ field: "placement", rule, message }] });
  if (tree.leaseParent)
    return invalid("nested_lease", "this session already lives in an object of its own under a budget lease; its children are placed in that object (omit placement)");
  const counted = ctx.chain.find((s) => unleasedLimit(s.limits) !== null);
  if (counted)
    return invalid(
      "ancestor_counts_calls",
      `session ${counted.id} limits ${unleasedLimit(counted.limits)}, which a budget lease does not divide between objects; own_object needs a chain with budgets only (omit placement)`,
    );
  return null;
}

/** The configured scope caps (the request schemas hold only the absolute ones), as `validation-failed`. */
function scopeCaps(scopes: readonly string[], caps: TreeCaps): Problem | null {
  const errors = scopeCapErrors(scopes, caps);
  if (errors.length === 0) return null;
  return problem("validation-failed", errors.map((e) => `${e.field}: ${e.message}`).join("; "), { errors });
}

function newRow(id: string, parent: string | null, path: string[], depth: number, s: NewSession, now: number): SessionRow {
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

/** The new session's view and its token, bound to the agent's key (`cnf.jkt`); `object`: the tree id of the object it lives in. */
function grant(tree: Tree, row: SessionRow, now: number, object = tree.id): Grant {
  const token = issueSessionTokenSync(
    tree.key,
    {
      iss: getMeta(tree.sql, "issuer")!,
      sub: row.id,
      tree: object,
      prn: tree.principal,
      nbf: Math.floor(row.notBefore / 1000),
      exp: Math.floor(row.expiresAt / 1000),
      cnf: { jkt: row.jkt },
      scope: row.scopes.join(" "),
      depth: row.depth,
    },
    now,
  );
  return { session: viewSession(tree, row, now), token };
}

/** The `data` common to `session.granted` and `session.delegated`. */
function sessionGrantData(row: SessionRow, tree: string): Omit<EventData<"session.granted">, "parent"> {
  return {
    session: row.id,
    tree,
    agent_jkt: row.jkt,
    scopes: row.scopes,
    not_before: new Date(row.notBefore).toISOString(),
    expires_at: new Date(row.expiresAt).toISOString(),
  };
}
