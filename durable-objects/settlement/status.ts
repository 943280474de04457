/**
 * The operator's view of settlement: whether anchoring is configured, the period
 * under way with its record's details, each shard's cursor beside the shard's own
 * stats, and how many notices wait. A shard that does not answer shows as null.
 */
import type { SettlementStatus } from "../../src/contract/settlement";
import { ledgerStub } from "../../src/contract/stubs";
import type { AnchorSettings } from "../../src/core/settlement-config";
import { unsentNotices } from "./notices";
import type { AnchorRecord } from "./settle";
import { cursor, lastPeriod, openRow, shardCount, type SettlementState } from "./store";
import { view } from "./views";

export async function status(state: SettlementState, settings: AnchorSettings): Promise<SettlementStatus> {
  const { sql, env } = state;
  const row = openRow(sql);
  const record = row ? (JSON.parse(row.record) as AnchorRecord) : null;
  const shards = shardCount(sql, env);
  const ledgers = await Promise.all(
    Array.from({ length: shards }, (_, s) =>
      ledgerStub(env, s)
        .stats(s)
        .catch(() => null),
    ),
  );
  return {
    object: "settlement_status",
    anchoring:
      settings.state === "ready"
        ? { state: "ready", contract: settings.client.contract, confirmations: settings.client.confirmations }
        : { state: settings.state, reason: settings.reason },
    last_period: lastPeriod(sql),
    current:
      row && record
        ? {
            ...view(row),
            attempts: record.attempts ?? 0,
            hashes: record.hashes ?? [],
            nonce: record.nonce ?? null,
            error: record.error ?? null,
            record_status: record.status,
          }
        : null,
    shards: ledgers.map((ledger, shard) => ({ shard, next_batch: cursor(sql, shard), ledger })),
    unsent_notices: unsentNotices(sql),
  };
}
