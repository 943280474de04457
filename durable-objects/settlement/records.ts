/**
 * Persisting the anchoring state machine (settle.ts) in the period row: the record
 * is written before every broadcast, and an anchored period is finalized (status,
 * gas, webhooks queued) in one write, so a crash in between is finished by the next run.
 */
import { cleanError } from "../../src/core/settlement-config";
import { deleteMeta } from "../shared/meta";
import type { AnchorClient } from "./anchor-client";
import { notify } from "./notices";
import type { AnchorRecord } from "./settle";
import { periodRow, type PeriodRow } from "./store";

/**
 * Persists the record (settle.ts calls this before every broadcast). An anchored
 * record leaves the row "landed" until `finalize` has recorded it and queued the
 * webhooks, so a crash in between is finished by the next run.
 */
export function saveRecord(sql: SqlStorage, period: number, record: AnchorRecord): void {
  const status = record.status === "anchored" ? "landed" : record.status;
  if (record.error !== undefined) record = { ...record, error: cleanError(record.error) };
  sql.exec("UPDATE periods SET record = ?, status = ? WHERE period = ?", JSON.stringify(record), status, period);
}

export async function finalize(sql: SqlStorage, client: AnchorClient, row: PeriodRow, record: AnchorRecord, now: number): Promise<void> {
  let gasUsed: string | null = null;
  try {
    if (record.tx) {
      const tx = await client.checkTransaction(record.tx);
      if (tx.state === "mined") gasUsed = tx.gasUsed.toString();
    }
  } catch {
    // informational only
  }
  sql.exec(
    "UPDATE periods SET status = 'anchored', anchored_at = coalesce(anchored_at, ?), error_since = NULL, gas_used = coalesce(?, gas_used) WHERE period = ?",
    now,
    gasUsed,
    row.period,
  );
  deleteMeta(sql, "errors");
  const fresh = periodRow(sql, row.period)!;
  notify(sql, fresh, "settlement.anchored", String(row.period), {
    period: String(row.period),
    root: record.root,
    count: record.count,
    tx_hash: record.tx!,
    chain_id: fresh.chain_id!,
    contract: fresh.contract,
  });
}
