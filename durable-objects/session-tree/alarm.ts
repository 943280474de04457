/**
 * Everything time does to a tree, run on its alarm, and when the alarm must next fire:
 * holds expire, sessions announce their expiry, the replay cache and idempotency
 * records are swept, and the outboxes are due.
 */
import { approvalsDueAt } from "./approvals";
import { eventsDueAt, emitEvent } from "./event-outbox";
import { expireDueHolds } from "./holds";
import { IDEMPOTENCY_TTL_MS } from "./idempotency";
import { receiptsDueAt } from "./receipt-outbox";
import { getMeta, setExpiryNotified } from "./store";
import { leasesDueAt } from "./lease-grants";
import { holdsUnused, lastUsedAt } from "./lease-holder";
import { LEASE_IDLE_MS } from "../../src/core/policy/lease";

/** An alarm that would only sweep the replay cache or idempotency records comes no sooner than this. */
const JTI_SWEEP_MS = 60_000;
/** Lead time of `session.expiring`. */
export const EXPIRING_LEAD_MS = 10 * 60 * 1000;

/**
 * Everything time does to a tree, in the caller's transaction. Idempotent: alarms are
 * at-least-once, and each step only acts on what is due and not yet done.
 */
export function runMaintenance(sql: SqlStorage, key: { kid: string; sign(message: Uint8Array): Uint8Array }, now: number): void {
  const tree = getMeta(sql, "tree");
  const principal = getMeta(sql, "principal");
  if (!tree || !principal) return;

  // Holds past their expiry give their reservation back, with a receipt and an event.
  expireDueHolds(sql, key, { id: tree, principal }, now);

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
    setExpiryNotified(sql, s.id, expired ? 2 : 1);
  }

  sql.exec("DELETE FROM jti WHERE expires_at <= ?", now);
  sql.exec("DELETE FROM idempotency WHERE created_at <= ?", now - IDEMPOTENCY_TTL_MS);
}

/** The earliest moment anything above becomes due. */
export function nextAlarmAt(sql: SqlStorage, now: number): number | null {
  const candidates: number[] = [];
  const hold = sql.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM holds WHERE status = 'open'").one().t;
  if (hold !== null) candidates.push(hold);
  const approval = approvalsDueAt(sql);
  if (approval !== null) candidates.push(approval);
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
  if (getMeta(sql, "lease_parent") === null) {
    const leases = leasesDueAt(sql, now); // placements and revocations to push, lapsed leases to settle
    if (leases !== null) candidates.push(leases);
  } else if (holdsUnused(sql, now)) candidates.push((lastUsedAt(sql) ?? now) + LEASE_IDLE_MS); // an idle lease gives back what it holds
  if (candidates.length === 0) return null;
  return Math.max(Math.min(...candidates), now);
}
