/** The agent's client: introspection, authorizations, holds, delegation and receipts, each call DPoP-signed with the agent's key. */
import type { SessionClaims } from "../../src/core/auth/session-claims";
import { b64urlDecode } from "../../src/core/encoding";
import { ApprovalRequiredError, isPending, waitForApproval, type Approval, type ApprovalWait, type PendingApproval } from "./approvals";
import { amountString, boundsBody, enc, toAmount, type AmountValue, type MoneyInput, type SessionBounds } from "./common";
import { createProof } from "./dpop";
import { HttpClient, type CallOptions, type ClientOptions } from "./http";
import { generateAgentKey, loadAgentKey, type AgentKey } from "./keys";
import type { Authorization, Hold, PublicJwk, ReceiptProofResponse, Revocation, Session, SessionGrant, SettledHold, SignedReceipt } from "./types";

export interface RemitAgentOptions extends ClientOptions {
  /** The session token (`Authorization: DPoP <token>`). */
  token: string;
  /** The agent's key pair, or its private JWK. */
  key: AgentKey | { d: string };
  /** The proof `alg`: `Ed25519` (RFC 9864, default) or `EdDSA`. */
  proofAlg?: "Ed25519" | "EdDSA";
}

/** What a session token asserts (decoded here, not verified: the service verifies it). */
export type { SessionClaims };

export interface AuthorizeOptions extends CallOptions {
  /** What the action spends: `{ asset: "USD", value: "1250" }` (minor units) or `"12.50USD"`. */
  amount?: MoneyInput;
  /** Lowercase hex SHA-256 of the request the action is for; recorded in the receipt. */
  requestDigest?: string;
  /**
   * Opt into approvals (./approvals.ts): `{ wait: true, timeoutMs }` resolves with the receipt once
   * approved; `{}` returns the pending approval. Without it a `202` throws `ApprovalRequiredError`.
   */
  approval?: ApprovalWait;
}

export interface HoldOptions extends CallOptions {
  /** Seconds until the hold expires by itself (default 900, capped at the session's end). */
  expiresIn?: number;
  /** SHA-256 (hex) of the request the hold pays for; its capture, void or expiry receipt carries it. */
  requestDigest?: string;
}

export type DelegateOptions = SessionBounds &
  CallOptions & {
    /**
     * `own_object`: the child and its subtree live in a Durable Object of their own and spend
     * under a budget lease from this session's object — for a hot subtree, so one budget can
     * take more spends per second than one object decides. Default `same_object`.
     */
    placement?: "same_object" | "own_object";
    /** The child's key pair; the result then carries a ready child agent. */
    key?: AgentKey;
    /** Or only the child's public key (its holder keeps the private one); the result then has no `agent`. */
    agentJwk?: PublicJwk;
    /** @deprecated the same as `agentJwk` (the wire's `agent_jwk`): use `agentJwk`. */
    publicJwk?: PublicJwk;
  };

/** A delegation to a public key only: the child's holder has the private key, so there is no agent here. */
export type DelegationToKey = SessionGrant & { agent?: undefined };

/** A delegation whose child key is known here (given as `key`, or generated): it carries the ready child agent. */
export interface Delegation extends SessionGrant {
  /** The child as an agent. */
  agent: RemitAgent;
}

/**
 * An agent: holds a session token and the private key it is bound to, and signs a
 * fresh DPoP proof for every request (retries included: proofs are single-use).
 */
export class RemitAgent {
  readonly token: string;
  readonly key: AgentKey;
  private readonly http: HttpClient;
  private readonly options: RemitAgentOptions;

  constructor(options: RemitAgentOptions) {
    if (!options.token) throw new TypeError("token is required");
    if (!options.key) throw new TypeError("key is required");
    this.options = options;
    this.token = options.token;
    this.key = "sign" in options.key ? options.key : loadAgentKey(options.key);
    this.http = new HttpClient(options);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** The token's claims (session id in `sub`, tree, scopes, window). */
  get claims(): SessionClaims {
    const part = this.token.split(".")[1];
    if (!part) throw new TypeError("the session token is not a JWT");
    return JSON.parse(new TextDecoder().decode(b64urlDecode(part))) as SessionClaims;
  }

  /** The session id. */
  get sessionId(): string {
    return this.claims.sub;
  }

  private proofFor = (method: string, url: string): Record<string, string> => ({
    authorization: `DPoP ${this.token}`,
    dpop: createProof(this.key, { method, url, accessToken: this.token, ...(this.options.proofAlg ? { alg: this.options.proofAlg } : {}) }),
  });

  private post<T>(path: string, body: unknown, call: CallOptions = {}): Promise<T> {
    return this.http.request<T>({ method: "POST", path, body, idempotent: true, auth: this.proofFor, ...call });
  }

  private get<T>(path: string, call: CallOptions = {}): Promise<T> {
    return this.http.request<T>({ method: "GET", path, auth: this.proofFor, ...call });
  }

  /** The panic button: revoke this session and everything beneath it (never an ancestor). Works even once frozen or revoked. */
  revokeSelf(call: CallOptions = {}): Promise<Revocation> {
    return this.post<Revocation>("/v1/session/revoke", {}, call);
  }

  /**
   * Ask to do one action; on success it is counted, debited up the tree, and receipted.
   *
   *     await agent.authorize("http:GET:api.example.com/v1/quotes", { amount: "2.50USD" });
   *
   * @throws BudgetExceededError, ScopeDeniedError, CallsExhaustedError, RateLimitedError… (a denial receipt is written)
   */
  authorize(scope: string, options: AuthorizeOptions & { approval: { wait: true } }): Promise<Authorization>;
  authorize(scope: string, options: AuthorizeOptions & { approval: ApprovalWait }): Promise<Authorization | PendingApproval>;
  authorize(scope: string, options?: AuthorizeOptions): Promise<Authorization>;
  async authorize(scope: string, options: AuthorizeOptions = {}): Promise<Authorization | PendingApproval> {
    const { amount, requestDigest, approval, ...call } = options;
    const answer = await this.post<Authorization | PendingApproval>(
      "/v1/authorize",
      {
        scope,
        ...(amount !== undefined ? { amount: toAmount(amount, this.options.assetDecimals) } : {}),
        ...(requestDigest ? { request_digest: requestDigest } : {}),
      },
      call,
    );
    if (!isPending(answer)) return answer;
    if (!approval) throw new ApprovalRequiredError("approval-required", answer.approval, `the action waits for approval ${answer.approval.id}`);
    if (!approval.wait) return answer;
    const done = await waitForApproval((wait) => this.approval(answer.approval.id, { wait }), answer.approval, approval.timeoutMs);
    return { receipt: done.receipt!, session: await this.session() };
  }

  /** An approval this session (or one below it) asked for; `wait` long-polls up to that many seconds (≤ 25) for a change. */
  approval(id: string, options: CallOptions & { wait?: number } = {}): Promise<Approval> {
    const { wait, ...call } = options;
    return this.http.request<Approval>({ method: "GET", path: `/v1/approvals/${enc(id)}`, auth: this.proofFor, ...(wait ? { query: { wait } } : {}), ...call });
  }

  /** Withdraw a pending approval: its reservation is released. */
  cancelApproval(id: string, call: CallOptions = {}): Promise<Approval> {
    return this.post<Approval>(`/v1/approvals/${enc(id)}/cancel`, {}, call);
  }

  /**
   * Reserve `amount` (`{ asset, value }` in minor units, or `"12.50USD"`) against every
   * budget up the tree; capture or void it later.
   */
  hold(scope: string, amount: MoneyInput, options: HoldOptions = {}): Promise<Hold> {
    const { expiresIn, requestDigest, ...call } = options;
    return this.post<Hold>(
      "/v1/holds",
      {
        scope,
        amount: toAmount(amount, this.options.assetDecimals),
        ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}),
        ...(requestDigest ? { request_digest: requestDigest } : {}),
      },
      call,
    );
  }

  /**
   * Capture up to the held amount (all of it by default); the rest is released.
   * `amount` as everywhere: `{ asset, value }` or `"12.50USD"` (its asset must be the
   * hold's, which the service checks against the hold). A bare number, bigint or
   * digit string is minor units, as before.
   */
  capture(holdId: string, amount?: MoneyInput | AmountValue, call: CallOptions = {}): Promise<SettledHold> {
    const value =
      amount === undefined
        ? undefined
        : typeof amount === "object" || (typeof amount === "string" && !/^[0-9]+$/.test(amount))
          ? toAmount(amount, this.options.assetDecimals).value
          : amountString(amount);
    return this.post<SettledHold>(`/v1/holds/${enc(holdId)}/capture`, value === undefined ? {} : { amount: value }, call);
  }

  /** Release a hold (allowed even after revocation). */
  void(holdId: string, call: CallOptions = {}): Promise<SettledHold> {
    return this.post<SettledHold>(`/v1/holds/${enc(holdId)}/void`, {}, call);
  }

  /**
   * Delegate a narrower child session to another key. Omitted bounds are inherited;
   * anything wider is refused (`DelegationWidensError`). Without `key` or `agentJwk`
   * a key pair is generated; with a `key` (or generated) the result's `agent` is the
   * ready child agent (typed as always present), with `agentJwk` there is none.
   */
  delegate(options: DelegateOptions & { agentJwk: PublicJwk }): Promise<DelegationToKey>;
  delegate(options: DelegateOptions & { publicJwk: PublicJwk }): Promise<DelegationToKey>;
  delegate(options: DelegateOptions & { agentJwk?: undefined; publicJwk?: undefined }): Promise<Delegation>;
  delegate(options: DelegateOptions): Promise<Delegation | DelegationToKey>;
  async delegate(options: DelegateOptions): Promise<Delegation | DelegationToKey> {
    const { key: given, agentJwk, publicJwk: legacy, idempotencyKey, signal, placement, ...bounds } = options;
    const publicJwk = agentJwk ?? legacy;
    if (given && publicJwk) throw new TypeError("give key or agentJwk, not both");
    const key = given ?? (publicJwk ? undefined : generateAgentKey());
    const jwk = key?.publicJwk ?? publicJwk!;
    const body = { ...boundsBody(jwk, bounds, this.options.assetDecimals), ...(placement ? { placement } : {}) };
    const grant = await this.post<SessionGrant>("/v1/delegations", body, {
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(signal ? { signal } : {}),
    });
    return { ...grant, ...(key ? { agent: this.child(grant.token, key) } : {}) };
  }

  /** Another agent on the same service with the same client settings. */
  child(token: string, key: AgentKey): RemitAgent {
    return new RemitAgent({ ...this.options, token, key });
  }

  /** This agent's own session, with what remains of it. */
  session(call: CallOptions = {}): Promise<Session> {
    return this.get<Session>("/v1/session", call);
  }

  /** A receipt of this session or of a session below it. */
  receipt(id: string, call: CallOptions = {}): Promise<SignedReceipt> {
    return this.get<SignedReceipt>(`/v1/receipts/${enc(id)}`, call);
  }

  /** A receipt's inclusion proof and anchor, once anchored. */
  receiptProof(id: string, call: CallOptions = {}): Promise<ReceiptProofResponse> {
    return this.get<ReceiptProofResponse>(`/v1/receipts/${enc(id)}/proof`, call);
  }
}
