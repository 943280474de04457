/** Stubs of the settlement's Durable Objects: ledger shards by number, the one Settlement. */
import type { Env } from "./env";
import { shardName } from "../core/settlement-config";

export function ledgerStub(env: Env, shard: number) {
  return env.LEDGER.get(env.LEDGER.idFromName(shardName(shard)));
}

/** The singleton that folds sealed batches into periods and anchors them. */
export function settlementStub(env: Env) {
  return env.SETTLEMENT.get(env.SETTLEMENT.idFromName("settlement"));
}
