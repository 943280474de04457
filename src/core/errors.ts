/**
 * Every refusal the service can give, in one place. Code anywhere (edge or
 * Durable Object) produces a typed `Problem`; only `problemResponse` turns it
 * into RFC 9457 `application/problem+json`.
 */
export const PROBLEMS = {
  "validation-failed": { status: 400, title: "The request is not valid" },
  unauthenticated: { status: 401, title: "Authentication is required" },
  "invalid-token": { status: 401, title: "The session token is not valid" },
  "invalid-proof": { status: 401, title: "The DPoP proof is not valid" },
  "proof-replayed": { status: 401, title: "The DPoP proof was already used" },
  "session-revoked": { status: 401, title: "The session was revoked" },
  "session-expired": { status: 401, title: "The session has expired" },
  "session-not-yet-valid": { status: 401, title: "The session is not valid yet" },
  "principal-frozen": { status: 403, title: "The principal is frozen" },
  "session-frozen": { status: 403, title: "The session is frozen" },
  forbidden: { status: 403, title: "The caller may not do this" },
  "scope-denied": { status: 403, title: "The scope is not granted" },
  "budget-exceeded": { status: 403, title: "The budget would be exceeded" },
  "calls-exhausted": { status: 403, title: "No calls remain" },
  /** A trip-wire of the principal refused the decision (src/core/policy/tripwires.ts); members `rule`, `action`. */
  tripwire: { status: 403, title: "A trip-wire refused the decision" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  "idempotency-in-flight": { status: 409, title: "A request with this Idempotency-Key is in flight" },
  "hold-closed": { status: 409, title: "The hold is no longer open" },
  "approval-closed": { status: 409, title: "The approval is no longer pending" },
  "approval-already-voted": { status: 409, title: "This key has already approved" },
  "payload-too-large": { status: 413, title: "The request body is too large" },
  "unsupported-media-type": { status: 415, title: "The request body must be JSON" },
  "delegation-widens": { status: 422, title: "The delegation would widen authority" },
  "depth-exceeded": { status: 422, title: "The delegation is too deep" },
  /** A size cap of the tree (src/core/policy/caps.ts); members `cap`, `limit`, `current`. */
  "cap-exceeded": { status: 422, title: "A size cap would be exceeded" },
  "idempotency-key-reused": { status: 422, title: "The Idempotency-Key was used with another request" },
  "rate-limited": { status: 429, title: "Too many requests" },
  "internal-error": { status: 500, title: "Internal error" },
  "service-unavailable": { status: 503, title: "The service is unavailable" },
  /** A session in an object of its own whose budget lease lapsed with its parent's object out of reach (durable-objects/session-tree/lease-holder.ts). */
  "lease-lapsed": { status: 503, title: "The budget lease lapsed" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemName = keyof typeof PROBLEMS;

/** What a problem extension member may hold: plain data, so a Problem crosses RPC as typed. */
export type ProblemValue = string | number | boolean | null | undefined | object;

/** A refusal as a plain value: it crosses Durable Object RPC unchanged. */
export interface Problem {
  name: ProblemName;
  detail: string;
  /** Extension members of the problem document (e.g. `errors`, `remaining`). */
  extra?: Record<string, ProblemValue>;
  /** Extra response headers (e.g. `Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
}

export class RemitError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.name}: ${problem.detail}`);
    this.name = "RemitError";
  }
}

export function problem(name: ProblemName, detail: string, extra?: Record<string, ProblemValue>, headers?: Record<string, string>): Problem {
  return { name, detail, ...(extra ? { extra } : {}), ...(headers ? { headers } : {}) };
}

/** What a Durable Object decision returns: a value, or a refusal that changed nothing. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: Problem };
export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const refused = <T = never>(p: Problem): Outcome<T> => ({ ok: false, problem: p });

export interface FieldError {
  /** JSON path of the field, dotted (`limits.budgets.0.amount`). */
  field: string;
  /** The rule it broke, stable and machine-readable (`too_big`, `scope_grammar`). */
  rule: string;
  /** What is wrong and how to fix it (`is required: an RFC 3339 date-time`). */
  message: string;
  /** The value to send instead, when it can be derived (`"1250"` for `12.50` USD, `http:GET:…` for `http:get:…`). */
  suggestion?: string;
  /** A valid value to write by, when no exact fix can be derived. */
  example?: string;
}

export function validationFailed(errors: FieldError[], detail?: string): never {
  throw new RemitError(problem("validation-failed", detail ?? errors.map((e) => `${e.field}: ${e.message}`).join("; "), { errors }));
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemType(baseUrl: string, name: ProblemName): string {
  return `${baseUrl.replace(/\/$/, "")}/problems/${name}`;
}

/** RFC 9457's members; an extension member by one of these names is dropped. */
const STANDARD_MEMBERS = new Set(["type", "title", "status", "detail", "instance"]);

/** The problem document (RFC 9457) of `p`: what a response carries, and the event stream's `event: error`. */
export function problemBody(p: Problem, baseUrl: string, instance?: string): { type: string; title: string; status: number; detail: string } & Record<string, unknown> {
  const { status, title } = PROBLEMS[p.name];
  // Extension members never replace the standard ones: a hold's `status: "expired"` must not become the HTTP status.
  const extra = Object.fromEntries(Object.entries(p.extra ?? {}).filter(([k]) => !STANDARD_MEMBERS.has(k)));
  return {
    type: problemType(baseUrl, p.name),
    title,
    status,
    detail: p.detail,
    ...(instance ? { instance } : {}),
    ...extra,
  };
}

export function problemResponse(p: Problem, baseUrl: string, instance?: string): Response {
  const headers = new Headers({ "content-type": PROBLEM_CONTENT_TYPE, ...(p.headers ?? {}) });
  return new Response(JSON.stringify(problemBody(p, baseUrl, instance)), { status: PROBLEMS[p.name].status, headers });
}
