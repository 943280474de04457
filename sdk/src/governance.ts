/**
 * Governance for a principal: every session and receipt across its trees, the most it
 * can still lose (exposure), bulk revocation by filter (dry run first), and a session's
 * own freeze switch. `RemitPrincipal#governance` hands one out; it can also be made
 * from the same options.
 */
import type { BulkRevocation, ExposureView, ReceiptList, SessionList } from "../../src/contract/wire-types";
import { enc, rfc3339, type TimeInput } from "./common";
import { HttpClient, type CallOptions, type ClientOptions } from "./http";
import type { Session, SignedReceipt } from "./types";

export type { BulkRevocation, ExposureView as Exposure, ReceiptList, SessionList };

export interface SessionFilter {
  status?: "active" | "revoked" | "expired" | "frozen" | "pending";
  /** Only roots (true) or only delegated sessions (false). */
  root?: boolean;
  label?: string;
  /** The agent key's RFC 7638 thumbprint. */
  agent?: string;
  createdBefore?: TimeInput;
  createdAfter?: TimeInput;
  expiresBefore?: TimeInput;
  expiresAfter?: TimeInput;
  /** No authorization or hold for this long: an ISO 8601 duration (`P7D`, `PT1H`) or seconds. */
  idleFor?: string | number;
  depth?: number;
}

export interface ReceiptFilter {
  session?: string;
  kind?: "authorize" | "capture" | "void" | "denial";
  outcome?: "allowed" | "denied";
  createdBefore?: TimeInput;
  createdAfter?: TimeInput;
}

export interface PageOptions extends CallOptions {
  limit?: number;
  cursor?: string;
}

/** Seconds as an ISO 8601 duration (`PT3600S`); strings pass as they are. */
export function isoDuration(d: string | number): string {
  return typeof d === "number" ? `PT${Math.floor(d)}S` : d;
}

/** The wire form of a filter (snake_case, RFC 3339 times); absent members stay absent. */
export function sessionFilterWire(f: SessionFilter): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (f.status) out.status = f.status;
  if (f.root !== undefined) out.root = f.root;
  if (f.label !== undefined) out.label = f.label;
  if (f.agent) out.agent = f.agent;
  if (f.createdBefore !== undefined) out.created_before = rfc3339(f.createdBefore);
  if (f.createdAfter !== undefined) out.created_after = rfc3339(f.createdAfter);
  if (f.expiresBefore !== undefined) out.expires_before = rfc3339(f.expiresBefore);
  if (f.expiresAfter !== undefined) out.expires_after = rfc3339(f.expiresAfter);
  if (f.idleFor !== undefined) out.idle_for = isoDuration(f.idleFor);
  if (f.depth !== undefined) out.depth = f.depth;
  return out;
}

function receiptFilterWire(f: ReceiptFilter): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.session) out.session = f.session;
  if (f.kind) out.kind = f.kind;
  if (f.outcome) out.outcome = f.outcome;
  if (f.createdBefore !== undefined) out.created_before = rfc3339(f.createdBefore);
  if (f.createdAfter !== undefined) out.created_after = rfc3339(f.createdAfter);
  return out;
}

export class RemitGovernance {
  private readonly http: HttpClient;

  constructor(private readonly options: ClientOptions & { apiKey: string }) {
    if (!options.apiKey) throw new TypeError("apiKey is required");
    this.http = new HttpClient(options);
  }

  private auth = (): Record<string, string> => ({ authorization: `Bearer ${this.options.apiKey}` });

  /** One page of sessions across every tree, newest first. */
  sessions(filter: SessionFilter = {}, page: PageOptions = {}): Promise<SessionList> {
    const { limit, cursor, ...call } = page;
    const query = { ...sessionFilterWire(filter), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) };
    return this.http.request<SessionList>({ method: "GET", path: "/v1/sessions", query, auth: this.auth, ...call });
  }

  /** Every matching session, page after page. */
  async *allSessions(filter: SessionFilter = {}, page: PageOptions = {}): AsyncGenerator<Session & { last_used_at: string | null }> {
    let cursor = page.cursor;
    do {
      const r = await this.sessions(filter, { ...page, ...(cursor ? { cursor } : {}) });
      yield* r.data;
      cursor = r.next_cursor ?? undefined;
    } while (cursor);
  }

  /** One page of receipts across every tree, newest first. */
  receipts(filter: ReceiptFilter = {}, page: PageOptions = {}): Promise<ReceiptList> {
    const { limit, cursor, ...call } = page;
    const query = { ...receiptFilterWire(filter), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) };
    return this.http.request<ReceiptList>({ method: "GET", path: "/v1/receipts", query, auth: this.auth, ...call });
  }

  async *allReceipts(filter: ReceiptFilter = {}, page: PageOptions = {}): AsyncGenerator<SignedReceipt> {
    let cursor = page.cursor;
    do {
      const r = await this.receipts(filter, { ...page, ...(cursor ? { cursor } : {}) });
      yield* r.data;
      cursor = r.next_cursor ?? undefined;
    } while (cursor);
  }

  /** The most the principal can still lose per asset, now and over horizons, its holders and findings. */
  exposure(call: CallOptions = {}): Promise<ExposureView> {
    return this.http.request<ExposureView>({ method: "GET", path: "/v1/exposure", auth: this.auth, ...call });
  }

  /** Revoke every session matching `filter`, cascading; `dryRun` answers what would be revoked and what would remain exposed. */
  revokeWhere(filter: SessionFilter, options: CallOptions & { dryRun?: boolean } = {}): Promise<BulkRevocation> {
    const { dryRun, ...call } = options;
    const body = { filter: sessionFilterWire(filter), ...(dryRun ? { dry_run: true } : {}) };
    return this.http.request<BulkRevocation>({ method: "POST", path: "/v1/sessions/revoke", body, idempotent: true, auth: this.auth, ...call });
  }

  /** A session's own switch: it and everything beneath stop (`SessionFrozenError`), apart from the principal's switch. */
  freezeSession(id: string, call: CallOptions = {}): Promise<Session> {
    return this.http.request<Session>({ method: "POST", path: `/v1/sessions/${enc(id)}/freeze`, body: {}, idempotent: true, auth: this.auth, ...call });
  }

  unfreezeSession(id: string, call: CallOptions = {}): Promise<Session> {
    return this.http.request<Session>({ method: "POST", path: `/v1/sessions/${enc(id)}/unfreeze`, body: {}, idempotent: true, auth: this.auth, ...call });
  }
}
