/**
 * Whether a session may act at all: not revoked, not frozen, inside its window — it and
 * every ancestor. Revocation and freeze are refusals of authority and are receipted;
 * a window is only time.
 */
import { problem, refused, type Outcome } from "../../src/core/errors";
import type { DecisionContext } from "./decision-context";
import { deny } from "./denials";
import type { Tree } from "./tree";

export function checkLiveness(tree: Tree, ctx: DecisionContext): Outcome<never> | null {
  const revoked = ctx.chain.find((s) => s.status === "revoked");
  if (revoked) return deny(tree, ctx, "session-revoked", `session ${revoked.id} was revoked`, { revoked_session: revoked.id });
  if (tree.frozen) return deny(tree, ctx, "principal-frozen", "every session of this principal is frozen");
  const expired = ctx.chain.find((s) => ctx.now >= s.expiresAt);
  if (expired) return refused(problem("session-expired", `session ${expired.id} expired at ${new Date(expired.expiresAt).toISOString()}`));
  const early = ctx.chain.find((s) => ctx.now < s.notBefore);
  if (early) return refused(problem("session-not-yet-valid", `session ${early.id} is valid from ${new Date(early.notBefore).toISOString()}`));
  return null;
}
