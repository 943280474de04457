import type { Env as RemitEnv } from "../src/contract/env";

// `env` from "cloudflare:workers" in tests carries the worker's bindings.
declare global {
  namespace Cloudflare {
    interface Env extends RemitEnv {}
  }
}
