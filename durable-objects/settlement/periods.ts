/**
 * Folding sealed batches into periods. Taking the batches, fixing the root and
 * advancing the cursors is one transaction, so each sealed batch belongs to exactly
 * one period; when the chain already holds another root under a period number, the
 * same batches move to the next free number in one transaction too.
 */
import { fromHex } from "../../src/core/encoding";
import { ANCHOR_ABI } from "../../src/core/receipts/anchor-artifact";
import { periodTree } from "../../src/core/receipts/period";
import type { SealedBatch } from "../../src/contract/settlement";
import { ledgerStub } from "../../src/contract/stubs";
import { setMeta } from "../shared/meta";
import type { AnchorClient } from "./anchor-client";
import { newAnchorRecord, type AnchorRecord } from "./settle";
import { cursor, lastPeriod, periodRow, shardCount, type BatchRef, type PeriodRow, type SettlementState } from "./store";

/** Opens the next period from every shard's sealed batches after its cursor; null when there are none. */
export async function openPeriod(state: SettlementState, contract: string): Promise<PeriodRow | null> {
  const { sql, env } = state;
  const shards = shardCount(sql, env);
  const collected: SealedBatch[] = [];
  const cursors = new Map<number, number>();
  for (let s = 0; s < shards; s++) {
    let from = cursor(sql, s);
    try {
      for (let page = 0; page < 100; page++) {
        const listing = await ledgerStub(env, s).sealedBatches(s, from);
        collected.push(...listing.batches);
        from = listing.next;
        if (!listing.more) break;
      }
    } catch (err) {
      // This shard's batches wait for a later period; the others need not.
      console.error(`settlement: ledger shard ${s} did not answer`, err);
    }
    cursors.set(s, from);
  }
  if (collected.length === 0) return null;
  collected.sort((a, b) => a.shard - b.shard || a.index - b.index);
  const tree = periodTree(collected.map((b) => fromHex(b.root)));
  const count = collected.reduce((n, b) => n + b.size, 0);
  const principals = [...new Set(collected.flatMap((b) => b.principals))].sort();
  const refs: BatchRef[] = collected.map((b) => [b.shard, b.index, b.root, b.size]);
  const now = Date.now();
  return state.storage.transactionSync(() => {
    const period: number = lastPeriod(sql) + 1;
    const record = newAnchorRecord(period, tree.root, count);
    sql.exec(
      "INSERT INTO periods (period, root, count, batches, principals, record, status, contract, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      period,
      record.root,
      count,
      JSON.stringify(refs),
      JSON.stringify(principals),
      JSON.stringify(record),
      record.status,
      contract,
      now,
    );
    for (const [position, [shard, index]] of refs.entries())
      sql.exec("INSERT INTO batch_periods (shard, batch, period, position) VALUES (?, ?, ?, ?)", shard, index, period, position);
    for (const [shard, next] of cursors)
      sql.exec("INSERT INTO cursors (shard, next_batch) VALUES (?, ?) ON CONFLICT DO UPDATE SET next_batch = excluded.next_batch", shard, next);
    setMeta(sql, "last_period", String(period));
    setMeta(sql, "opened_at", String(now));
    state.trees.set(period, tree);
    return periodRow(sql, period)!;
  });
}

/** The chain holds another root for this period number: the same batches move to the next free one. */
export async function reassign(state: SettlementState, client: AnchorClient, row: PeriodRow): Promise<PeriodRow> {
  const { sql } = state;
  const onChain = await client.publicClient.readContract({ address: client.contract, abi: ANCHOR_ABI, functionName: "lastPeriod" });
  const record = JSON.parse(row.record) as AnchorRecord;
  console.error(`settlement: period ${row.period} already holds ${record.conflictRoot ?? "another root"} on chain; moving its batches on`);
  return state.storage.transactionSync(() => {
    const next = Math.max(lastPeriod(sql), Number(onChain), row.period) + 1;
    const fresh = newAnchorRecord(next, record.root, record.count);
    sql.exec("UPDATE periods SET status = 'superseded', superseded_by = ? WHERE period = ?", next, row.period);
    sql.exec(
      "INSERT INTO periods (period, root, count, batches, principals, record, status, contract, chain_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      next,
      row.root,
      row.count,
      row.batches,
      row.principals,
      JSON.stringify(fresh),
      fresh.status,
      row.contract,
      row.chain_id,
      Date.now(),
    );
    sql.exec("UPDATE batch_periods SET period = ? WHERE period = ?", next, row.period);
    setMeta(sql, "last_period", String(next));
    state.trees.delete(row.period);
    return periodRow(sql, next)!;
  });
}

/** Asks every shard to seal what waits (the operator's settle); a shard that does not answer is skipped. */
export async function sealShards(state: SettlementState): Promise<number> {
  const shards = shardCount(state.sql, state.env);
  // Summed after the fact: `sealed += await …` would read the total before the await and lose counts.
  const counts = await Promise.all(
    Array.from({ length: shards }, async (_, s) => {
      try {
        return (await ledgerStub(state.env, s).seal(s)).sealed.length;
      } catch (err) {
        console.error(`settlement: ledger shard ${s} did not seal`, err);
        return 0;
      }
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}
