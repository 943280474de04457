/** The operator's client: bootstrap principals and drive settlement with the operator token. */
import { HttpClient, type CallOptions, type ClientOptions } from "./http";
import type { Anchor, Principal } from "./types";

export interface RemitOperatorOptions extends ClientOptions {
  /** REMIT_ADMIN_TOKEN. */
  adminToken: string;
}

export interface NewPrincipal {
  principal: Principal;
  /** Its first API key, shown once. */
  api_key: string;
}

export interface SettlementRun {
  object: "settlement_run";
  trigger: "cron" | "admin" | "alarm";
  action: "anchored" | "confirming" | "waiting" | "sent" | "signed" | "error" | "failed" | "idle" | "disabled" | "misconfigured";
  detail?: string;
  anchor: Anchor | null;
  sealed?: number;
}

/** The operator of a deployment: bootstraps principals, runs the settlement on demand. */
export class RemitOperator {
  private readonly http: HttpClient;
  private readonly auth: () => Record<string, string>;

  constructor(options: RemitOperatorOptions) {
    if (!options.adminToken) throw new TypeError("adminToken is required");
    this.http = new HttpClient(options);
    this.auth = () => ({ authorization: `Bearer ${options.adminToken}` });
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /**
   * A new principal and its first API key. The service takes no Idempotency-Key here,
   * so this call is never retried once it may have reached the service.
   */
  createPrincipal(input: { name: string; maxSessionSeconds?: number }, call?: CallOptions): Promise<NewPrincipal> {
    return this.http.request<NewPrincipal>({
      method: "POST",
      path: "/v1/principals",
      body: { name: input.name, ...(input.maxSessionSeconds !== undefined ? { max_session_seconds: input.maxSessionSeconds } : {}) },
      auth: this.auth,
      once: true,
      ...call,
    });
  }

  /** Runs the settlement now: seal the ledger shards, fold sealed batches into a period, anchor it as far as it goes. */
  settle(options: { seal?: boolean } & CallOptions = {}): Promise<SettlementRun> {
    const { seal, ...call } = options;
    return this.http.request<SettlementRun>({ method: "POST", path: "/v1/admin/settle", body: seal === undefined ? {} : { seal }, auth: this.auth, ...call });
  }

  /** The settlement's state: the period in progress, shard cursors, ledger heads. */
  settlementStatus(call?: CallOptions): Promise<{ object: "settlement_status"; [member: string]: unknown }> {
    return this.http.request({ method: "GET", path: "/v1/admin/settlement", auth: this.auth, ...call });
  }
}
