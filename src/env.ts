import type { SessionTree } from "../durable-objects/session-tree";
import type { Principal } from "../durable-objects/principal";

/** Bindings and secrets of the worker (wrangler.toml, `wrangler secret put`, `.dev.vars`). */
export interface Env {
  SESSION_TREE: DurableObjectNamespace<SessionTree>;
  PRINCIPAL: DurableObjectNamespace<Principal>;
  /** Operator token that bootstraps principals. */
  REMIT_ADMIN_TOKEN: string;
  /** base64url Ed25519 seed (32 bytes) of the current service key. */
  REMIT_SIGNING_KEY: string;
  /** The previous service key, still published so live tokens keep verifying after rotation. */
  REMIT_SIGNING_KEY_PREVIOUS?: string;
  /** Public base URL: token issuer and base of problem `type` URLs. Defaults to the request origin. */
  REMIT_BASE_URL?: string;
  /** Accepted DPoP `iat` skew, seconds (default 60). */
  DPOP_IAT_WINDOW_SECONDS?: string;
  /** `development` allows http:// loopback webhook targets. */
  REMIT_ENV?: string;
}
