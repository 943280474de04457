/**
 * When the Settlement object wakes itself: at the next step of a period under way,
 * or, with nothing under way, only while notices wait to be sent. The alarm runs an
 * ordinary run, which finds out from its rows what is left, so a stale alarm is harmless.
 */
import { NOTICE_RETRY_MS, unsentNotices } from "./notices";
import type { SettlementState } from "./store";

export function planAlarm(state: SettlementState, at: number | null): void {
  if (at === null) {
    if (unsentNotices(state.sql) === 0) return;
    at = Date.now() + NOTICE_RETRY_MS;
  }
  void state.storage.setAlarm(at);
}
