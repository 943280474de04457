/** A session's own freeze switch, set by its principal: it and everything beneath it stop, apart from the principal's switch. */
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import type { SessionView } from "../../src/contract/views";
import { ownedSession } from "./access";
import { cancelPendingApprovals } from "./approvals";
import { frozenSessions, subtreeIds } from "./governance";
import { clearTripsOn } from "./tripwires";
import type { Tree } from "./tree";
import { viewSession } from "./views";

/**
 * A session's own switch: on, it and everything beneath it are refused (`session-frozen`); off,
 * they work again (a trip-wire's freeze of this session, or of the tree at its root, ends too)
 * unless another switch holds them: the principal's, an ancestor's.
 */
export function setSessionFrozen(tree: Tree, principal: string, id: string, frozen: boolean, now: number): Outcome<SessionView> {
  const row = ownedSession(tree, principal, id);
  if (!row) return refused(problem("not-found", `no session ${id}`));
  tree.sql.exec("UPDATE sessions SET frozen = ? WHERE id = ?", frozen ? 1 : 0, id);
  const set = frozenSessions(tree.sql);
  if (frozen) set.add(id);
  else set.delete(id);
  // As with the principal's switch, a freeze ends what waits on a person beneath it (nothing to approve any more).
  if (frozen) cancelPendingApprovals(tree, subtreeIds(tree.sql, id), "session-frozen", now);
  // The unfreeze is the person's own decision: it also ends what a trip-wire froze here (./tripwires.ts).
  else clearTripsOn(tree, row);
  return ok(viewSession(tree, row, now));
}
