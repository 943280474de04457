/**
 * The shard's timer: a batch is sealed when its oldest receipt is
 * `LEDGER_BATCH_SECONDS` old even if it never fills. One alarm, set for the oldest
 * waiting receipt and only moved earlier, so appends do not rewrite it every time.
 */
import type { Env } from "../../src/contract/env";
import { ledgerSettings } from "../../src/core/settlement-config";
import { oldestOpen } from "./seal";

/**
 * An alarm when the oldest waiting receipt falls due; none when nothing waits.
 * Returns the alarm time the object now knows of (`current` when unchanged).
 */
export function planAlarm(storage: DurableObjectStorage, env: Env, now: number, current: number | null): number | null {
  const oldest = oldestOpen(storage.sql);
  if (oldest === null) return current; // a stale alarm finds nothing to do and plans nothing
  const at = Math.max(now, oldest + ledgerSettings(env).batchSeconds * 1000);
  if (current !== null && current <= at) return current;
  void storage.setAlarm(at);
  return at;
}
