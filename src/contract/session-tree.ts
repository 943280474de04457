/** What crosses the edge ↔ SessionTree RPC boundary: agent calls, grants, holds. */
import type { AgentJwk } from "../core/auth/jwk";
import type { Outcome } from "../core/errors";
import type { Limits } from "../core/policy/attenuate";
import type { SignedReceipt } from "../core/receipts/receipt";
import type { ReceiptInOutbox } from "./settlement";
import type { SessionView } from "./views";
import type { Authorization, Grant, Revocation, SessionTreeView } from "./wire/session";
import type { HoldView, SettledHold } from "./wire/holds";
import type { ReceiptPage } from "./wire/receipts";

export type { Grant } from "./wire/session";
export type { HoldView } from "./wire/holds";

/** What the edge learned about an agent request before calling the tree. */
export interface AgentCall {
  session: string;
  jti: string;
  /** When the replay-cache entry for this `jti` may be dropped (ms). */
  jtiExpiresAt: number;
  idempotency?: { key: string; fingerprint: string };
}

/** An agent decision: the outcome plus what the edge needs for headers. */
export interface AgentResult<T> {
  outcome: Outcome<T>;
  rateLimit?: Record<string, string>;
  replayed?: boolean;
}

export interface NewSession {
  agentJwk: AgentJwk;
  jkt: string;
  scopes: string[];
  notBefore: number;
  expiresAt: number;
  limits: Limits;
  maxDepth: number;
  label: string | null;
}

/** A delegation as asked for: omitted bounds are inherited from the parent. */
export type ChildRequest = Omit<NewSession, "notBefore" | "expiresAt" | "limits" | "maxDepth"> &
  Partial<Pick<NewSession, "notBefore" | "expiresAt" | "limits" | "maxDepth">>;


export interface AuthorizeInput {
  scope: string;
  amount?: { asset: string; value: string };
  request_digest?: string;
}

export interface HoldInput {
  scope: string;
  amount: { asset: string; value: string };
  expiresInSeconds?: number;
}


/** Who asks for a receipt: its principal, or an agent whose session is in the tree. */
export type ReceiptCaller = { principal: string } | { session: string };

/**
 * The SessionTree object's RPC surface (durable-objects/session-tree/index.ts implements it).
 * Every method is one synchronous decision inside the object.
 */
export interface SessionTreeRpc extends Rpc.DurableObjectBranded {
  createRoot(input: { tree: string; principal: string; issuer: string; session: NewSession }): Outcome<Grant>;
  getSession(principal: string, id: string): Outcome<SessionView>;
  getTree(principal: string, id: string): Outcome<SessionTreeView>;
  revoke(principal: string, id: string): Outcome<Revocation>;
  setFrozen(frozen: boolean): void;
  receipt(caller: ReceiptCaller, id: string): Outcome<SignedReceipt>;
  listReceipts(
    principal: string,
    sessionId: string,
    page: { limit: number; startingAfter?: string },
  ): Outcome<ReceiptPage>;
  receiptForAgent(call: AgentCall, id: string): AgentResult<SignedReceipt>;
  receiptInOutbox(caller: ReceiptCaller, id: string): Outcome<ReceiptInOutbox>;
  receiptInOutboxForAgent(call: AgentCall, id: string): AgentResult<ReceiptInOutbox>;
  introspect(call: AgentCall): AgentResult<SessionView>;
  delegate(call: AgentCall, request: ChildRequest): AgentResult<Grant>;
  authorize(call: AgentCall, input: AuthorizeInput): AgentResult<Authorization>;
  hold(call: AgentCall, input: HoldInput): AgentResult<HoldView>;
  capture(call: AgentCall, holdId: string, amount?: string): AgentResult<SettledHold>;
  void(call: AgentCall, holdId: string): AgentResult<SettledHold>;
}
