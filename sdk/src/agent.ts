import type { SessionClaims } from "../../src/core/auth/session-claims";
import { b64urlDecode } from "../../src/core/encoding";
import { amountString, boundsBody, enc, type Amount, type AmountValue, type SessionBounds } from "./common";
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
  amount?: Amount;
  /** Lowercase hex SHA-256 of the request the action is for; recorded in the receipt. */
  requestDigest?: string;
}

export interface HoldOptions extends CallOptions {
  /** Seconds until the hold expires by itself (default 900, capped at the session's end). */
  expiresIn?: number;
}

export type DelegateOptions = SessionBounds &
  CallOptions & {
    /** The child's key pair; the result then carries a ready child agent. */
    key?: AgentKey;
    /** Or only the child's public key (its holder keeps the private one). */
    publicJwk?: PublicJwk;
  };

export interface Delegation extends SessionGrant {
  /** The child as an agent, when its private key is known here (given as `key`, or generated). */
  agent?: RemitAgent;
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

  /** Ask to do one action; on success it is counted, debited up the tree, and receipted. */
  authorize(scope: string, options: AuthorizeOptions = {}): Promise<Authorization> {
    const { amount, requestDigest, ...call } = options;
    return this.post<Authorization>(
      "/v1/authorize",
      {
        scope,
        ...(amount ? { amount: { asset: amount.asset, value: amountString(amount.value) } } : {}),
        ...(requestDigest ? { request_digest: requestDigest } : {}),
      },
      call,
    );
  }

  /** Reserve `amount` against every budget up the tree; capture or void it later. */
  hold(scope: string, amount: Amount, options: HoldOptions = {}): Promise<Hold> {
    const { expiresIn, ...call } = options;
    return this.post<Hold>(
      "/v1/holds",
      { scope, amount: { asset: amount.asset, value: amountString(amount.value) }, ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}) },
      call,
    );
  }

  /** Capture up to the held amount (all of it by default); the rest is released. */
  capture(holdId: string, amount?: AmountValue, call: CallOptions = {}): Promise<SettledHold> {
    return this.post<SettledHold>(`/v1/holds/${enc(holdId)}/capture`, amount === undefined ? {} : { amount: amountString(amount) }, call);
  }

  /** Release a hold (allowed even after revocation). */
  void(holdId: string, call: CallOptions = {}): Promise<SettledHold> {
    return this.post<SettledHold>(`/v1/holds/${enc(holdId)}/void`, {}, call);
  }

  /**
   * Delegate a narrower child session to another key. Omitted bounds are inherited;
   * anything wider is refused (`DelegationWidensError`). Without `key` or `publicJwk`
   * a key pair is generated and the result carries the ready child agent.
   */
  async delegate(options: DelegateOptions): Promise<Delegation> {
    const { key: given, publicJwk, idempotencyKey, signal, ...bounds } = options;
    if (given && publicJwk) throw new TypeError("give key or publicJwk, not both");
    const key = given ?? (publicJwk ? undefined : generateAgentKey());
    const jwk = key?.publicJwk ?? publicJwk!;
    const grant = await this.post<SessionGrant>("/v1/delegations", boundsBody(jwk, bounds), {
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
