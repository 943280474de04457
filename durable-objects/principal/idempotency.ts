/**
 * Idempotency of principal calls: with an Idempotency-Key, the work runs at most
 * once. A completed key replays its stored outcome, a key still in flight is refused
 * with 409, the same key with another body with 422. A validation failure is not
 * stored, so the caller can fix the request and retry under the same key.
 */
import { problem, refused, type Outcome } from "../../src/core/errors";
import type { Idempotency, PrincipalResult } from "../../src/contract/principal";

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** An in-flight record older than this is taken to have died with its request. */
const IN_FLIGHT_STALE_MS = 60_000;

export async function once<T>(sql: SqlStorage, idem: Idempotency | null, fn: () => Outcome<T> | Promise<Outcome<T>>): Promise<PrincipalResult<T>> {
  if (!idem) return { outcome: await fn() };
  const now = Date.now();
  const existing = sql
    .exec<{ fingerprint: string; state: string; response: string | null; created_at: number }>(
      "SELECT fingerprint, state, response, created_at FROM idempotency WHERE key = ? AND created_at > ?",
      idem.key,
      now - IDEMPOTENCY_TTL_MS,
    )
    .toArray()[0];
  if (existing) {
    if (existing.fingerprint !== idem.fingerprint)
      return { outcome: refused(problem("idempotency-key-reused", "this Idempotency-Key was used with a different request", { idempotency_key: idem.key })) };
    if (existing.state === "done") return { outcome: JSON.parse(existing.response!) as Outcome<T>, replayed: true };
    if (now - existing.created_at < IN_FLIGHT_STALE_MS)
      return { outcome: refused(problem("idempotency-in-flight", "a request with this Idempotency-Key is still being processed", { idempotency_key: idem.key })) };
  }
  sql.exec(
    "INSERT INTO idempotency (key, fingerprint, state, created_at) VALUES (?, ?, 'in_flight', ?) ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'in_flight', response = NULL, created_at = excluded.created_at",
    idem.key,
    idem.fingerprint,
    now,
  );
  let outcome: Outcome<T>;
  try {
    outcome = await fn();
  } catch (e) {
    sql.exec("DELETE FROM idempotency WHERE key = ?", idem.key);
    throw e;
  }
  if (!outcome.ok && outcome.problem.name === "validation-failed") sql.exec("DELETE FROM idempotency WHERE key = ?", idem.key);
  else sql.exec("UPDATE idempotency SET state = 'done', response = ? WHERE key = ?", JSON.stringify(outcome), idem.key);
  return { outcome };
}
