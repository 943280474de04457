import { describe, expect, it, vi } from "vitest";
import { ABSOLUTE_MAX_SCOPE_LENGTH, ABSOLUTE_MAX_SCOPES, DEFAULT_CAPS, scopeCapErrors, treeCapBreach, treeCaps } from "../../../src/core/policy/caps";

describe("caps: from the vars", () => {
  it("defaults to 1,000 children per session, 10,000 sessions per tree, 32 scopes of 256 characters", () => {
    expect(treeCaps({})).toEqual({ childrenPerSession: 1_000, sessionsPerTree: 10_000, scopesPerSession: 32, scopeLength: 256 });
    expect(treeCaps({})).toEqual(DEFAULT_CAPS);
  });

  it("reads each var", () => {
    expect(
      treeCaps({ REMIT_MAX_CHILDREN_PER_SESSION: "5", REMIT_MAX_SESSIONS_PER_TREE: "50", REMIT_MAX_SCOPES_PER_SESSION: "8", REMIT_MAX_SCOPE_LENGTH: "100" }),
    ).toEqual({ childrenPerSession: 5, sessionsPerTree: 50, scopesPerSession: 8, scopeLength: 100 });
  });

  it("ignores a bad value, with a log line, and keeps the default", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    for (const bad of ["0", "-3", "1.5", "lots", "1e99"]) expect(treeCaps({ REMIT_MAX_CHILDREN_PER_SESSION: bad }).childrenPerSession).toBe(1_000);
    expect(treeCaps({ REMIT_MAX_SESSIONS_PER_TREE: " " }).sessionsPerTree).toBe(10_000);
    expect(log).toHaveBeenCalledWith(expect.stringContaining("REMIT_MAX_CHILDREN_PER_SESSION"));
    log.mockRestore();
  });

  it("never lets a var raise the scope caps past what the request schemas accept", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(treeCaps({ REMIT_MAX_SCOPES_PER_SESSION: String(ABSOLUTE_MAX_SCOPES + 1) }).scopesPerSession).toBe(32);
    expect(treeCaps({ REMIT_MAX_SCOPE_LENGTH: String(ABSOLUTE_MAX_SCOPE_LENGTH + 1) }).scopeLength).toBe(256);
    expect(treeCaps({ REMIT_MAX_SCOPES_PER_SESSION: String(ABSOLUTE_MAX_SCOPES) }).scopesPerSession).toBe(64);
    log.mockRestore();
  });
});

describe("caps: scopes", () => {
  const caps = { scopesPerSession: 3, scopeLength: 10 };

  it("accepts scopes within both caps", () => {
    expect(scopeCapErrors(["a:b:c", "a:b:d", "a:b:e"], caps)).toEqual([]);
    expect(scopeCapErrors(["a:b:123456"], caps)).toEqual([]);
  });

  it("names `scopes` with rule max_scopes, the cap and the count, one past the cap", () => {
    const errors = scopeCapErrors(["a:b:c", "a:b:d", "a:b:e", "a:b:f"], caps);
    expect(errors).toEqual([{ field: "scopes", rule: "max_scopes", message: expect.stringContaining("at most 3 scopes") }]);
    expect(errors[0]!.message).toContain("got 4");
  });

  it("names each scope too long as `scopes.N` with rule scope_length and the cap", () => {
    const errors = scopeCapErrors(["a:b:c", "a:b:1234567", "a:b:d", "a:b:12345678"], { scopesPerSession: 10, scopeLength: 10 });
    expect(errors.map((e) => [e.field, e.rule])).toEqual([
      ["scopes.1", "scope_length"],
      ["scopes.3", "scope_length"],
    ]);
    expect(errors[0]!.message).toContain("at most 10 characters");
    expect(errors[0]!.message).toContain("got 11");
  });
});

describe("caps: the tree's size", () => {
  const caps = { childrenPerSession: 2, sessionsPerTree: 5 };

  it("lets a session below both caps delegate", () => {
    expect(treeCapBreach({ children: 1, sessions: 4 }, caps)).toBeNull();
  });

  it("refuses the child past the session's cap, naming it with limit and current", () => {
    expect(treeCapBreach({ children: 2, sessions: 3 }, caps)).toEqual({
      cap: "children_per_session",
      limit: 2,
      current: 2,
      detail: expect.stringContaining("children_per_session = 2"),
    });
  });

  it("refuses the session past the tree's cap first, naming it", () => {
    const breach = treeCapBreach({ children: 2, sessions: 5 }, caps);
    expect(breach).toMatchObject({ cap: "sessions_per_tree", limit: 5, current: 5 });
    expect(breach!.detail).toContain("grant a new root session");
  });
});
