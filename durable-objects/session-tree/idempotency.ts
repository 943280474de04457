/**
 * Idempotency-Key records of agent calls: the first answer to a key is stored with the
 * request's fingerprint for a day, so a retried request gets the same answer instead of
 * acting twice.
 */
import type { AgentCall, AgentResult } from "../../src/contract/session-tree";
import type { Outcome, ProblemName } from "../../src/core/errors";

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** Refusals that are not stored against an Idempotency-Key: retrying them may rightly succeed. */
const UNSTORED: ProblemName[] = ["rate-limited", "validation-failed"];

type Idempotency = NonNullable<AgentCall["idempotency"]>;

/** The stored answer to this caller's key, if one is younger than the TTL. */
export function readIdempotent(sql: SqlStorage, caller: string, key: string, now: number): { fingerprint: string; response: string } | undefined {
  return sql
    .exec<{ fingerprint: string; response: string }>(
      "SELECT fingerprint, response FROM idempotency WHERE caller = ? AND key = ? AND created_at > ?",
      caller,
      key,
      now - IDEMPOTENCY_TTL_MS,
    )
    .toArray()[0];
}

/** Whether an answer is kept for the key (successes and refusals a retry cannot change). */
export function isStored(outcome: Outcome<unknown>): boolean {
  return outcome.ok || !UNSTORED.includes(outcome.problem.name);
}

export function storeIdempotent<T>(sql: SqlStorage, caller: string, idempotency: Idempotency, result: AgentResult<T>, now: number): void {
  sql.exec(
    "INSERT INTO idempotency (caller, key, fingerprint, response, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET fingerprint = excluded.fingerprint, response = excluded.response, created_at = excluded.created_at",
    caller,
    idempotency.key,
    idempotency.fingerprint,
    JSON.stringify(result),
    now,
  );
}
