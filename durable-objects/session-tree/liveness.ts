/**
 * Whether a session may act at all: not revoked, not frozen, inside its window — it and
 * every ancestor. Revocation and freeze are refusals of authority and are receipted
 * (once per window, ./denials.ts); a window is only time.
 *
 * Finding out costs nothing: `lifeless` only reads what the decision already read, so the
 * prologue asks it before any rate, call or idempotency record is charged (./decide.ts).
 */
import { problem, refused, type Outcome, type ProblemName, type ProblemValue } from "../../src/core/errors";
import type { DecisionContext } from "./decision-context";
import { denyOncePerWindow } from "./denials";
import { frozenInChain } from "./governance";
import { tripsOf } from "./tripwires";
import type { Tree } from "./tree";

export interface Lifeless {
  name: ProblemName;
  detail: string;
  extra?: Record<string, ProblemValue>;
  /** Refusals of authority leave a denial receipt; refusals of time do not. */
  receipted: boolean;
}

/** Why the session cannot act now, or null when it and every ancestor are live. Reads only. */
export function lifeless(tree: Tree, ctx: DecisionContext): Lifeless | null {
  const revoked = ctx.chain.find((s) => s.status === "revoked");
  if (revoked) return { name: "session-revoked", detail: `session ${revoked.id} was revoked`, extra: { revoked_session: revoked.id }, receipted: true };
  if (tree.frozen) return { name: "principal-frozen", detail: "every session of this principal is frozen", receipted: true };
  const held = frozenInChain(tree, ctx.chain);
  if (held) return { name: "session-frozen", detail: `session ${held.id} is frozen`, extra: { frozen_session: held.id }, receipted: true };
  // A trip-wire's freeze is a switch of its own (./tripwires.ts): a reset of the rule, or the frozen session's unfreeze, clears it.
  const trip = tripsOf(tree, ctx.session.path)[0];
  if (trip)
    return {
      name: "tripwire",
      detail: `trip-wire ${trip.rule} froze this session (${trip.action}) at ${trip.at}; reset the trip-wire, or unfreeze the frozen session, to let it act`,
      extra: { rule: trip.rule, action: trip.action },
      receipted: true,
    };
  const expired = ctx.chain.find((s) => ctx.now >= s.expiresAt);
  if (expired) return { name: "session-expired", detail: `session ${expired.id} expired at ${new Date(expired.expiresAt).toISOString()}`, receipted: false };
  const early = ctx.chain.find((s) => ctx.now < s.notBefore);
  if (early) return { name: "session-not-yet-valid", detail: `session ${early.id} is valid from ${new Date(early.notBefore).toISOString()}`, receipted: false };
  return null;
}

/** The refusal of a lifeless session: receipted at most once per (session, reason) window, and nothing else written. */
export function refuseLifeless(tree: Tree, ctx: DecisionContext, why: Lifeless): Outcome<never> {
  if (why.receipted) return denyOncePerWindow(tree, ctx, why.name, why.detail, why.extra);
  return refused(problem(why.name, why.detail, why.extra));
}
