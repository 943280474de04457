// Holds the contract's Env (src/contract/env.ts, hand-written, typed through RPC interfaces) to
// the Env `wrangler types` generates from wrangler.toml (test/types/worker-configuration.d.ts):
// every binding and var the config declares, in any environment, must exist in the contract with a
// type the runtime value satisfies. So a binding renamed or retyped in wrangler.toml (and the
// file regenerated, which `npm run types:check` enforces) breaks this compile, naming the key.
// Compiled by `tsc --noEmit -p test/types` (run by `npm run deploy:check`) and by the root tsconfig.
import type { Env } from "../../src/contract/env";

/** Fails to compile with the offending keys in the message when `Keys` is not `never`. */
type NoneOf<Keys extends never> = Keys;

/** Keys of a generated Env the contract lacks. */
type MissingFrom<Generated> = Exclude<keyof Generated, keyof Env>;
/** Keys whose generated (runtime) type the contract's type does not accept. */
type Incompatible<Generated> = {
  [K in keyof Generated & keyof Env]-?: Exclude<Generated[K], undefined> extends Exclude<Env[K], undefined> ? never : K;
}[keyof Generated & keyof Env];

// The top level (local/dev, tests) and each [env.*] section.
export type TopLevelMissing = NoneOf<MissingFrom<GeneratedEnv>>;
export type TopLevelIncompatible = NoneOf<Incompatible<GeneratedEnv>>;
export type StagingMissing = NoneOf<MissingFrom<Cloudflare.StagingEnv>>;
export type StagingIncompatible = NoneOf<Incompatible<Cloudflare.StagingEnv>>;
export type ProductionMissing = NoneOf<MissingFrom<Cloudflare.ProductionEnv>>;
export type ProductionIncompatible = NoneOf<Incompatible<Cloudflare.ProductionEnv>>;

// Positive control: the checks bite. A binding the contract lacks is named...
// @ts-expect-error NOT_IN_THE_CONTRACT is not a key of Env
export type ControlMissing = NoneOf<MissingFrom<{ NOT_IN_THE_CONTRACT: string }>>;
// ...and so is one whose type the contract does not accept.
// @ts-expect-error a queue is not a string
export type ControlIncompatible = NoneOf<Incompatible<{ LEDGER_SHARDS: Queue }>>;
