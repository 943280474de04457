/**
 * One settlement run: continue the period in progress, or open one from the batches
 * sealed since the last anchor, and step its anchoring (settle.ts) as far as it goes
 * now. Every step reads the chain first and every decision is in the rows, so a run
 * after a crash or an RPC outage carries on from where the last one stopped; nothing
 * is kept in memory across an outbound call.
 */
import type { RunAction, RunTrigger, SettlementRun } from "../../src/contract/settlement";
import { cleanError, confirmationAllowanceMs, nextOpening, scheduleSettings, slotOf, type AnchorSettings, type ScheduleSettings } from "../../src/core/settlement-config";
import { getMeta } from "../shared/meta";
import { logStep } from "./log";
import type { AnchorClient, AnchorClientConfig } from "./anchor-client";
import { planAlarm } from "./alarm";
import { clearError, errorBackoff, noteError, RETRY_BASE_MS } from "./errors";
import { notify, sendNotices } from "./notices";
import { openPeriod, reassign, sealShards } from "./periods";
import { finalize, saveRecord } from "./records";
import { settle, type AnchorRecord, type StepResult } from "./settle";
import { openRow, periodRow, type PeriodRow, type SettlementState } from "./store";
import { view } from "./views";

/** The object's seams (tests replace them on the instance), read when the run needs them. */
export interface RunSeams {
  anchorSettings(): AnchorSettings;
  anchorClient(config: AnchorClientConfig): AnchorClient;
}

export async function runOnce(state: SettlementState, seams: RunSeams, options: { trigger: RunTrigger; seal?: boolean }): Promise<SettlementRun> {
  const { sql } = state;
  const trigger = options.trigger;
  const schedule = scheduleSettings(state.env);
  let sealed = options.seal ? await sealStep(state, trigger) : undefined;
  const base = () => ({ object: "settlement_run" as const, trigger, ...(sealed === undefined ? {} : { sealed }) });
  const settings = seams.anchorSettings();
  if (settings.state !== "ready") {
    const row = openRow(sql);
    return { ...base(), action: settings.state, detail: settings.reason, anchor: row ? view(row) : null };
  }
  const client = seams.anchorClient(settings.client);

  let row = openRow(sql);
  // Only the cron and the operator open periods; the alarm carries on what is under way.
  // The cron opens at most one period per SETTLEMENT_INTERVAL_SECONDS slot (so each interval
  // costs one transaction), however often it fires, and first asks the shards to seal what
  // they hold, so a receipt waits for the next slot only, not also for its batch's age.
  let idleDetail = trigger === "alarm" ? "nothing under way" : "no batch sealed since the last anchor";
  if (!row && trigger !== "alarm") {
    const now = Date.now();
    const openedAt = lastOpenedAt(sql);
    if (trigger === "cron" && openedAt !== null && slotOf(now, schedule.intervalSeconds) <= slotOf(openedAt, schedule.intervalSeconds)) {
      idleDetail = `a period opened in this interval; the next opens from ${new Date(nextOpening(openedAt, schedule.intervalSeconds)).toISOString()}`;
    } else {
      if (trigger === "cron" && sealed === undefined) sealed = await sealStep(state, trigger);
      const started = Date.now();
      row = await openPeriod(state, settings.client.contract);
      if (row) logStep({ trigger, step: "open", period: row.period, count: row.count, lag_s: 0, duration_ms: Date.now() - started });
    }
  }
  if (!row) {
    await sendNotices(state);
    planAlarm(state, null);
    return { ...base(), action: "idle", detail: idleDetail, anchor: null };
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
      const openedAt = row.created_at;
      result = await settle(client, record, {
        persist: (r) => saveRecord(sql, period, r),
        replaceAfterMs: settings.replaceAfterMs,
        onStep: (s, ms) =>
          logStep({
            level: s.action === "error" || s.action === "failed" || s.action === "conflict" ? (s.retryable ? "warn" : "error") : "info",
            trigger,
            step: s.action,
            period,
            count: s.record.count,
            tx: s.record.tx ?? s.record.hash ?? null,
            nonce: s.record.nonce ?? null,
            confirmations: s.record.confirmations ?? null,
            lag_s: Math.round((Date.now() - openedAt) / 1000),
            ...(s.action === "error" || s.action === "failed" || s.action === "conflict" ? { error: s.detail ?? s.record.error ?? s.action } : {}),
            duration_ms: ms,
          }),
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
    case "anchored": {
      const started = Date.now();
      await finalize(sql, client, row, step.record, now);
      const done = periodRow(sql, row.period)!;
      logStep({
        trigger,
        step: "finalize",
        period: row.period,
        count: row.count,
        tx: step.record.tx ?? null,
        nonce: step.record.nonce ?? null,
        gas_used: done.gas_used,
        confirmations: step.record.confirmations ?? null,
        lag_s: Math.round((now - row.created_at) / 1000),
        duration_ms: Date.now() - started,
      });
      action = "anchored";
      break;
    }
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
  const fresh = periodRow(sql, row.period)!;
  noteDelay(sql, fresh, schedule, trigger, now);
  await sendNotices(state);
  const inProgress = fresh.status !== "anchored" && fresh.status !== "failed" && fresh.status !== "superseded";
  planAlarm(state, inProgress ? now + (action === "error" ? errorBackoff(sql) : Math.max(step.waitMs, 1_000)) : null);
  return { ...base(), action, ...(step.detail ? { detail: cleanError(step.detail) } : {}), anchor: view(fresh) };
}

/** When the last period opened (ms), or null before the first. */
function lastOpenedAt(sql: SqlStorage): number | null {
  const raw = getMeta(sql, "opened_at");
  if (raw !== null) return Number(raw);
  const t = sql.exec<{ t: number | null }>("SELECT max(created_at) AS t FROM periods").one().t;
  return t ?? null;
}

async function sealStep(state: SettlementState, trigger: RunTrigger): Promise<number> {
  const started = Date.now();
  const sealed = await sealShards(state);
  logStep({ trigger, step: "seal", count: sealed, duration_ms: Date.now() - started });
  return sealed;
}

/**
 * A period still not anchored more than one interval after it should have been (its
 * opening + the confirmation allowance) is `settlement.delayed`, once per period.
 */
function noteDelay(sql: SqlStorage, row: PeriodRow, schedule: ScheduleSettings, trigger: RunTrigger, now: number): void {
  if (row.status === "anchored" || row.status === "superseded") return;
  const due = row.created_at + confirmationAllowanceMs(schedule.confirmations);
  const late = now - due;
  if (late <= schedule.intervalSeconds * 1000) return;
  const record = JSON.parse(row.record) as AnchorRecord;
  const stage = row.status === "failed" ? "failed" : record.status;
  notify(sql, row, "settlement.delayed", `${row.period}:delayed`, {
    period: String(row.period),
    late_seconds: Math.round(late / 1000),
    expected_by: new Date(due).toISOString(),
    stage,
  });
  logStep({ level: "warn", trigger, step: "delayed", period: row.period, count: row.count, lag_s: Math.round((now - row.created_at) / 1000), duration_ms: 0 });
}
