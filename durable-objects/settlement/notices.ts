/**
 * The settlement webhooks outbox: a `settlement.*` event is queued in the `notices`
 * table in the same write as the decision it reports, and handed to each principal's
 * object afterwards, so a crash or an unreachable principal delays a notice but never
 * loses it. The principal delivers once per (type, key), so sending again is harmless.
 */
import type { EventType } from "../../src/core/webhooks/events";
import { principalStub } from "../../src/contract/stubs";
import type { PeriodRow, SettlementState } from "./store";

/** How soon unsent notices are tried again. */
export const NOTICE_RETRY_MS = 30_000;

/** Queues `type` for every principal with a receipt in the period; sent (and retried) by `sendNotices`. */
export function notify(sql: SqlStorage, row: PeriodRow, type: EventType, key: string, data: Record<string, unknown>): void {
  const now = Date.now();
  for (const principal of JSON.parse(row.principals) as string[])
    sql.exec(
      "INSERT INTO notices (principal, type, key, data, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      principal,
      type,
      key,
      JSON.stringify(data),
      now,
    );
}

/** Hands queued notices to the principals' objects (idempotent there by type and key). */
export async function sendNotices(state: SettlementState): Promise<boolean> {
  const { sql, env } = state;
  const rows = sql
    .exec<{ principal: string; type: string; key: string; data: string }>("SELECT principal, type, key, data FROM notices WHERE sent = 0 ORDER BY created_at LIMIT 200")
    .toArray();
  let failed = false;
  for (const n of rows) {
    try {
      const stub = principalStub(env, n.principal);
      // Validated against the catalogue by the Principal, delivered once per (type, key).
      const out = await stub.emitEvent(n.type as EventType, JSON.parse(n.data), n.key);
      if (!out.ok) console.error(`settlement: ${n.type} for ${n.principal} refused: ${out.problem?.detail ?? "?"}`);
      sql.exec("UPDATE notices SET sent = 1 WHERE principal = ? AND type = ? AND key = ?", n.principal, n.type, n.key);
    } catch (err) {
      failed = true;
      console.error(`settlement: ${n.type} for ${n.principal} not delivered yet`, err);
    }
  }
  if (failed) void state.storage.setAlarm(Date.now() + NOTICE_RETRY_MS);
  return !failed;
}

export function unsentNotices(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT count(*) AS n FROM notices WHERE sent = 0").one().n;
}
