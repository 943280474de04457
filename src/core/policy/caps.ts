/**
 * How big a delegation tree may grow: the caps, from the worker's vars (wrangler.toml
 * [vars], `.dev.vars`, `wrangler dev --var`). Pure: no I/O.
 *
 *   REMIT_MAX_CHILDREN_PER_SESSION  direct children one session may delegate      default 1,000
 *   REMIT_MAX_SESSIONS_PER_TREE     sessions in one tree, the root included        default 10,000
 *   REMIT_MAX_SCOPES_PER_SESSION    scopes in one grant or delegation              default 32 (at most 64)
 *   REMIT_MAX_SCOPE_LENGTH          characters in one scope                        default 256 (at most 512)
 *
 * The scope caps are also absolute in the request schemas (64 scopes, 512 characters):
 * a var can lower them, never raise them past what the schemas accept. The tree caps
 * bound what one tree object holds, so a tree view, a revocation and a token stay small.
 */
import type { FieldError } from "../errors";
import { MAX_SCOPE_LENGTH } from "./scopes";

export interface TreeCaps {
  childrenPerSession: number;
  sessionsPerTree: number;
  scopesPerSession: number;
  scopeLength: number;
}

/** The subset of the worker's Env read here (strings, as vars arrive). */
export interface CapVars {
  REMIT_MAX_CHILDREN_PER_SESSION?: string;
  REMIT_MAX_SESSIONS_PER_TREE?: string;
  REMIT_MAX_SCOPES_PER_SESSION?: string;
  REMIT_MAX_SCOPE_LENGTH?: string;
}

export const DEFAULT_CAPS: TreeCaps = { childrenPerSession: 1_000, sessionsPerTree: 10_000, scopesPerSession: 32, scopeLength: 256 };

/** What the request schemas accept whatever the vars say (src/schemas.ts). */
export const ABSOLUTE_MAX_SCOPES = 64;
export const ABSOLUTE_MAX_SCOPE_LENGTH = MAX_SCOPE_LENGTH;
/** A tree object past this many sessions no longer answers within a Worker's memory; no var goes above it. */
export const ABSOLUTE_MAX_SESSIONS_PER_TREE = 100_000;

/** The names of the caps as problems and errors name them (`cap` of `cap-exceeded`). */
export type CapName = "children_per_session" | "sessions_per_tree";

/** A positive integer var within bounds, or the default (a bad value must not stop the service). */
function intVar(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    console.error(`caps: ignoring ${name}=${JSON.stringify(value)} (want an integer in 1..${max}); using ${fallback}`);
    return fallback;
  }
  return n;
}

export function treeCaps(env: CapVars): TreeCaps {
  return {
    childrenPerSession: intVar("REMIT_MAX_CHILDREN_PER_SESSION", env.REMIT_MAX_CHILDREN_PER_SESSION, DEFAULT_CAPS.childrenPerSession, ABSOLUTE_MAX_SESSIONS_PER_TREE),
    sessionsPerTree: intVar("REMIT_MAX_SESSIONS_PER_TREE", env.REMIT_MAX_SESSIONS_PER_TREE, DEFAULT_CAPS.sessionsPerTree, ABSOLUTE_MAX_SESSIONS_PER_TREE),
    scopesPerSession: intVar("REMIT_MAX_SCOPES_PER_SESSION", env.REMIT_MAX_SCOPES_PER_SESSION, DEFAULT_CAPS.scopesPerSession, ABSOLUTE_MAX_SCOPES),
    scopeLength: intVar("REMIT_MAX_SCOPE_LENGTH", env.REMIT_MAX_SCOPE_LENGTH, DEFAULT_CAPS.scopeLength, ABSOLUTE_MAX_SCOPE_LENGTH),
  };
}

/** The configured scope caps a grant or delegation breaks, as `validation-failed` errors (empty: within them). */
export function scopeCapErrors(scopes: readonly string[], caps: Pick<TreeCaps, "scopesPerSession" | "scopeLength">): FieldError[] {
  const errors: FieldError[] = [];
  if (scopes.length > caps.scopesPerSession)
    errors.push({
      field: "scopes",
      rule: "max_scopes",
      message: `at most ${caps.scopesPerSession} scopes per session (got ${scopes.length}); use wildcard targets or split the work across sessions`,
    });
  for (const [i, s] of scopes.entries()) {
    if (s.length > caps.scopeLength)
      errors.push({
        field: `scopes.${i}`,
        rule: "scope_length",
        message: `at most ${caps.scopeLength} characters per scope (got ${s.length}); shorten the target or end it in *`,
      });
  }
  return errors;
}

/** The tree cap a new session would break, with what a `cap-exceeded` problem says; null when it fits. */
export function treeCapBreach(
  counts: { children: number; sessions: number },
  caps: Pick<TreeCaps, "childrenPerSession" | "sessionsPerTree">,
): { cap: CapName; limit: number; current: number; detail: string } | null {
  if (counts.sessions >= caps.sessionsPerTree)
    return {
      cap: "sessions_per_tree",
      limit: caps.sessionsPerTree,
      current: counts.sessions,
      detail: `the tree already holds ${counts.sessions} sessions, its cap (sessions_per_tree = ${caps.sessionsPerTree}); revoked sessions count too: grant a new root session for more work`,
    };
  if (counts.children >= caps.childrenPerSession)
    return {
      cap: "children_per_session",
      limit: caps.childrenPerSession,
      current: counts.children,
      detail: `the session already has ${counts.children} children, its cap (children_per_session = ${caps.childrenPerSession}); delegate from a child instead, or ask for a new root session`,
    };
  return null;
}
