/** The worker's bindings, vars and secrets, typed through the objects' RPC interfaces. */
import type { SettlementVars } from "../core/settlement-config";
import type { WebhookMessage } from "../core/webhooks/queue";
import type { LedgerRpc, PrincipalRpc, SessionTreeRpc, SettlementRpc } from "./rpc";

/**
 * Bindings and secrets of the worker (wrangler.toml, `wrangler secret put`, `.dev.vars`).
 * Objects are typed by their RPC interfaces, never their classes, so the edge needs no object file.
 */
export interface Env extends SettlementVars {
  SESSION_TREE: DurableObjectNamespace<SessionTreeRpc>;
  PRINCIPAL: DurableObjectNamespace<PrincipalRpc>;
  /** Ledger shards (`shard-<n>`): receipts from tree outboxes, Merkle log, sealed batches. */
  LEDGER: DurableObjectNamespace<LedgerRpc>;
  /** The one settlement engine (`settlement`): periods and their anchors. */
  SETTLEMENT: DurableObjectNamespace<SettlementRpc>;
  /** Tree size caps, read by src/core/policy/caps.ts (defaults there and in wrangler.toml). */
  REMIT_MAX_CHILDREN_PER_SESSION?: string;
  REMIT_MAX_SESSIONS_PER_TREE?: string;
  REMIT_MAX_SCOPES_PER_SESSION?: string;
  REMIT_MAX_SCOPE_LENGTH?: string;
  /** Operator token that bootstraps principals. */
  REMIT_ADMIN_TOKEN: string;
  /**
   * Secret keying the checksum of API keys (src/core/auth/api-keys.ts). Optional: unset, the
   * checksum is keyed by REMIT_ADMIN_TOKEN, so rotating that token invalidates every API key.
   */
  REMIT_API_KEY_SECRET?: string;
  /** base64url Ed25519 seed (32 bytes) of the current service key. */
  REMIT_SIGNING_KEY: string;
  /** The previous service key, still published so live tokens keep verifying after rotation. */
  REMIT_SIGNING_KEY_PREVIOUS?: string;
  /** Public base URL: token issuer and base of problem `type` URLs. Defaults to the request origin. */
  REMIT_BASE_URL?: string;
  /** Accepted DPoP `iat` skew, seconds (default 60). */
  DPOP_IAT_WINDOW_SECONDS?: string;
  /** Decimals of assets beyond ISO 4217, `USDC:6,ETH:18` (src/core/policy/money.ts; served at GET /v1/assets). */
  ASSET_DECIMALS?: string;
  /** `development` allows http:// loopback webhook targets. */
  REMIT_ENV?: string;
  /** Webhook deliveries, one message each (queue `remit-webhooks`). */
  WEBHOOKS?: Queue<WebhookMessage>;
  /** The webhook dead-letter queue (`remit-webhooks-dlq`), for a last attempt the queue itself would not dead-letter. */
  WEBHOOKS_DLQ?: Queue<WebhookMessage>;
  /** "off": no per-request log line (src/middleware/request-log.ts); the workers test project sets it. */
  REMIT_REQUEST_LOG?: string;
  /** Tests only: shrinks the webhook retry schedule by this factor (e.g. `0.0001`); unset in production. */
  WEBHOOK_RETRY_SCALE?: string;
  /** Test-only knobs (vitest bindings): property-test run counts and seed. */
  TEST_RACE_RUNS?: string;
  TEST_FUZZ_RUNS?: string;
  TEST_SEED?: string;
}
