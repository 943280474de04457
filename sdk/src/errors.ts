/**
 * Typed errors. Every refusal of the service is an RFC 9457 problem document with
 * a stable `type` (`<base URL>/problems/<name>`); it surfaces as the subclass of
 * `RemitError` named after it (`budget-exceeded` → `BudgetExceededError`), carrying
 * the whole document. Failures to reach the service at all are `RemitNetworkError`.
 */

export interface FieldError {
  /** Dotted JSON path of the field (`limits.budgets.0.amount`), or a header name. */
  field: string;
  /** The rule it broke, stable and machine-readable. */
  rule: string;
  message: string;
  /** The exact value to send instead, where there is one (an upper-case `http:` method, an amount in minor units). */
  suggestion?: string;
  /** A valid value to write by (a scope, an amount). */
  example?: string;
}

/** An RFC 9457 problem document with Remit's members; extension members vary by type. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  instance?: string;
  [member: string]: unknown;
}

const BRAND = Symbol.for("@remit/sdk/RemitError");

/** The base of every refusal by the API. */
export class RemitError extends Error {
  /** The problem name this class stands for (`budget-exceeded`); empty on the base class. */
  static readonly code: string = "";
  readonly [BRAND] = true;
  /** The problem document as received (extension members included). */
  readonly problem: ProblemDocument;
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** Each field that broke a rule (validation-failed, delegation-widens). */
  readonly errors: FieldError[];
  /** The problem's name: the `type` URL's last segment (`budget-exceeded`). */
  readonly code: string;
  /** Response headers (`Retry-After`, `WWW-Authenticate`, `RateLimit`…). */
  readonly headers: Headers;

  constructor(problem: ProblemDocument, headers: Headers = new Headers()) {
    super(`${problem.title}: ${problem.detail}`);
    this.name = new.target.name;
    this.problem = problem;
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.code = problemName(problem.type);
    this.headers = headers;
  }

  /** An extension member of the problem document (`remaining`, `session`, `receipt`…). */
  member<T = unknown>(name: string): T | undefined {
    return this.problem[name] as T | undefined;
  }

  /** Seconds to wait, from `Retry-After` (seconds or HTTP date), when the service sent one. */
  get retryAfter(): number | undefined {
    return parseRetryAfter(this.headers.get("retry-after"));
  }

  /** The denial receipt the service wrote for this refusal, when it wrote one. */
  get receiptId(): string | undefined {
    const r = this.problem.receipt;
    return typeof r === "string" ? r : undefined;
  }

  toJSON(): ProblemDocument {
    return this.problem;
  }
}

// One class per problem type of the service (src/core/errors.ts PROBLEMS).
export class ValidationFailedError extends RemitError {
  static override readonly code = "validation-failed";
}
export class UnauthenticatedError extends RemitError {
  static override readonly code = "unauthenticated";
}
export class InvalidTokenError extends RemitError {
  static override readonly code = "invalid-token";
}
export class InvalidProofError extends RemitError {
  static override readonly code = "invalid-proof";
}
export class ProofReplayedError extends RemitError {
  static override readonly code = "proof-replayed";
}
export class SessionRevokedError extends RemitError {
  static override readonly code = "session-revoked";
}
export class SessionExpiredError extends RemitError {
  static override readonly code = "session-expired";
}
export class SessionNotYetValidError extends RemitError {
  static override readonly code = "session-not-yet-valid";
}
export class PrincipalFrozenError extends RemitError {
  static override readonly code = "principal-frozen";
}
/** The session's own switch (or an ancestor's) is on: `POST /v1/sessions/{id}/freeze`. */
export class SessionFrozenError extends RemitError {
  static override readonly code = "session-frozen";
}

/** A trip-wire of the principal refused the decision; `rule` names it, `action` what it did. */
export class TripwireError extends RemitError {
  static override readonly code = "tripwire";
  get rule(): string | undefined {
    return this.member<string>("rule");
  }
  get action(): string | undefined {
    return this.member<string>("action");
  }
}
export class ForbiddenError extends RemitError {
  static override readonly code = "forbidden";
}
export class ScopeDeniedError extends RemitError {
  static override readonly code = "scope-denied";
}
export class BudgetExceededError extends RemitError {
  static override readonly code = "budget-exceeded";
  /** What remains of the budget that refused (decimal string). */
  get remaining(): string | undefined {
    return this.member<string>("remaining");
  }
  get asset(): string | undefined {
    return this.member<string>("asset");
  }
  /** The session (the caller's or an ancestor's) whose budget refused. */
  get session(): string | undefined {
    return this.member<string>("session");
  }
}
export class CallsExhaustedError extends RemitError {
  static override readonly code = "calls-exhausted";
}
export class NotFoundError extends RemitError {
  static override readonly code = "not-found";
}
export class MethodNotAllowedError extends RemitError {
  static override readonly code = "method-not-allowed";
}
export class IdempotencyInFlightError extends RemitError {
  static override readonly code = "idempotency-in-flight";
}
/** Capturing or voiding a hold that already ended; `holdStatus` says how. */
export class HoldClosedError extends RemitError {
  static override readonly code = "hold-closed";
  get holdStatus(): string | undefined {
    return this.member<string>("hold_status");
  }
}
/** Approving, denying or canceling an approval that already ended; `approvalStatus` says how (approved, denied, expired, canceled). */
export class ApprovalClosedError extends RemitError {
  static override readonly code = "approval-closed";
  get approvalStatus(): string | undefined {
    return this.member<string>("approval_status");
  }
}
/** This key has already approved; another key must give the next vote. */
export class ApprovalAlreadyVotedError extends RemitError {
  static override readonly code = "approval-already-voted";
}
export class PayloadTooLargeError extends RemitError {
  static override readonly code = "payload-too-large";
}
export class UnsupportedMediaTypeError extends RemitError {
  static override readonly code = "unsupported-media-type";
}
export class DelegationWidensError extends RemitError {
  static override readonly code = "delegation-widens";
}
export class DepthExceededError extends RemitError {
  static override readonly code = "depth-exceeded";
}
/** A size cap of the tree (children per session, sessions per tree) would be exceeded. */
export class CapExceededError extends RemitError {
  static override readonly code = "cap-exceeded";
  /** Which cap: `children_per_session` or `sessions_per_tree`. */
  get cap(): string | undefined {
    return this.member<string>("cap");
  }
  /** The configured cap. */
  get limit(): number | undefined {
    return this.member<number>("limit");
  }
  /** How many there already are. */
  get current(): number | undefined {
    return this.member<number>("current");
  }
}
export class IdempotencyKeyReusedError extends RemitError {
  static override readonly code = "idempotency-key-reused";
}
export class RateLimitedError extends RemitError {
  static override readonly code = "rate-limited";
}
export class InternalError extends RemitError {
  static override readonly code = "internal-error";
}
export class ServiceUnavailableError extends RemitError {
  static override readonly code = "service-unavailable";
}
/** A session in an object of its own whose budget lease lapsed while its parent's object was out of reach: retry after `Retry-After`. */
export class LeaseLapsedError extends RemitError {
  static override readonly code = "lease-lapsed";
}

type ErrorClass = typeof RemitError;

/** Problem name → its class. */
export const PROBLEM_CLASSES: Readonly<Record<string, ErrorClass>> = Object.freeze(
  Object.fromEntries(
    [
      ValidationFailedError,
      UnauthenticatedError,
      InvalidTokenError,
      InvalidProofError,
      ProofReplayedError,
      SessionRevokedError,
      SessionExpiredError,
      SessionNotYetValidError,
      PrincipalFrozenError,
      SessionFrozenError,
      TripwireError,
      ForbiddenError,
      ScopeDeniedError,
      BudgetExceededError,
      CallsExhaustedError,
      NotFoundError,
      MethodNotAllowedError,
      IdempotencyInFlightError,
      HoldClosedError,
      ApprovalClosedError,
      ApprovalAlreadyVotedError,
      PayloadTooLargeError,
      UnsupportedMediaTypeError,
      DelegationWidensError,
      DepthExceededError,
      CapExceededError,
      IdempotencyKeyReusedError,
      RateLimitedError,
      InternalError,
      ServiceUnavailableError,
      LeaseLapsedError,
    ].map((c) => [c.code, c]),
  ),
);

/** The last path segment of a problem `type` URL (`…/problems/budget-exceeded` → `budget-exceeded`). */
export function problemName(type: string): string {
  const marker = type.lastIndexOf("/problems/");
  const tail = marker >= 0 ? type.slice(marker + "/problems/".length) : type.slice(type.lastIndexOf("/") + 1);
  return tail.replace(/[?#].*$/, "");
}

/** The typed error for a problem document: the subclass named by its `type`, else `RemitError`. */
export function errorFromProblem(problem: ProblemDocument, headers?: Headers): RemitError {
  const name = problemName(problem.type);
  // Own members only: a type ending in /problems/constructor must not find Object.
  const Class = Object.hasOwn(PROBLEM_CLASSES, name) ? PROBLEM_CLASSES[name]! : RemitError;
  return new Class(problem, headers);
}

/** True for any refusal by the API (any `RemitError`, even from another copy of this SDK). */
export function isRemitError(value: unknown): value is RemitError {
  return value instanceof RemitError || (typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true);
}

/** The service could not be reached, or its answer could not be read; retries were exhausted. */
export class RemitNetworkError extends Error {
  readonly attempts: number;
  constructor(message: string, options: { cause?: unknown; attempts: number }) {
    super(message, { cause: options.cause });
    this.name = "RemitNetworkError";
    this.attempts = options.attempts;
  }
}

/** `Retry-After`: delta-seconds or an HTTP date; seconds from now, or undefined. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
