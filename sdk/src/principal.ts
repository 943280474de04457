/** The principal's client: grants, trees, revocation, freeze, receipts, API keys and webhook endpoints, with an API key. */
import { RemitAgent } from "./agent";
import type { Approval, ApprovalStatus } from "./approvals";
import { boundsBody, enc, type SessionBounds } from "./common";
import { RemitGovernance } from "./governance";
import { eachEvent, eventListQuery, eventPages, streamEvents, type EventListOptions, type EventStreamOptions } from "./events";
import { HttpClient, type CallOptions, type ClientOptions } from "./http";
import type { AgentKey } from "./keys";
import { RemitClient } from "./public";
import type { AssetInfo } from "./public";
import { tripwireClient } from "./tripwires";
import type {
  Anchor,
  ApiKey,
  FreezeResult,
  NewApiKey,
  Page,
  PublicJwk,
  ReceiptProofResponse,
  Revocation,
  Session,
  SessionGrant,
  SessionTree,
  SignedReceipt,
  DeletedWebhookEndpoint,
  EventPage,
  RemitEvent,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from "./types";

export interface RemitPrincipalOptions extends ClientOptions {
  /** The principal's API key, `rmt_…`. */
  apiKey: string;
}

export type GrantOptions = SessionBounds &
  CallOptions & {
    /** The agent's public key (the wire's `agent_jwk`): the agent keeps its private key, the result has no `agent`. */
    agentJwk?: PublicJwk;
    /** Or the agent's key pair (when the principal runs the agent): the result then carries a ready `agent`. */
    agentKey?: AgentKey;
    /** Where the root's children go when a delegation does not say: `own_object` makes each a hot subtree under a budget lease. */
    childPlacement?: "same_object" | "own_object";
  };

/** A grant to a public key only. */
export type GrantToKey = SessionGrant & { agent?: undefined };

/** A grant made with the agent's key pair (`agentKey`): it carries the ready agent. */
export interface Grant extends SessionGrant {
  agent: RemitAgent;
}

export interface WebhookEndpointInput {
  /** https URL of a public host (http on loopback only in development). */
  url: string;
  /** Event types (`session.revoked`, …) or `["*"]`. */
  events: string[];
  description?: string;
}

export interface WebhookEndpointPatch {
  url?: string;
  events?: string[];
  description?: string | null;
  disabled?: boolean;
}

export interface TreePageOptions extends CallOptions {
  /** Descendants per page: default 100, at most 500. */
  limit?: number;
  /** The page after this descendant (the previous page's `next_cursor`). */
  startingAfter?: string;
}

export interface DeliveryListOptions extends CallOptions {
  limit?: number;
  startingAfter?: string;
}

/** A principal: grants root sessions, watches and revokes them, manages keys and webhooks. */
export class RemitPrincipal {
  private readonly http: HttpClient;
  private readonly options: RemitPrincipalOptions;

  constructor(options: RemitPrincipalOptions) {
    if (!options.apiKey) throw new TypeError("apiKey is required");
    this.options = options;
    this.http = new HttpClient(options);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Listings across every tree, exposure, bulk revocation and per-session switches (./governance.ts). */
  get governance(): RemitGovernance {
    return new RemitGovernance(this.options);
  }

  private auth = (): Record<string, string> => ({ authorization: `Bearer ${this.options.apiKey}` });

  private get<T>(path: string, call: CallOptions & { query?: Record<string, string | number | undefined> } = {}): Promise<T> {
    return this.http.request<T>({ method: "GET", path, auth: this.auth, ...call });
  }

  private send<T>(method: "POST" | "PATCH" | "DELETE", path: string, body: unknown, call: CallOptions = {}): Promise<T> {
    return this.http.request<T>({ method, path, body, idempotent: true, auth: this.auth, ...call });
  }

  // ---------------------------------------------------------------- sessions

  /**
   * Grant a root session to an agent key. `expiresAt` (or `expiresIn`) is required.
   * Budgets may be written `{ amount: "50.00USD", period: "day" }`.
   * With `agentKey` the result's `agent` is ready to use (typed as present); with
   * `agentJwk` only, there is none.
   */
  grant(options: GrantOptions & { agentKey: AgentKey }): Promise<Grant>;
  grant(options: GrantOptions & { agentJwk: PublicJwk; agentKey?: undefined }): Promise<GrantToKey>;
  grant(options: GrantOptions): Promise<Grant | GrantToKey>;
  async grant(options: GrantOptions): Promise<Grant | GrantToKey> {
    const { agentJwk, agentKey, idempotencyKey, signal, childPlacement, ...bounds } = options;
    if (!agentJwk && !agentKey) throw new TypeError("agentJwk (or agentKey) is required");
    if (bounds.expiresAt === undefined && bounds.expiresIn === undefined) throw new TypeError("expiresAt (or expiresIn) is required");
    const body = { ...boundsBody(agentJwk ?? agentKey!.publicJwk, bounds, this.options.assetDecimals), ...(childPlacement ? { child_placement: childPlacement } : {}) };
    const grant = await this.send<SessionGrant>("POST", "/v1/sessions", body, {
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(signal ? { signal } : {}),
    });
    if (!agentKey || (agentJwk && agentJwk.x !== agentKey.publicJwk.x)) return grant;
    const { apiKey: _apiKey, ...client } = this.options;
    return { ...grant, agent: new RemitAgent({ ...client, token: grant.token, key: agentKey }) };
  }

  /** A session with its live counters. */
  session(id: string, call?: CallOptions): Promise<Session> {
    return this.get<Session>(`/v1/sessions/${enc(id)}`, call);
  }

  /**
   * A session and one page of its descendants (depth-first, siblings in creation order),
   * with counters. While `has_more`, pass `next_cursor` as `startingAfter` for the next
   * page; `treePages` and `wholeTree` do that for you.
   */
  tree(id: string, options: TreePageOptions = {}): Promise<SessionTree> {
    const { limit, startingAfter, ...call } = options;
    return this.get<SessionTree>(`/v1/sessions/${enc(id)}/tree`, { ...call, query: { limit, starting_after: startingAfter } });
  }

  /** Every page of the session's tree, in order, following the cursors. */
  async *treePages(id: string, options: TreePageOptions = {}): AsyncGenerator<SessionTree, void, undefined> {
    let startingAfter = options.startingAfter;
    for (;;) {
      const page = await this.tree(id, { ...options, ...(startingAfter ? { startingAfter } : {}) });
      yield page;
      if (!page.has_more || !page.next_cursor) return;
      startingAfter = page.next_cursor;
    }
  }

  /** The session and all its descendants, every page read (up to the tree's cap, 10,000 by default). */
  async wholeTree(id: string, options: Omit<TreePageOptions, "startingAfter"> = {}): Promise<SessionTree> {
    let session: SessionTree["session"] | undefined;
    const descendants: SessionTree["descendants"] = [];
    for await (const page of this.treePages(id, { limit: 500, ...options })) {
      session ??= page.session;
      descendants.push(...page.descendants);
    }
    return { session: session!, descendants, has_more: false, next_cursor: null };
  }

  /** A session's receipts (spends, captures, voids, denials), oldest first, a page at a time. */
  receipts(sessionId: string, options: { limit?: number; startingAfter?: string } & CallOptions = {}): Promise<Page<SignedReceipt>> {
    const { limit, startingAfter, ...call } = options;
    return this.get<Page<SignedReceipt>>(`/v1/sessions/${enc(sessionId)}/receipts`, { ...call, query: { limit, starting_after: startingAfter } });
  }

  /** The asset table of the service: decimals (and symbols) to read minor units with. */
  assets(call?: CallOptions): Promise<AssetInfo[]> {
    return this.public.assets(call);
  }

  /** Revoke a session and every descendant; from its return nothing under them succeeds. */
  revoke(id: string, call?: CallOptions): Promise<Revocation> {
    return this.send<Revocation>("POST", `/v1/sessions/${enc(id)}/revoke`, {}, call);
  }

  /** The kill switch: every session of the principal stops at once. */
  freeze(call?: CallOptions): Promise<FreezeResult> {
    return this.send<FreezeResult>("POST", "/v1/freeze", {}, call);
  }

  unfreeze(call?: CallOptions): Promise<FreezeResult> {
    return this.send<FreezeResult>("POST", "/v1/unfreeze", {}, call);
  }

  // ---------------------------------------------------------------- receipts and anchors

  receipt(id: string, call?: CallOptions): Promise<SignedReceipt> {
    return this.get<SignedReceipt>(`/v1/receipts/${enc(id)}`, call);
  }

  /** The receipt's inclusion proof and its anchor, once anchored. */
  receiptProof(id: string, call?: CallOptions): Promise<ReceiptProofResponse> {
    return this.get<ReceiptProofResponse>(`/v1/receipts/${enc(id)}/proof`, call);
  }

  /** Anchored period roots with their transactions (public). */
  anchors(call?: CallOptions): Promise<Anchor[]> {
    return this.public.anchors(call);
  }

  anchor(period: number | string, call?: CallOptions): Promise<Anchor> {
    return this.public.anchor(period, call);
  }

  private get public(): RemitClient {
    const { apiKey: _apiKey, ...client } = this.options;
    return new RemitClient(client);
  }

  // ---------------------------------------------------------------- API keys

  readonly apiKeys = {
    /** A new key; its secret (`api_key`) is returned once. */
    create: (options: { label?: string; role?: ApiKey["role"] } & CallOptions = {}): Promise<NewApiKey> => {
      const { label, role, ...call } = options;
      return this.send<NewApiKey>("POST", "/v1/api-keys", { ...(label === undefined ? {} : { label }), ...(role ? { role } : {}) }, call);
    },
    list: async (call?: CallOptions): Promise<ApiKey[]> => (await this.get<Page<ApiKey>>("/v1/api-keys", call)).data,
    revoke: (id: string, call?: CallOptions): Promise<ApiKey> =>
      this.http.request<ApiKey>({ method: "DELETE", path: `/v1/api-keys/${enc(id)}`, idempotent: true, auth: this.auth, ...call }),
  };

  // ---------------------------------------------------------------- approvals

  readonly approvals = {
    /** The queue, newest first (`status: "pending"` for what waits), a page at a time. */
    list: (options: { status?: ApprovalStatus; limit?: number; startingAfter?: string } & CallOptions = {}): Promise<Page<Approval> & { has_more: boolean }> => {
      const { status, limit, startingAfter, ...call } = options;
      return this.get<Page<Approval> & { has_more: boolean }>("/v1/approvals", { ...call, query: { status, limit, starting_after: startingAfter } });
    },
    get: (id: string, call?: CallOptions): Promise<Approval> => this.get<Approval>(`/v1/approvals/${enc(id)}`, call),
    /** One vote by this key; at the quorum the spend is committed and `receipt` carries it. */
    approve: (id: string, options: { note?: string } & CallOptions = {}): Promise<Approval> => {
      const { note, ...call } = options;
      return this.send<Approval>("POST", `/v1/approvals/${enc(id)}/approve`, note === undefined ? {} : { note }, call);
    },
    /** Ends it: the reservation is released, with a denial receipt. */
    deny: (id: string, options: { reason?: string } & CallOptions = {}): Promise<Approval> => {
      const { reason, ...call } = options;
      return this.send<Approval>("POST", `/v1/approvals/${enc(id)}/deny`, reason === undefined ? {} : { reason }, call);
    },
  };

  // ---------------------------------------------------------------- events

  readonly events = {
    /** One page of the principal's events (kept 30 days), newest first. */
    list: (options: EventListOptions = {}): Promise<EventPage> => {
      const { type: _t, createdAfter: _a, createdBefore: _b, limit: _l, startingAfter: _s, ...call } = options;
      return this.get<EventPage>("/v1/events", { ...call, query: eventListQuery(options) });
    },
    get: (id: string, call?: CallOptions): Promise<RemitEvent> => this.get<RemitEvent>(`/v1/events/${enc(id)}`, call),
    /** Every page, newest first, following the cursors: `for await (const page of principal.events.pages())`. */
    pages: (options: EventListOptions = {}): AsyncGenerator<EventPage, void, undefined> => eventPages(this.events.list, options),
    /** Every event across the pages, newest first: `for await (const event of principal.events.all({ type: "session.revoked" }))`. */
    all: (options: EventListOptions = {}): AsyncGenerator<RemitEvent, void, undefined> => eachEvent(this.events.pages(options)),
    /**
     * New events as they happen (`GET /v1/events/stream`), oldest first, each once:
     * reconnects after a drop with `Last-Event-ID`, until `signal` aborts. A refusal
     * (a revoked key, an unknown type) is thrown.
     */
    stream: (options: EventStreamOptions = {}): AsyncGenerator<RemitEvent, void, undefined> => streamEvents(this.http, this.auth, options),
  };

  // ---------------------------------------------------------------- webhooks

  readonly webhookEndpoints = {
    /** A new endpoint; its signing secret is returned here (and on rotation) only. */
    create: (input: WebhookEndpointInput, call?: CallOptions): Promise<WebhookEndpointWithSecret> =>
      this.send<WebhookEndpointWithSecret>("POST", "/v1/webhook-endpoints", input, call),
    list: async (call?: CallOptions): Promise<WebhookEndpoint[]> => {
      const page = await this.get<Page<WebhookEndpoint> | WebhookEndpoint[]>("/v1/webhook-endpoints", call);
      return Array.isArray(page) ? page : page.data;
    },
    get: (id: string, call?: CallOptions): Promise<WebhookEndpoint> => this.get<WebhookEndpoint>(`/v1/webhook-endpoints/${enc(id)}`, call),
    update: (id: string, patch: WebhookEndpointPatch, call?: CallOptions): Promise<WebhookEndpoint> =>
      this.send<WebhookEndpoint>("PATCH", `/v1/webhook-endpoints/${enc(id)}`, patch, call),
    delete: (id: string, call?: CallOptions): Promise<DeletedWebhookEndpoint> =>
      this.http.request<DeletedWebhookEndpoint>({ method: "DELETE", path: `/v1/webhook-endpoints/${enc(id)}`, idempotent: true, auth: this.auth, ...call }),
    /** A new signing secret; the previous one keeps signing alongside for 24 h. */
    rotateSecret: (id: string, call?: CallOptions): Promise<WebhookEndpointWithSecret> =>
      this.send<WebhookEndpointWithSecret>("POST", `/v1/webhook-endpoints/${enc(id)}/rotate-secret`, {}, call),
    /** The endpoint's delivery log, newest first, a page at a time. */
    deliveries: (id: string, options: DeliveryListOptions = {}): Promise<Page<WebhookDelivery>> => {
      const { limit, startingAfter, ...call } = options;
      return this.get<Page<WebhookDelivery>>(`/v1/webhook-endpoints/${enc(id)}/deliveries`, {
        ...call,
        query: { limit, starting_after: startingAfter },
      });
    },
  };

  // ---------------------------------------------------------------- trip-wires (./tripwires.ts)

  readonly tripwires = tripwireClient({ get: (path, call) => this.get(path, call), send: (method, path, body, call) => this.send(method, path, body, call) });

  /** Deliver a delivery's event again (a new attempt of the same message). */
  redeliver(deliveryId: string, call?: CallOptions): Promise<WebhookDelivery> {
    return this.send<WebhookDelivery>("POST", `/v1/webhook-deliveries/${enc(deliveryId)}/redeliver`, {}, call);
  }
}
