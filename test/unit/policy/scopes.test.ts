import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coveredByAny, covers, HTTP_METHODS, parseScope, SCOPE_GRAMMAR, type ScopeRule } from "../../../src/core/policy";
import { concreteScopeArb, narrowScope, scopeArb } from "./arbitraries";

function rule(text: string): ScopeRule | undefined {
  const r = parseScope(text);
  return r.ok ? undefined : r.error.rule;
}

describe("scopes: happy path", () => {
  it("parses resource, action and a wildcard target", () => {
    expect(parseScope("http:GET:api.example.com/v1/*")).toEqual({
      ok: true,
      scope: { resource: "http", action: "GET", target: "api.example.com/v1/*", wildcard: true, prefix: "api.example.com/v1/" },
    });
  });

  it("splits on the first two colons only, so a target may carry a port", () => {
    const r = parseScope("tcp:connect:db.internal:5432");
    expect(r.ok && r.scope).toMatchObject({ resource: "tcp", action: "connect", target: "db.internal:5432", wildcard: false });
  });

  it("accepts * as the whole action and as the whole target", () => {
    const r = parseScope("kv:*:*");
    expect(r.ok && r.scope).toMatchObject({ action: "*", target: "*", wildcard: true, prefix: "" });
  });

  it("accepts every part at its maximum length", () => {
    const text = `${"r".repeat(32)}:${"A".repeat(32)}:${"~".repeat(399)}*`;
    expect(parseScope(text).ok).toBe(true);
  });

  it("accepts any printable ASCII in the target (http: targets must also be canonical)", () => {
    expect(parseScope("kv:GET:!\"#$%&'()+,-./0-9;<=>?@[\\]^_`{|}~").ok).toBe(true);
    // The same text as an http: target has a backslash, which an origin may read as a slash.
    expect(rule("http:GET:!\"#$%&'()+,-./0-9;<=>?@[\\]^_`{|}~")).toBe("scope_canonical");
  });

  it("an exact scope covers only itself", () => {
    expect(covers("http:GET:a.com/x", "http:GET:a.com/x")).toBe(true);
    expect(covers("http:GET:a.com/x", "http:GET:a.com/xy")).toBe(false);
  });

  it("a wildcard covers every target with its prefix, concrete or wildcard", () => {
    expect(covers("http:GET:a.com/v1/*", "http:GET:a.com/v1/users")).toBe(true);
    expect(covers("http:GET:a.com/v1/*", "http:GET:a.com/v1/users/*")).toBe(true);
    expect(covers("http:GET:a.com/v1/*", "http:GET:a.com/v1/*")).toBe(true);
    expect(covers("http:GET:*", "http:GET:anything")).toBe(true);
  });

  it("matches wildcard prefixes by characters, not by path segments", () => {
    expect(covers("http:GET:a.com/v1*", "http:GET:a.com/v1-admin")).toBe(true);
  });

  it("an action * covers every action, including *", () => {
    expect(covers("http:*:a.com", "http:DELETE:a.com")).toBe(true);
    expect(covers("http:*:a.com/*", "http:*:a.com/x/*")).toBe(true);
  });

  it("coveredByAny accepts a scope that one of several parents covers", () => {
    expect(coveredByAny(["kv:GET:x", "http:POST:a.com/*"], "http:POST:a.com/pay")).toBe(true);
  });
});

describe("scopes: refusals", () => {
  it.each<[string, string, ScopeRule]>([
    ["an empty string", "", "scope_grammar"],
    ["a missing action and target", "http", "scope_grammar"],
    ["a missing target", "http:GET", "scope_grammar"],
    ["an empty resource", ":GET:x", "scope_resource"],
    ["an upper-case resource", "Http:GET:x", "scope_resource"],
    ["a resource starting with a digit", "1http:GET:x", "scope_resource"],
    ["a resource of 33 characters", `${"r".repeat(33)}:GET:x`, "scope_resource"],
    ["a resource with a dot", "h.ttp:GET:x", "scope_resource"],
    ["an empty action", "http::x", "scope_action"],
    ["an action starting with a digit", "http:1GET:x", "scope_action"],
    ["an action with a dot", "http:G.ET:x", "scope_action"],
    ["an action of 33 characters", `http:${"A".repeat(33)}:x`, "scope_action"],
    ["an empty target", "http:GET:", "scope_target"],
    ["a wildcard in the middle of the target", "http:GET:a*b", "scope_wildcard"],
    ["a wildcard at the start of the target", "http:GET:*a", "scope_wildcard"],
    ["a double wildcard", "http:GET:a/**", "scope_wildcard"],
    ["a bare double wildcard", "http:GET:**", "scope_wildcard"],
    ["a partial wildcard action", "http:GE*:x", "scope_wildcard"],
    ["a double wildcard action", "http:**:x", "scope_wildcard"],
    ["a wildcard resource", "*:GET:x", "scope_wildcard"],
    ["a space", "http:GET:a b", "scope_charset"],
    ["a leading space", " http:GET:x", "scope_charset"],
    ["a tab", "http:GET:a\tb", "scope_charset"],
    ["a newline", "http:GET:x\n", "scope_charset"],
    ["a NUL", "http:GET:x\0", "scope_charset"],
    ["DEL", "http:GET:x\x7F", "scope_charset"],
    ["a Cyrillic а in the resource", "httр:GET:x", "scope_charset"],
    ["a fullwidth colon", "http：GET:x", "scope_charset"],
    ["a fullwidth asterisk", "http:GET:a.com/＊", "scope_charset"],
    ["a zero-width space", "http:GET:a.com\u200B", "scope_charset"],
    ["a no-break space", "http:GET:a\u00A0b", "scope_charset"],
    ["a combining accent", "http:GET:e\u0301", "scope_charset"],
    ["an emoji", "http:GET:💸", "scope_charset"],
    ["a target of 401 characters", `http:GET:${"a".repeat(401)}`, "scope_length"],
    ["a scope of 513 characters", `http:GET:${"a".repeat(504)}`, "scope_length"],
  ])("refuses %s", (_name, text, expected) => {
    expect(rule(text)).toBe(expected);
  });

  it.each<[string, string, string]>([
    ["a dot-dot segment", "http:GET:api.example.com/v1/../admin/delete", "http:GET:api.example.com/admin/delete"],
    ["percent-encoded dots", "http:GET:api.example.com/v1/%2e%2e/admin", "http:GET:api.example.com/admin"],
    ["upper-case percent-encoded dots", "http:GET:api.example.com/v1/%2E%2E/admin", "http:GET:api.example.com/admin"],
    ["a percent-encoded slash", "http:GET:api.example.com/v1%2fadmin", "http:GET:api.example.com/v1/admin"],
    ["an empty segment", "http:GET:api.example.com/v1//admin", "http:GET:api.example.com/v1/admin"],
    ["a backslash", "http:GET:api.example.com/v1/..\\admin", "http:GET:api.example.com/admin"],
    ["a single-dot segment", "http:GET:api.example.com/v1/./admin", "http:GET:api.example.com/v1/admin"],
    ["a trailing dot-dot", "http:GET:api.example.com/v1/x/..", "http:GET:api.example.com/v1/"],
    ["an upper-case host", "http:GET:API.Example.com/v1/*", "http:GET:api.example.com/v1/*"],
    ["an empty segment before a wildcard", "http:GET:api.example.com/v1//*", "http:GET:api.example.com/v1/*"],
  ])("refuses an http target with %s, naming the canonical form", (_name, text, canonical) => {
    const r = parseScope(text);
    expect(r.ok).toBe(false);
    expect(r.ok ? null : r.error.rule).toBe("scope_canonical");
    expect(r.ok ? null : r.error.canonical).toBe(canonical);
    expect(r.ok ? "" : r.error.message).toContain(canonical);
  });

  it("refuses a lower-case http method with the upper-case scope, and an unknown one with the methods allowed", () => {
    const lower = parseScope("http:get:api.example.com/*");
    expect(lower).toEqual({
      ok: false,
      error: {
        rule: "scope_method",
        message: 'an http scope\'s method is upper-case: did you mean "http:GET:api.example.com/*"?',
        canonical: "http:GET:api.example.com/*",
      },
    });
    const unknown = parseScope("http:FETCH:api.example.com/*");
    expect(unknown.ok ? null : unknown.error.rule).toBe("scope_method");
    expect(unknown.ok ? "" : unknown.error.message).toContain(HTTP_METHODS.join(", "));
    for (const m of [...HTTP_METHODS, "*"]) expect(parseScope(`http:${m}:api.example.com/*`).ok, m).toBe(true);
    // Other resources keep any action, in any case.
    expect(parseScope("mcp:call:weather/forecast").ok).toBe(true);
    expect(parseScope("kv:get:x").ok).toBe(true);
  });

  it("quotes the grammar and an example in every refusal of the grammar", () => {
    for (const text of ["", "http", ":GET:x", "http::x", "http:GET:", "http:GET:a*b", "http:GET:a b"]) {
      const r = parseScope(text);
      expect(r.ok ? "" : r.error.message, text).toContain(SCOPE_GRAMMAR);
      expect(r.ok ? "" : r.error.example, text).toBe("http:GET:api.example.com/v1/*");
    }
  });

  it("accepts canonical http targets: a trailing slash, a partial dot segment under a wildcard, dots inside names", () => {
    for (const s of [
      "http:GET:api.example.com/v1/",
      "http:GET:api.example.com/v1/.*",
      "http:GET:api.example.com/.well-known/x",
      "http:GET:api.example.com:8443/v1/a.b",
      "http:GET:api.example.com",
    ])
      expect(parseScope(s).ok, s).toBe(true);
    // Other resources keep their own target grammar.
    expect(parseScope("tcp:connect:a//b").ok).toBe(true);
  });

  it("matches /* by whole segments: it covers what lies under the prefix, not a sibling with the same start", () => {
    expect(covers("http:GET:api.example.com/v1/*", "http:GET:api.example.com/v1/a/b")).toBe(true);
    expect(covers("http:GET:api.example.com/v1/*", "http:GET:api.example.com/v10")).toBe(false);
    expect(covers("http:GET:api.example.com/v1/*", "http:GET:api.example.com/v1")).toBe(false);
    expect(covers("http:GET:api.example.com/v1/*", "http:GET:api.example.com/v1/../admin")).toBe(false);
  });

  it("gives a message with every refusal", () => {
    const r = parseScope("http:GET:a*b");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/\*/);
  });

  it("refuses a non-string without throwing", () => {
    expect(rule(42 as unknown as string)).toBe("scope_grammar");
  });

  it("does not cover another resource", () => {
    expect(covers("http:*:*", "tcp:GET:x")).toBe(false);
  });

  it("does not cover another action, and compares actions case-sensitively", () => {
    expect(covers("http:GET:a.com", "http:POST:a.com")).toBe(false);
    expect(covers("http:GET:a.com", "http:get:a.com")).toBe(false);
  });

  it("a concrete action does not cover the action *", () => {
    expect(covers("http:GET:a.com/*", "http:*:a.com/x")).toBe(false);
  });

  it("a concrete target does not cover a wildcard, even with the same prefix", () => {
    expect(covers("http:GET:a.com/x", "http:GET:a.com/x*")).toBe(false);
  });

  it("a wildcard does not cover a target outside its prefix, nor a wider wildcard", () => {
    expect(covers("http:GET:a.com/v1/*", "http:GET:a.com/v2/x")).toBe(false);
    expect(covers("http:GET:a.com/v1/*", "http:GET:a.com/*")).toBe(false);
    expect(covers("http:GET:a.com/v1/*", "http:GET:a.com/v1")).toBe(false);
  });

  it("a malformed scope neither covers nor is covered", () => {
    expect(covers("http:GET:*", "http:GET:a b")).toBe(false);
    expect(covers("http:GET:**", "http:GET:x")).toBe(false);
    expect(covers("http:GET:a.com/*", "http:GET:a.com/ѕ")).toBe(false);
    expect(coveredByAny(["http:*:*"], "")).toBe(false);
  });

  it("coveredByAny with no parents covers nothing", () => {
    expect(coveredByAny([], "http:GET:x")).toBe(false);
  });
});

describe("scopes: properties", () => {
  it("every generated scope parses and its prefix plus * rebuilds a wildcard target", () => {
    fc.assert(
      fc.property(scopeArb, (s) => {
        const r = parseScope(s);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.scope.wildcard ? `${r.scope.prefix}*` : r.scope.prefix).toBe(r.scope.target);
      }),
    );
  });

  it("covers is reflexive", () => {
    fc.assert(fc.property(scopeArb, (s) => covers(s, s)));
  });

  it("covers is transitive on random triples", () => {
    fc.assert(
      fc.property(scopeArb, scopeArb, scopeArb, (a, b, c) => !(covers(a, b) && covers(b, c)) || covers(a, c)),
      { numRuns: 2000 },
    );
  });

  it("covers is transitive along narrowing chains (where the premise always holds)", () => {
    const chain = scopeArb.chain((a) => narrowScope(a).chain((b) => narrowScope(b).map((c) => [a, b, c] as const)));
    fc.assert(
      fc.property(chain, ([a, b, c]) => {
        expect(covers(a, b)).toBe(true);
        expect(covers(b, c)).toBe(true);
        expect(covers(a, c)).toBe(true);
      }),
    );
  });

  it("a covered scope never grants more: whatever the child covers, the parent covers", () => {
    fc.assert(
      fc.property(scopeArb, scopeArb, concreteScopeArb, (parent, child, r) => !(covers(child, r) && covers(parent, child)) || covers(parent, r)),
      { numRuns: 2000 },
    );
    const chain = scopeArb.chain((p) => narrowScope(p).chain((c) => narrowScope(c).map((r) => [p, c, r] as const)));
    fc.assert(
      fc.property(chain, ([parent, _child, r]) => {
        fc.pre(!r.endsWith("*")); // r stands for a concrete action on a concrete target
        expect(covers(parent, r)).toBe(true);
      }),
    );
  });

  it("is sound against request matching: a request the child scope admits, the parent admits", () => {
    // An independent reading of what a scope admits, for one concrete request.
    const admits = (scope: string, req: { resource: string; action: string; target: string }): boolean => {
      const [resource, action, ...rest] = scope.split(":");
      const target = rest.join(":");
      const targetOk = target.endsWith("*") ? req.target.startsWith(target.slice(0, -1)) : req.target === target;
      return resource === req.resource && (action === "*" || action === req.action) && targetOk;
    };
    const request = concreteScopeArb.map((s) => {
      const [resource = "", action = "", ...rest] = s.split(":");
      return { resource, action, target: rest.join(":") };
    });
    fc.assert(
      fc.property(scopeArb, scopeArb, request, (parent, child, req) => {
        if (covers(parent, child) && admits(child, req)) expect(admits(parent, req)).toBe(true);
        // And covers is exact for concrete children: it is "admits" itself.
        const concrete = `${req.resource}:${req.action}:${req.target}`;
        expect(covers(parent, concrete)).toBe(admits(parent, req));
      }),
      { numRuns: 3000 },
    );
    // Near misses, where bugs hide: the child is the parent with one small edit,
    // and the request is one the child admits.
    const nearMiss = fc
      .tuple(scopeArb, fc.constantFrom("", "*", "a", "a*", "<", "<*"), fc.option(fc.constantFrom("GET", "POST", "*")))
      .map(([parent, edit, action]) => {
        const p = parseScope(parent);
        if (!p.ok) throw new Error(parent);
        // "<" drops the last character of the prefix, a letter extends it, "*" makes it a wildcard.
        const prefix = edit.startsWith("<") ? p.scope.prefix.slice(0, -1) : p.scope.prefix + edit.replace("*", "");
        const star = edit.endsWith("*") || prefix === "" ? "*" : "";
        return { parent, child: `${p.scope.resource}:${action ?? p.scope.action}:${prefix}${star}` };
      })
      // An edit can leave a non-canonical http: target (`/.`), which is not a scope at all.
      .filter(({ child }) => parseScope(child).ok);
    fc.assert(
      fc.property(nearMiss, fc.constantFrom("", "a", "b/"), fc.constantFrom("GET", "POST"), ({ parent, child }, suffix, action) => {
        const c = parseScope(child);
        if (!c.ok) throw new Error(`generated an invalid scope: ${child}`);
        const req = {
          resource: c.scope.resource,
          action: c.scope.action === "*" ? action : c.scope.action,
          target: c.scope.wildcard ? c.scope.prefix + suffix : c.scope.target,
        };
        fc.pre(req.target.length > 0);
        if (covers(parent, child)) expect(admits(parent, req)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("any string containing a non-ASCII character never parses", () => {
    const nonAscii = fc
      .tuple(fc.string({ unit: "binary" }), fc.integer({ min: 0x80, max: 0x10ffff }), fc.string({ unit: "binary" }))
      .map(([before, code, after]) => before + String.fromCodePoint(code) + after);
    fc.assert(fc.property(nonAscii, (s) => !parseScope(s).ok));
  });

  it("inserting any character outside 0x21-0x7E anywhere into a valid scope is refused as charset", () => {
    const bad = fc.oneof(
      fc.integer({ min: 0, max: 0x20 }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0x7f, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
    );
    fc.assert(
      fc.property(scopeArb, bad, fc.nat(), (s, ch, at) => {
        const i = at % (s.length + 1);
        expect(rule(s.slice(0, i) + ch + s.slice(i))).toBe("scope_charset");
      }),
    );
  });
});
