/** Stubs of the settlement's Durable Objects: ledger shards by number, the one Settlement. */
import type { Env } from "./env";
import { shardName } from "../core/settlement-config";
import { treeKey } from "../core/tree-ids";

export function ledgerStub(env: Env, shard: number) {
  return env.LEDGER.get(env.LEDGER.idFromName(shardName(shard)));
}

/** The singleton that folds sealed batches into periods and anchors them. */
export function settlementStub(env: Env) {
  return env.SETTLEMENT.get(env.SETTLEMENT.idFromName("settlement"));
}

/** The object of the tree that holds `anyIdInTree` (a tree, session, receipt, hold or approval id carries its key). */
export function treeStub(env: Env, anyIdInTree: string) {
  return env.SESSION_TREE.get(env.SESSION_TREE.idFromName(treeKey(anyIdInTree)));
}

export function principalStub(env: Env, principal: string) {
  return env.PRINCIPAL.get(env.PRINCIPAL.idFromName(principal));
}
