/**
 * One settlement run: continue the period in progress, or open one from the batches
 * sealed since the last anchor, and step its anchoring (settle.ts) as far as it goes
 * now. Every step reads the chain first and every decision is in the rows, so a run
 * after a crash or an RPC outage carries on from where the last one stopped; nothing
 * is kept in memory across an outbound call.
 */
import type { RunAction, RunTrigger, SettlementRun } from "../../src/contract/settlement";
import { cleanError, type AnchorSettings } from "../../src/core/settlement-config";
import type { AnchorClient, AnchorClientConfig } from "./anchor-client";
import { planAlarm } from "./alarm";
import { clearError, errorBackoff, noteError, RETRY_BASE_MS } from "./errors";
import { notify, sendNotices } from "./notices";
import { openPeriod, reassign, sealShards } from "./periods";
import { finalize, saveRecord } from "./records";
import { settle, type AnchorRecord, type StepResult } from "./settle";
import { openRow, periodRow, type SettlementState } from "./store";
import { view } from "./views";

/** The object's seams (tests replace them on the instance), read when the run needs them. */
export interface RunSeams {
  anchorSettings(): AnchorSettings;
  anchorClient(config: AnchorClientConfig): AnchorClient;
}

export async function runOnce(state: SettlementState, seams: RunSeams, options: { trigger: RunTrigger; seal?: boolean }): Promise<SettlementRun> {
  const { sql } = state;
  const trigger = options.trigger;
  const sealed = options.seal ? await sealShards(state) : undefined;
  const base = { object: "settlement_run" as const, trigger, ...(sealed === undefined ? {} : { sealed }) };
  const settings = seams.anchorSettings();
  if (settings.state !== "ready") {
    const row = openRow(sql);
    return { ...base, action: settings.state, detail: settings.reason, anchor: row ? view(row) : null };
  }
  const client = seams.anchorClient(settings.client);

  let row = openRow(sql);
  // Only the cron and the operator open periods; the alarm carries on what is under way
  // (so batches gather for a whole cron interval, and each interval costs one transaction).
  if (!row && trigger !== "alarm") row = await openPeriod(state, settings.client.contract);
  if (!row) {
    await sendNotices(state);
    planAlarm(state, null);
    return { ...base, action: "idle", detail: trigger === "alarm" ? "nothing under way" : "no batch sealed since the last anchor", anchor: null };
  }

  let result: StepResult | null = null;
  try {
    if (row.chain_id === null) {
      const chainId = await client.chainId();
      sql.exec("UPDATE periods SET chain_id = ? WHERE period = ?", chainId, row.period);
      row = periodRow(sql, row.period)!;
    }
    for (let i = 0; i < 4; i++) {
      let record = JSON.parse(row.record) as AnchorRecord;
      if (record.status === "conflict") {
        row = await reassign(state, client, row);
        continue;
      }
      if (record.status === "failed") {
        // Configuration trouble last time (NotOwner, ZeroRoot): try again, from the chain's point of view.
        record = { ...record, status: "new" };
        delete record.error;
        saveRecord(sql, row.period, record);
      }
      const period: number = row.period;
      // An anchored record returns at once (a crash came between persisting it and finalizing).
      result = await settle(client, record, {
        persist: (r) => saveRecord(sql, period, r),
        replaceAfterMs: settings.replaceAfterMs,
      });
      row = periodRow(sql, period)!;
      if (result.record.status !== "conflict") break;
    }
  } catch (err) {
    // Reading the chain id or the contract's last period failed: the RPC is away.
    const message = cleanError(err instanceof Error ? err.message : String(err));
    result = { record: JSON.parse(row.record) as AnchorRecord, action: "error", done: false, retryable: true, waitMs: RETRY_BASE_MS, detail: message };
  }
  result ??= { record: JSON.parse(row.record) as AnchorRecord, action: "waiting", done: false, retryable: false, waitMs: RETRY_BASE_MS };
  const step = result;
  const now = Date.now();
  let action: RunAction;
  switch (step.record.status) {
    case "anchored":
      await finalize(sql, client, row, step.record, now);
      action = "anchored";
      break;
    case "failed":
      notify(sql, row, "settlement.failed", String(row.period), { period: String(row.period), reason: cleanError(step.record.error ?? "anchoring failed") });
      action = "failed";
      break;
    default:
      if (step.action === "error") {
        action = "error";
        noteError(sql, row, cleanError(step.detail ?? step.record.error ?? "RPC error"), now);
      } else {
        clearError(sql, row.period);
        action = step.record.status === "mined" ? "confirming" : step.action === "signed" || step.action === "sent" ? step.action : "waiting";
      }
  }
  await sendNotices(state);
  const fresh = periodRow(sql, row.period)!;
  const inProgress = fresh.status !== "anchored" && fresh.status !== "failed" && fresh.status !== "superseded";
  planAlarm(state, inProgress ? now + (action === "error" ? errorBackoff(sql) : Math.max(step.waitMs, 1_000)) : null);
  return { ...base, action, ...(step.detail ? { detail: cleanError(step.detail) } : {}), anchor: view(fresh) };
}
