/**
 * The rate limit of an agent call: GCRA on the session and every ancestor with a rate.
 * All must allow, and only then is any TAT advanced, so a refused call costs no ancestor
 * its allowance.
 */
import { problem, type Problem } from "../../src/core/errors";
import { gcra, rateLimitHeaders, tightest, type RateLimit } from "../../src/core/policy/rate";
import { countRateRefused, type SessionRow } from "./store";

export interface RateVerdict {
  allowed: boolean;
  headers?: Record<string, string>;
  problem?: Problem;
}

/** The session's theoretical arrival time, null before its first limited call. */
export function readTat(sql: SqlStorage, sessionId: string): number | null {
  return sql.exec<{ tat: number }>("SELECT tat FROM rate WHERE session_id = ?", sessionId).toArray()[0]?.tat ?? null;
}

export function consumeRate(sql: SqlStorage, chain: SessionRow[], now: number): RateVerdict {
  const limited = chain.filter((s) => s.limits.rate);
  if (limited.length === 0) return { allowed: true };
  const decisions = limited.map((s) => {
    const limit = s.limits.rate as RateLimit;
    return { session: s, limit, decision: gcra(readTat(sql, s.id), now, limit) };
  });
  const refusedBy = decisions.filter((d) => !d.decision.allowed);
  if (refusedBy.length > 0) {
    const worst = refusedBy.reduce((a, b) => (b.decision.retryAfterSeconds > a.decision.retryAfterSeconds ? b : a));
    const headers = rateLimitHeaders(worst.limit, worst.decision);
    const retryAfter = String(worst.decision.retryAfterSeconds);
    return {
      allowed: false,
      headers: { ...headers, "Retry-After": retryAfter },
      problem: problem(
        "rate-limited",
        `session ${worst.session.id} allows ${worst.limit.requests} requests per ${worst.limit.per_seconds} s`,
        { session: worst.session.id, retry_after: worst.decision.retryAfterSeconds, limit: worst.limit },
        { "Retry-After": retryAfter },
      ),
    };
  }
  for (const d of decisions) sql.exec("INSERT INTO rate (session_id, tat) VALUES (?, ?) ON CONFLICT DO UPDATE SET tat = excluded.tat", d.session.id, d.decision.tat);
  const t = tightest(decisions.map((d) => ({ limit: d.limit, decision: d.decision })))!;
  return { allowed: true, headers: rateLimitHeaders(t.limit, t.decision) };
}

/** Counts a refusal on the session, for its view's `rate_limited`. */
export function countRateRefusal(sql: SqlStorage, sessionId: string): void {
  countRateRefused(sql, sessionId);
}
