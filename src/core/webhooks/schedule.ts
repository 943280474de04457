/**
 * Retry schedule for webhook deliveries: 11 attempts over about a day, then the
 * delivery is dead-lettered. `RETRY_SCHEDULE[n]` is the nominal wait before attempt
 * n + 1, so the first attempt is immediate.
 *
 * Jitter is proportional (each wait is drawn from [0.75, 1.25) × nominal) rather than
 * "full" ([0, 1) × nominal): full jitter spreads retries just as well but lets a run of
 * small draws burn every attempt within minutes, so a receiver that is down for an hour
 * could lose events. Proportional jitter keeps the expected span at the nominal ≈ 23.7 h
 * and the worst case between ≈ 17.8 h and ≈ 29.6 h.
 */
export const RETRY_SCHEDULE: readonly number[] = [0, 5, 30, 2 * 60, 10 * 60, 30 * 60, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 8 * 3600];

export const MAX_ATTEMPTS = RETRY_SCHEDULE.length;

export const JITTER = 0.25;

/** Cloudflare Queues cap a message's retry delay at 12 hours. */
export const MAX_DELAY_SECONDS = 12 * 3600;

/**
 * Seconds to wait before the next attempt, given how many attempts were already
 * made (0 = none yet, so the first attempt is immediate); `null` once all
 * `MAX_ATTEMPTS` were made, meaning give up and dead-letter. `random` returns
 * values in [0, 1), like `Math.random`.
 *
 * `scale` shrinks the whole schedule for tests (`WEBHOOK_RETRY_SCALE`, see
 * `retryScale`): the scaled wait is rounded to whole seconds, as Queues take them,
 * and may be 0. At the default scale of 1 every retry waits at least a second.
 */
export function nextDelaySeconds(attempt: number, random: () => number, scale = 1): number | null {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a whole number ≥ 0, got ${attempt}`);
  const nominal = RETRY_SCHEDULE[attempt];
  if (nominal === undefined) return null;
  if (nominal === 0) return 0;
  const r = Math.min(Math.max(random(), 0), 1);
  const factor = 1 - JITTER + 2 * JITTER * (Number.isFinite(r) ? r : 0.5);
  const s = Number.isFinite(scale) && scale > 0 ? Math.min(scale, 1) : 1;
  return Math.min(MAX_DELAY_SECONDS, Math.max(s < 1 ? 0 : 1, Math.round(nominal * factor * s)));
}

/**
 * The schedule's scale from `WEBHOOK_RETRY_SCALE` (a number in (0, 1]); 1 when it is
 * unset or not such a number. Only tests set it, so hours of backoff pass in seconds.
 */
export function retryScale(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 1;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 && n <= 1 ? n : 1;
}
