/**
 * Scopes: `resource:action:target`, e.g. `http:GET:api.example.com/v1/*`.
 *
 * The grammar is deliberately narrow. Every character must be printable ASCII
 * (0x21–0x7E), so Unicode lookalikes (a Cyrillic "а", a fullwidth "：" or
 * "＊", a zero-width space) can never parse into something that looks like a
 * granted scope. A `*` may only end the target: it means "any target that
 * starts with this prefix". Matching is plain string comparison — nothing is
 * normalised, case-folded or decoded.
 *
 * An `http:` action is an upper-case method (`HTTP_METHODS`) or `*`: `get` is refused
 * with `GET` suggested, `FETCH` with the methods listed, never silently folded.
 *
 * Because nothing is normalised, `http:` targets must already be canonical: a
 * gateway that checks the raw path while the origin normalises it would let an
 * agent out of its prefix (`…/v1/../admin`). So an `http:` target has a
 * lower-case host and a path with no dot segments (`.`, `..`), no empty
 * segments (`//`, a trailing `/` is fine), no backslashes and no percent-encoded
 * dots, slashes or backslashes; anything else is refused with its canonical form.
 *
 * A wildcard is a prefix match on the raw text: `…/v1/*` covers `…/v1/x/y` and
 * not `…/v1` or `…/v10`, because the prefix ends at a segment boundary (`/`);
 * `…/v1*` covers `…/v1`, `…/v10` and `…/v1/x`.
 */

export interface Scope {
  resource: string;
  action: string;
  target: string;
  /** The target ended in `*`. */
  wildcard: boolean;
  /** The target without its trailing `*` (equal to `target` when not a wildcard). */
  prefix: string;
}

/** Stable rule names; callers map them into `validation-failed` errors. */
export type ScopeRule =
  | "scope_grammar"
  | "scope_resource"
  | "scope_action"
  | "scope_target"
  | "scope_wildcard"
  | "scope_charset"
  | "scope_length"
  | "scope_canonical"
  | "scope_method";

export interface ScopeError {
  rule: ScopeRule;
  message: string;
  /** For a non-canonical `http:` scope (a lower-case method, a target with `..`): the scope as it should be written. */
  canonical?: string;
  /** For a scope that breaks the grammar: a valid scope to write by. */
  example?: string;
}

/** The grammar in one line, quoted by every refusal of a malformed scope. */
export const SCOPE_GRAMMAR = "a scope is resource:action:target (the target may end in * as a prefix match)";
export const SCOPE_EXAMPLE = "http:GET:api.example.com/v1/*";
const GRAMMAR_HINT = `${SCOPE_GRAMMAR}, e.g. "${SCOPE_EXAMPLE}" or "mcp:call:weather/forecast"`;

/**
 * The methods an `http:` scope may name, upper-case as HTTP writes them (RFC 9110 and
 * PATCH), or `*` for all. One spelling each: `get` would never match what a gateway
 * checks (`GET`), so it is refused with the upper-case form rather than folded.
 */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"] as const;

export type ParseScopeResult = { ok: true; scope: Scope } | { ok: false; error: ScopeError };

export const MAX_SCOPE_LENGTH = 512;
export const MAX_TARGET_LENGTH = 400;

const RESOURCE = /^[a-z][a-z0-9_-]{0,31}$/;
const ACTION = /^(?:[A-Za-z][A-Za-z0-9_-]{0,31}|\*)$/;
// Printable ASCII only, no space. Checked over the whole string before anything else.
const PRINTABLE = /^[\x21-\x7E]*$/;

/** A refusal of the grammar: the message ends with the grammar and an example. */
function refuse(rule: ScopeRule, message: string): ParseScopeResult {
  return { ok: false, error: { rule, message: `${message}; ${GRAMMAR_HINT}`, example: SCOPE_EXAMPLE } };
}

export function parseScope(text: string): ParseScopeResult {
  if (typeof text !== "string") return refuse("scope_grammar", "a scope must be a string");
  // Length first, so a huge input costs no more than one scan.
  if (text.length > MAX_SCOPE_LENGTH) {
    return refuse("scope_length", `a scope is at most ${MAX_SCOPE_LENGTH} characters`);
  }
  if (!PRINTABLE.test(text)) {
    return refuse("scope_charset", "a scope may only contain printable ASCII characters (no spaces)");
  }
  // Split on the first two colons only: the target may itself contain colons (a port).
  const first = text.indexOf(":");
  const second = first < 0 ? -1 : text.indexOf(":", first + 1);
  if (second < 0) return refuse("scope_grammar", "a scope has the form resource:action:target");
  const resource = text.slice(0, first);
  const action = text.slice(first + 1, second);
  const target = text.slice(second + 1);

  if (resource.length === 0) return refuse("scope_resource", "the resource is empty");
  if (resource.includes("*")) return refuse("scope_wildcard", "the resource may not contain *");
  if (!RESOURCE.test(resource)) {
    return refuse("scope_resource", "the resource is 1-32 of a-z 0-9 _ - and starts with a letter");
  }
  if (action.length === 0) return refuse("scope_action", "the action is empty");
  if (action.includes("*") && action !== "*") {
    return refuse("scope_wildcard", "the action is either exactly * or has no *");
  }
  if (!ACTION.test(action)) {
    return refuse("scope_action", "the action is 1-32 of A-Z a-z 0-9 _ - and starts with a letter, or *");
  }
  if (target.length === 0) return refuse("scope_target", "the target is empty");
  if (target.length > MAX_TARGET_LENGTH) {
    return refuse("scope_length", `the target is at most ${MAX_TARGET_LENGTH} characters`);
  }
  const star = target.indexOf("*");
  if (star >= 0 && star !== target.length - 1) {
    return refuse("scope_wildcard", "* may only appear once, as the last character of the target");
  }
  const wildcard = star >= 0;
  const prefix = wildcard ? target.slice(0, -1) : target;
  if (resource === "http") {
    const method = action.toUpperCase();
    const known = action === "*" || (HTTP_METHODS as readonly string[]).includes(method);
    const problem = httpTargetProblem(prefix, wildcard);
    const canonical = `${resource}:${known ? method : action}:${problem === null ? target : `${canonicalHttpTarget(prefix)}${wildcard ? "*" : ""}`}`;
    if (!known) {
      return {
        ok: false,
        error: {
          rule: "scope_method",
          message: `"${action}" is not an HTTP method; an http scope's action is one of ${HTTP_METHODS.join(", ")} or *, e.g. "${SCOPE_EXAMPLE}"`,
          example: SCOPE_EXAMPLE,
        },
      };
    }
    if (action !== method) {
      return {
        ok: false,
        error: { rule: "scope_method", message: `an http scope's method is upper-case: did you mean "${canonical}"?`, canonical },
      };
    }
    if (problem !== null) return { ok: false, error: { rule: "scope_canonical", message: `${problem}; write it as "${canonical}"`, canonical } };
  }
  return { ok: true, scope: { resource, action, target, wildcard, prefix } };
}

const ENCODED_SEPARATOR = /%(2e|2f|5c)/i;

/**
 * Why an `http:` target (without its trailing `*`) is not canonical, or null. In a
 * wildcard the last segment may be partial (`…/v1/.*` also covers `…/v1/.well-known`),
 * so only complete segments are checked there.
 */
function httpTargetProblem(prefix: string, wildcard: boolean): string | null {
  if (prefix.includes("\\")) return "an http target may not contain a backslash";
  if (ENCODED_SEPARATOR.test(prefix)) return "an http target may not percent-encode a dot, slash or backslash";
  const slash = prefix.indexOf("/");
  const host = slash < 0 ? prefix : prefix.slice(0, slash);
  if (host !== host.toLowerCase()) return "an http target's host is lower-case";
  if (slash < 0) return null;
  const segments = prefix.slice(slash + 1).split("/");
  // The last segment of a wildcard is a partial one; the last of a plain target may be empty (a trailing slash).
  const complete = segments.slice(0, -1);
  const last = segments[segments.length - 1] ?? "";
  if (!wildcard && (last === "." || last === "..")) complete.push(last);
  for (const s of complete) {
    if (s === "") return "an http target may not have an empty path segment (//)";
    if (s === "." || s === "..") return "an http target may not have a dot segment (. or ..)";
  }
  return null;
}

/** The target an origin would serve for `prefix`: lower-case host, separators decoded, dot and empty segments resolved. */
export function canonicalHttpTarget(prefix: string): string {
  const decoded = prefix.replace(/\\/g, "/").replace(/%2e/gi, ".").replace(/%2f/gi, "/").replace(/%5c/gi, "/");
  const slash = decoded.indexOf("/");
  if (slash < 0) return decoded.toLowerCase();
  const host = decoded.slice(0, slash).toLowerCase();
  const parts = decoded.slice(slash + 1).split("/");
  const out: string[] = [];
  parts.forEach((s, i) => {
    const last = i === parts.length - 1;
    if (s === "..") out.pop();
    else if (s !== "." && (s !== "" || last)) out.push(s);
    // A target ending in a dot segment names a directory: keep its trailing slash.
    if (last && (s === "." || s === "..")) out.push("");
  });
  return `${host}/${out.join("/")}`;
}

/** `covers` on already parsed scopes (for callers that check many pairs). */
export function scopeCovers(parent: Scope, child: Scope): boolean {
  if (parent.resource !== child.resource) return false;
  if (parent.action !== "*" && parent.action !== child.action) return false;
  if (!parent.wildcard) return !child.wildcard && child.target === parent.target;
  // Plain prefix match: `a/b*` covers `a/bc`. Grant `a/b/*` to mean "under a/b/".
  return child.prefix.startsWith(parent.prefix);
}

/**
 * Does holding `parent` imply holding `child`? False when either does not parse,
 * so a malformed scope never grants and is never granted.
 */
export function covers(parent: string, child: string): boolean {
  const p = parseScope(parent);
  const c = parseScope(child);
  return p.ok && c.ok && scopeCovers(p.scope, c.scope);
}

export function coveredByAny(parents: readonly string[], child: string): boolean {
  const c = parseScope(child);
  if (!c.ok) return false;
  for (const parent of parents) {
    const p = parseScope(parent);
    if (p.ok && scopeCovers(p.scope, c.scope)) return true;
  }
  return false;
}

/**
 * A scope refusal as the `params` of a validation issue: the rule, the corrected scope
 * to send (`suggestion`) when there is one, else a valid `example`. They become the
 * members of the `errors[]` entry.
 */
export function scopeIssueParams(e: ScopeError): { rule: ScopeRule; suggestion?: string; example?: string } {
  return { rule: e.rule, ...(e.canonical ? { suggestion: e.canonical } : e.example ? { example: e.example } : {}) };
}
