/**
 * Just enough of Remit's scope grammar (`resource:action:target`, a target may end in
 * `*` as a prefix match) to decide which tools a session's scopes cover. The service
 * decides every call itself; this only keeps tools/list honest. Matching is plain text.
 */
export function toolScope(server: string, tool: string): string {
  return `mcp:call:${server}/${tool}`;
}

function split(scope: string): { resource: string; action: string; target: string } | null {
  const a = scope.indexOf(":");
  const b = a < 0 ? -1 : scope.indexOf(":", a + 1);
  if (b < 0) return null;
  return { resource: scope.slice(0, a), action: scope.slice(a + 1, b), target: scope.slice(b + 1) };
}

export function covers(granted: string, wanted: string): boolean {
  const g = split(granted);
  const w = split(wanted);
  if (!g || !w || !g.target || !w.target) return false;
  if (g.resource !== w.resource) return false;
  if (g.action !== "*" && g.action !== w.action) return false;
  if (w.target.includes("*")) return false;
  if (g.target.endsWith("*")) return w.target.startsWith(g.target.slice(0, -1));
  return g.target === w.target;
}

export const coveredByAny = (granted: readonly string[], wanted: string): boolean => granted.some((g) => covers(g, wanted));

/** Scope text is printable ASCII without spaces; a tool name outside that cannot be granted. */
export const scopeSafe = (name: string): boolean => /^[\x21-\x7E]+$/.test(name) && !name.includes("*");
