/**
 * Scopes: `resource:action:target`, e.g. `http:GET:api.example.com/v1/*`.
 *
 * The grammar is deliberately narrow. Every character must be printable ASCII
 * (0x21–0x7E), so Unicode lookalikes (a Cyrillic "а", a fullwidth "：" or
 * "＊", a zero-width space) can never parse into something that looks like a
 * granted scope. A `*` may only end the target: it means "any target that
 * starts with this prefix". Matching is plain string comparison — nothing is
 * normalised, case-folded or decoded.
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
  | "scope_length";

export interface ScopeError {
  rule: ScopeRule;
  message: string;
}

export type ParseScopeResult = { ok: true; scope: Scope } | { ok: false; error: ScopeError };

export const MAX_SCOPE_LENGTH = 512;
export const MAX_TARGET_LENGTH = 400;

const RESOURCE = /^[a-z][a-z0-9_-]{0,31}$/;
const ACTION = /^(?:[A-Za-z][A-Za-z0-9_-]{0,31}|\*)$/;
// Printable ASCII only, no space. Checked over the whole string before anything else.
const PRINTABLE = /^[\x21-\x7E]*$/;

function refuse(rule: ScopeRule, message: string): ParseScopeResult {
  return { ok: false, error: { rule, message } };
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
  return { ok: true, scope: { resource, action, target, wildcard, prefix } };
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
