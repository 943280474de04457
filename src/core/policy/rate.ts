/**
 * Rate limiting by GCRA (the generic cell rate algorithm): one number of state
 * per limit, the theoretical arrival time (TAT), and no timers.
 *
 * Exactness. The emission interval T = per_seconds·1000/requests ms is rarely
 * a whole number (7 per minute), and adding an inexact float T again and again
 * drifts, so the n-th request of a burst could be refused by 1e-12 ms. All
 * arithmetic is therefore done on integers in ticks of 1/1024 ms:
 *   - T is rounded UP to a whole tick, so the sustained rate never exceeds
 *     requests/per_seconds (each request costs under 1/1024 ms extra);
 *   - the tolerance is requests·T (not per_seconds·1000), so a fresh limit
 *     allows a burst of exactly `requests`;
 *   - the TAT is returned in ms as a multiple of 1/1024, which a double holds
 *     exactly until the year 2248 — store it as a REAL, unrounded.
 * When T is a whole number of ticks (10 per 60 s is; 7 per 60 s and 3 per 1 s
 * are not) this is the textbook algorithm exactly.
 *
 * Bound (proved in the tests' comments, checked by property): among allowed
 * requests in any half-open interval of length W ms, count·per_seconds·1000 <
 * requests·(W + per_seconds·1000). For W = per_seconds·1000 that is at most
 * 2·requests − 1: a full burst, then the refill over the window.
 */

export interface RateLimit {
  requests: number;
  per_seconds: number;
}

export interface RateDecision {
  allowed: boolean;
  /** The TAT to store (ms). Unchanged when refused. */
  tat: number;
  /** Requests that would still be allowed right now, after this one. */
  remaining: number;
  /** Whole seconds until the limit is back to full capacity. */
  resetSeconds: number;
  /** 0 when allowed; else whole seconds (≥ 1) after which a retry is allowed. */
  retryAfterSeconds: number;
}

const TICKS_PER_MS = 1024;
const TICKS_PER_SECOND = 1000 * TICKS_PER_MS;

function toTicks(ms: number): number {
  // Exact for integer ms and for TATs we produced; rounding a foreign value
  // up only makes the limiter stricter.
  return Math.ceil(ms * TICKS_PER_MS);
}

function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

interface Params {
  /** Emission interval in ticks (rounded up). */
  t: number;
  /** Tolerance in ticks: the most TAT may run ahead of now. */
  tolerance: number;
}

function params(limit: RateLimit): Params {
  const { requests, per_seconds } = limit;
  if (!Number.isSafeInteger(requests) || requests < 1 || !Number.isSafeInteger(per_seconds) || per_seconds < 1) {
    throw new RangeError(`invalid rate limit: ${requests} per ${per_seconds} s`);
  }
  const window = per_seconds * TICKS_PER_SECOND;
  const t = ceilDiv(window, requests);
  const tolerance = t * requests;
  if (!Number.isSafeInteger(window) || !Number.isSafeInteger(tolerance)) {
    throw new RangeError(`rate limit window too long: ${per_seconds} s`);
  }
  return { t, tolerance };
}

/** Decide one request at `nowMs` against the stored `tat` (null: never used). */
export function gcra(tat: number | null, nowMs: number, limit: RateLimit): RateDecision {
  const { t, tolerance } = params(limit);
  if (!Number.isFinite(nowMs) || (tat !== null && !Number.isFinite(tat))) {
    throw new RangeError("gcra needs finite times");
  }
  const now = Math.floor(nowMs * TICKS_PER_MS);
  const stored = tat === null ? now : toTicks(tat);
  const next = Math.max(stored, now) + t;
  if (!Number.isSafeInteger(next)) throw new RangeError("gcra time out of range");
  const allowed = next - now <= tolerance;
  const kept = allowed ? next : stored;
  // How far the TAT runs ahead of now is the capacity in use.
  const ahead = Math.max(0, kept - now);
  return {
    allowed,
    tat: allowed ? next / TICKS_PER_MS : (tat ?? nowMs),
    remaining: Math.max(0, Math.floor((tolerance - ahead) / t)),
    resetSeconds: ceilDiv(ahead, TICKS_PER_SECOND),
    // Earliest allowed time is stored + t - tolerance (stored > now when refused).
    retryAfterSeconds: allowed ? 0 : Math.max(1, ceilDiv(stored + t - tolerance - now, TICKS_PER_SECOND)),
  };
}

/**
 * What `gcra` would report without taking a request: how many requests are allowed
 * right now, and whole seconds until full capacity. Same tick arithmetic as `gcra`,
 * so what a session view shows is what the limiter will do.
 */
export function gcraPeek(tat: number | null, nowMs: number, limit: RateLimit): { remaining: number; resetSeconds: number } {
  const { t, tolerance } = params(limit);
  const now = Math.floor(nowMs * TICKS_PER_MS);
  const ahead = tat === null ? 0 : Math.max(0, toTicks(tat) - now);
  return { remaining: Math.max(0, Math.floor((tolerance - ahead) / t)), resetSeconds: ceilDiv(ahead, TICKS_PER_SECOND) };
}

/** An RFC 8941 sf-string: printable ASCII, with `"` and `\` escaped. */
function sfString(s: string): string {
  if (!/^[\x20-\x7E]*$/.test(s)) throw new RangeError("a policy name must be printable ASCII");
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers:
 * `"session";q=10;w=60` and `"session";r=3;t=12`. Send `Retry-After` on a 429
 * yourself (the largest retryAfterSeconds among refused limits).
 */
export function rateLimitHeaders(limit: RateLimit, decision: RateDecision, policyName = "session"): { "RateLimit-Policy": string; RateLimit: string } {
  const name = sfString(policyName);
  return {
    "RateLimit-Policy": `${name};q=${limit.requests};w=${limit.per_seconds}`,
    RateLimit: `${name};r=${decision.remaining};t=${decision.resetSeconds}`,
  };
}

/**
 * Of several limits that all apply (a session's and its ancestors'), the one
 * to advertise: least remaining, then the longest reset. Undefined when none.
 */
export function tightest<T extends { decision: RateDecision }>(decisions: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const d of decisions) {
    if (
      best === undefined ||
      d.decision.remaining < best.decision.remaining ||
      (d.decision.remaining === best.decision.remaining && d.decision.resetSeconds > best.decision.resetSeconds)
    ) {
      best = d;
    }
  }
  return best;
}
