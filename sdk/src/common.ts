import type { Limits, PublicJwk } from "./types";

/** An amount of integer minor units: a decimal string, a bigint or a safe integer. */
export type AmountValue = string | bigint | number;

export interface Amount {
  asset: string;
  value: AmountValue;
}

/** The decimal string the service takes. Refuses fractions, negatives and unsafe numbers before any request. */
export function amountString(value: AmountValue): string {
  if (typeof value === "bigint") {
    if (value < 0n) throw new RangeError(`amount ${value} is negative`);
    return value.toString();
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`amount ${value} is not a non-negative safe integer (use a string or bigint)`);
    return String(value);
  }
  if (!/^(0|[1-9][0-9]*)$/.test(value)) throw new RangeError(`amount "${value}" is not a decimal string of integer minor units`);
  return value;
}

/** A point in time: a Date, an RFC 3339 string, or milliseconds since the epoch. */
export type TimeInput = Date | string | number;

export function rfc3339(t: TimeInput): string {
  if (typeof t === "string") return t;
  const d = typeof t === "number" ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) throw new RangeError("invalid date");
  return d.toISOString();
}

/** What bounds a session: scopes, window, limits, depth. */
export interface SessionBounds {
  scopes: string[];
  notBefore?: TimeInput;
  /** The end of the session. */
  expiresAt?: TimeInput;
  /** Alternatively, its life in seconds from now. */
  expiresIn?: number;
  limits?: Limits;
  maxDepth?: number;
  label?: string;
}

export function boundsBody(agentJwk: PublicJwk, b: SessionBounds): Record<string, unknown> {
  if (b.expiresAt !== undefined && b.expiresIn !== undefined) throw new TypeError("give expiresAt or expiresIn, not both");
  const expires = b.expiresAt !== undefined ? rfc3339(b.expiresAt) : b.expiresIn !== undefined ? rfc3339(Date.now() + b.expiresIn * 1000) : undefined;
  return {
    agent_jwk: { kty: agentJwk.kty, crv: agentJwk.crv, x: agentJwk.x },
    scopes: b.scopes,
    ...(b.notBefore !== undefined ? { not_before: rfc3339(b.notBefore) } : {}),
    ...(expires !== undefined ? { expires_at: expires } : {}),
    ...(b.limits !== undefined ? { limits: b.limits } : {}),
    ...(b.maxDepth !== undefined ? { max_depth: b.maxDepth } : {}),
    ...(b.label !== undefined ? { label: b.label } : {}),
  };
}

export const enc = encodeURIComponent;
