import { formatAmount } from "../../src/core/policy/amounts";
import { release } from "../../src/core/policy/budgets";
import { getMeta, readSession, settleHoldCounters, type StoredCounter } from "./store";
import { writeReceipt } from "./receipts";
import { receiptsDueAt } from "./receipt-outbox";
import { buildEvent, type EventData, type EventType } from "../../src/core/webhooks/events";
import { eventsDueAt } from "./event-outbox";

const THRESHOLDS = [50, 80, 100] as const;
const JTI_SWEEP_MS = 60_000;
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** Lead time of `session.expiring`. */
export const EXPIRING_LEAD_MS = 10 * 60 * 1000;

/**
 * Writes an event to the tree's outbox in the caller's transaction; the drain
 * (./events-drain.ts) sends it on. `data` is checked against the webhook catalogue.
 */
export function emitEvent<T extends EventType>(sql: SqlStorage, type: T, principal: string, data: EventData<T>, now: number): void {
  const envelope = buildEvent(type, principal, data, now);
  sql.exec("INSERT INTO events (id, type, payload, created_at) VALUES (?, ?, ?, ?)", envelope.id, type, JSON.stringify(envelope), now);
}

/** Emits `budget.threshold` for each threshold newly crossed in this window; returns the thresholds now crossed. */
export function budgetThresholdEvents(sql: SqlStorage, principal: string, c: StoredCounter, now: number): number[] {
  const crossed = new Set(c.thresholds);
  if (c.limit === 0n) return [...crossed];
  const used = c.spent + c.held;
  for (const t of THRESHOLDS) {
    if (crossed.has(t) || used * 100n < c.limit * BigInt(t)) continue;
    crossed.add(t);
    emitEvent(
      sql,
      "budget.threshold",
      principal,
      {
        session: c.session,
        tree: getMeta(sql, "tree")!,
        asset: c.asset,
        period: c.period,
        threshold: t,
        limit: formatAmount(c.limit),
        spent: formatAmount(c.spent),
        held: formatAmount(c.held),
        window_start: c.windowStart === null ? null : new Date(c.windowStart).toISOString(),
      },
      now,
    );
  }
  return [...crossed].sort((a, b) => a - b);
}

interface OpenHold {
  id: string;
  session_id: string;
  scope: string;
  asset: string;
  amount: string;
  windows: string;
  expires_at: number;
  [k: string]: SqlStorageValue;
}

/**
 * Everything time does to a tree. Idempotent: alarms are at-least-once, and each
 * step only acts on what is due and not yet done.
 */
export function runMaintenance(sql: SqlStorage, key: { kid: string; sign(message: Uint8Array): Uint8Array }, now: number): void {
  const tree = getMeta(sql, "tree");
  const principal = getMeta(sql, "principal");
  if (!tree || !principal) return;

  // Holds past their expiry give their reservation back, with a receipt and an event.
  const due = sql.exec<OpenHold>("SELECT * FROM holds WHERE status = 'open' AND expires_at <= ?", now).toArray();
  for (const h of due) {
    settleHoldCounters(sql, h, (c) => release(c, BigInt(h.amount)));
    sql.exec("UPDATE holds SET status = 'expired', closed_at = ? WHERE id = ?", now, h.id);
    const session = readSession(sql, h.session_id);
    writeReceipt(
      sql,
      key,
      { id: tree, principal },
      {
        kind: "void",
        session: h.session_id,
        path: session?.path ?? [h.session_id],
        scope: h.scope,
        asset: h.asset,
        amount: h.amount,
        request_digest: null,
        reason: "hold-expired",
        hold: h.id,
      },
      now,
    );
    emitEvent(
      sql,
      "hold.expired",
      principal,
      { hold: h.id, session: h.session_id, tree, asset: h.asset, amount: h.amount, expired_at: new Date(h.expires_at).toISOString() },
      now,
    );
  }

  // Session lifetime events, once each.
  const expiring = sql
    .exec<{ id: string; expires_at: number; expiry_notified: number }>(
      "SELECT id, expires_at, expiry_notified FROM sessions WHERE status = 'active' AND expiry_notified < 2 AND expires_at - ? <= ?",
      EXPIRING_LEAD_MS,
      now,
    )
    .toArray();
  for (const s of expiring) {
    const expired = now >= s.expires_at;
    if (s.expiry_notified < 1 && !expired)
      emitEvent(
        sql,
        "session.expiring",
        principal,
        { session: s.id, tree, expires_at: new Date(s.expires_at).toISOString(), lead_seconds: Math.max(0, Math.round((s.expires_at - now) / 1000)) },
        now,
      );
    if (expired) emitEvent(sql, "session.expired", principal, { session: s.id, tree, expired_at: new Date(s.expires_at).toISOString() }, now);
    sql.exec("UPDATE sessions SET expiry_notified = ? WHERE id = ?", expired ? 2 : 1, s.id);
  }

  sql.exec("DELETE FROM jti WHERE expires_at <= ?", now);
  sql.exec("DELETE FROM idempotency WHERE created_at <= ?", now - IDEMPOTENCY_TTL_MS);
}

/** The earliest moment anything above becomes due. */
export function nextAlarmAt(sql: SqlStorage, now: number): number | null {
  const candidates: number[] = [];
  const hold = sql.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM holds WHERE status = 'open'").one().t;
  if (hold !== null) candidates.push(hold);
  const jti = sql.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM jti").one().t;
  if (jti !== null) candidates.push(Math.max(jti, now + JTI_SWEEP_MS));
  const expiring = sql
    .exec<{ t: number | null }>(
      "SELECT min(CASE WHEN expiry_notified = 0 THEN expires_at - ? ELSE expires_at END) AS t FROM sessions WHERE status = 'active' AND expiry_notified < 2",
      EXPIRING_LEAD_MS,
    )
    .one().t;
  if (expiring !== null) candidates.push(expiring);
  const idem = sql.exec<{ t: number | null }>("SELECT min(created_at) AS t FROM idempotency").one().t;
  if (idem !== null) candidates.push(Math.max(idem + IDEMPOTENCY_TTL_MS, now + JTI_SWEEP_MS));
  const receipts = receiptsDueAt(sql, now); // unshipped receipts: now, or after the drain's backoff
  if (receipts !== null) candidates.push(receipts);
  const events = eventsDueAt(sql, now);
  if (events !== null) candidates.push(events);


  if (candidates.length === 0) return null;
  return Math.max(Math.min(...candidates), now);
}
