/** The unauthenticated client: anchors, keys and assets, which anyone may read. */
import { enc } from "./common";
import { HttpClient, type CallOptions, type ClientOptions } from "./http";
import type { Anchor, Jwks, Page } from "./types";

/** One asset of the service's table (`GET /v1/assets`). */
export interface AssetInfo {
  asset: string;
  /** 10^decimals minor units make one major unit. */
  decimals: number;
  /** Written before the number (`$`), when the asset has one. */
  symbol?: string;
}

/** The service's public surface: no credentials. */
export class RemitClient {
  private readonly http: HttpClient;

  constructor(options: ClientOptions) {
    this.http = new HttpClient(options);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** The service keys that sign session tokens and receipts (current and previous). */
  jwks(call?: CallOptions): Promise<Jwks> {
    return this.http.request<Jwks>({ method: "GET", path: "/.well-known/jwks.json", ...call });
  }

  /** Anchored period roots with their transactions. */
  async anchors(call?: CallOptions): Promise<Anchor[]> {
    const page = await this.http.request<Page<Anchor> | Anchor[]>({ method: "GET", path: "/v1/anchors", ...call });
    return Array.isArray(page) ? page : page.data;
  }

  anchor(period: number | string, call?: CallOptions): Promise<Anchor> {
    return this.http.request<Anchor>({ method: "GET", path: `/v1/anchors/${enc(String(period))}`, ...call });
  }

  /** The asset table: decimals (and symbols) of ISO 4217 currencies and the configured assets. */
  async assets(call?: CallOptions): Promise<AssetInfo[]> {
    return (await this.http.request<Page<AssetInfo>>({ method: "GET", path: "/v1/assets", ...call })).data;
  }

  async healthy(call?: CallOptions): Promise<boolean> {
    const r = await this.http.request<{ ok?: boolean }>({ method: "GET", path: "/healthz", ...call });
    return r?.ok === true;
  }
}
