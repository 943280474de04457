/** What an agent decision knows once its prologue passed: the session, its chain of ancestors, and the one clock reading. */
import type { SessionRow } from "./store";

export interface DecisionContext {
  session: SessionRow;
  /** The session and its ancestors, root first; statuses cannot change inside the decision's transaction. */
  chain: SessionRow[];
  now: number;
}
