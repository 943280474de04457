/**
 * The settlement log: one JSON line per step of a run (seal, open, each anchoring step,
 * finalize, delayed), for Workers Logs. Fields are numbers, hashes and cleaned messages
 * only: never the RPC URL or the key (errors pass through `cleanError`).
 */
import { cleanError } from "../../src/core/settlement-config";
import type { RunTrigger } from "../../src/contract/settlement";

export interface SettlementLogLine {
  level?: "info" | "warn" | "error";
  trigger: RunTrigger;
  step: string;
  period?: number | null;
  count?: number | null;
  tx?: string | null;
  nonce?: number | null;
  gas_used?: string | null;
  confirmations?: number | null;
  /** Seconds since the period opened (or, before one opens, since the oldest batch waited). */
  lag_s?: number | null;
  error?: string;
  duration_ms: number;
}

export function logStep(line: SettlementLogLine): void {
  const { level = "info", error, ...rest } = line;
  const out = {
    msg: "settlement",
    level,
    trigger: rest.trigger,
    step: rest.step,
    period: rest.period ?? null,
    count: rest.count ?? null,
    tx: rest.tx ?? null,
    nonce: rest.nonce ?? null,
    gas_used: rest.gas_used ?? null,
    confirmations: rest.confirmations ?? null,
    lag_s: rest.lag_s ?? null,
    ...(error === undefined ? {} : { error: cleanError(error) }),
    duration_ms: rest.duration_ms,
  };
  console.log(JSON.stringify(out));
}
