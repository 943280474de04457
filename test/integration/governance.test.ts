/**
 * Governance across a principal's trees, against the real worker and objects: exposure
 * equal to hand-computed figures, bulk revocation (its dry run names exactly what the
 * real run revokes), the agent's panic button, a session's own freeze switch, and the
 * listings of sessions and receipts with their filters and cursors.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateAgentKey } from "../../sdk/src/keys";
import { agentCall, call, createPrincipal, delegate, grant, problemName, type Agent } from "../support/harness";

const T0 = Date.parse("2027-01-01T22:30:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(ms).toISOString();
const key = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });
const SCOPE = "http:GET:api.example.com/x";

const spend = (a: Agent, asset: string, value: string) => agentCall(a, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset, value } });
const ids = (r: { json: { data: { id: string }[] } }) => r.json.data.map((s) => s.id);

afterEach(() => {
  vi.useRealTimers();
});

describe("exposure", () => {
  it("equals the hand-computed figures: lifetime and day budgets with a spend and an open hold, a revoked tree, a frozen tree, an hourly tree near expiry", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
    const p = await createPrincipal("Gov", 40 * 86_400);
    // A: 1000 for life and 200 a day, until Jan 4 22:30; 100 spent and 50 held today; a child with 30.
    const a = await grant(p.apiKey, {
      expires_at: at(T0 + 3 * DAY),
      max_depth: 1,
      label: "a",
      limits: {
        budgets: [
          { asset: "USD", amount: "1000" },
          { asset: "USD", amount: "200", period: "day" },
        ],
      },
    });
    expect((await spend(a, "USD", "100")).status).toBe(200);
    expect((await agentCall(a, "POST", "/v1/holds", { scope: SCOPE, amount: { asset: "USD", value: "50" } })).status).toBe(201);
    const child = await delegate(a, {
      limits: {
        budgets: [
          { asset: "USD", amount: "30" },
          { asset: "USD", amount: "200", period: "day" },
        ],
      },
      label: "child",
      max_depth: 0,
    });
    // B: revoked; C: frozen by its own switch — both 0 whatever their budgets.
    const b = await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "500" }] } });
    expect((await call("POST", `/v1/sessions/${b.session.id}/revoke`, { headers: key(p.apiKey), body: {} })).status).toBe(200);
    const c = await grant(p.apiKey, { expires_at: at(T0 + 20 * DAY), limits: { budgets: [{ asset: "USD", amount: "300" }] } });
    expect((await call("POST", `/v1/sessions/${c.session.id}/freeze`, { headers: key(p.apiKey), body: {} })).status).toBe(200);
    // D: 10 EUR an hour, until 00:30: windows at 22:30, 23:00 and 00:00.
    const d = await grant(p.apiKey, {
      expires_at: at(T0 + 2 * HOUR),
      limits: { rate: { requests: 10, per_seconds: 1 }, budgets: [{ asset: "EUR", amount: "10", period: "hour" }] },
    });

    const r = await call("GET", "/v1/exposure", { headers: key(p.apiKey) });
    expect(r.status, r.text).toBe(200);
    expect(r.json.trees).toEqual({ total: 4, live: 2 });
    // USD now: 50 held + min(1000 − 150, 200 − 150) = 100; a day on adds Jan 2's 200; until expiry Jan 2, 3 and 4: 700 (< the 900 the lifetime leaves).
    expect(r.json.assets).toEqual([
      { asset: "EUR", now: "10", next_hour: "20", next_day: "30", next_week: "30", until_expiry: "30", held: "0", unbounded: false, unbounded_trees: [] },
      { asset: "USD", now: "100", next_hour: "100", next_day: "300", next_week: "700", until_expiry: "700", held: "50", unbounded: false, unbounded_trees: [] },
    ]);
    expect(r.json.holders.map((h: { asset: string; session: string; reach: string }) => [h.asset, h.session, h.reach])).toEqual([
      ["EUR", d.session.id, "10"],
      ["USD", a.session.id, "100"],
      ["USD", child.session.id, "30"],
    ]);
    expect(r.json.holders[2]).toMatchObject({ agent_jkt: child.session.agent_jkt, label: "child", depth: 1, last_used_at: null, tree: a.session.tree });
    expect(r.json.holders[1].last_used_at).toBe(at(T0));
    expect(r.json.holders_overlap).toBe(true);
    expect(r.json.holders_note).toMatch(/overlap/);
    const finding = (kind: string) => r.json.findings.find((f: { kind: string }) => f.kind === kind);
    expect(new Set(finding("no_rate_limit").sessions)).toEqual(new Set([a.session.id, child.session.id, c.session.id]));
    expect(finding("depth_exhausted").sessions).toEqual([child.session.id]);
    expect(new Set(finding("budgets_unused").sessions)).toEqual(new Set([child.session.id, c.session.id, d.session.id]));
    expect(finding("idle")).toBeUndefined();

    // Eight days on, A and D have expired; nothing is exposed, and what is left standing (C, frozen) is idle.
    vi.setSystemTime(T0 + 8 * DAY);
    const later = await call("GET", "/v1/exposure", { headers: key(p.apiKey) });
    expect(later.json.assets.map((x: { now: string; until_expiry: string }) => [x.now, x.until_expiry])).toEqual([
      ["0", "0"],
      ["0", "0"],
    ]);
    expect(later.json.findings.find((f: { kind: string }) => f.kind === "idle").sessions).toEqual([c.session.id]);
  });

  it("counts a pending approval as spendable and held; its denial gives it back", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, {
      limits: { budgets: [{ asset: "USD", amount: "1000" }], approval: { over: [{ asset: "USD", amount: "100" }] } },
    });
    expect((await spend(a, "USD", "50")).status).toBe(200);
    const waiting = await spend(a, "USD", "300");
    expect(waiting.status, waiting.text).toBe(202);
    const usd = async () => (await call("GET", "/v1/exposure", { headers: key(p.apiKey) })).json.assets.find((x: { asset: string }) => x.asset === "USD");
    // 1000 − 50 spent: the 300 waiting on a person can still be approved, so it is exposed, and held.
    expect(await usd()).toMatchObject({ now: "950", held: "300" });
    expect((await call("POST", `/v1/approvals/${waiting.json.approval.id}/deny`, { headers: key(p.apiKey), body: {} })).status).toBe(200);
    expect(await usd()).toMatchObject({ now: "950", held: "0" });
  });

  it("a session's freeze cancels the approvals waiting beneath it", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, {
      limits: { budgets: [{ asset: "USD", amount: "1000" }], approval: { over: [{ asset: "USD", amount: "100" }] } },
    });
    const child = await delegate(a, { limits: { budgets: [{ asset: "USD", amount: "500" }] } });
    const waiting = await spend(child, "USD", "300");
    expect(waiting.status, waiting.text).toBe(202);
    expect((await call("POST", `/v1/sessions/${a.session.id}/freeze`, { headers: key(p.apiKey), body: {} })).status).toBe(200);
    const after = await call("GET", `/v1/approvals/${waiting.json.approval.id}`, { headers: key(p.apiKey) });
    expect(after.json.status).toBe("canceled");
    const view = await call("GET", `/v1/sessions/${a.session.id}`, { headers: key(p.apiKey) });
    expect(view.json.counters.budgets[0]).toMatchObject({ spent: "0", held: "0" });
  });

  it("the principal's freeze makes every figure 0 until it unfreezes", async () => {
    const p = await createPrincipal("Gov", 40 * 86_400);
    await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "70" }] } });
    const figures = async () => (await call("GET", "/v1/exposure", { headers: key(p.apiKey) })).json.assets[0].now;
    expect(await figures()).toBe("70");
    await call("POST", "/v1/freeze", { headers: key(p.apiKey), body: {} });
    expect(await figures()).toBe("0");
    await call("POST", "/v1/unfreeze", { headers: key(p.apiKey), body: {} });
    expect(await figures()).toBe("70");
  });

  it("refuses without a valid API key, and never shows another principal's trees", async () => {
    expect(problemName(await call("GET", "/v1/exposure"))).toBe("unauthenticated");
    const p = await createPrincipal("Gov", 40 * 86_400);
    await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "70" }] } });
    const other = await createPrincipal();
    const r = await call("GET", "/v1/exposure", { headers: key(other.apiKey) });
    expect(r.json).toMatchObject({ trees: { total: 0, live: 0 }, assets: [], holders: [] });
  });
});

describe("bulk revocation", () => {
  it("the dry run names exactly what the real run revokes, cascading, and the exposure that would remain", async () => {
    const p = await createPrincipal("Gov", 40 * 86_400);
    const budgets = { budgets: [{ asset: "USD", amount: "100" }] };
    const a1 = await grant(p.apiKey, { label: "batch", limits: budgets });
    const a1child = await delegate(a1, { label: "under" });
    const a2 = await grant(p.apiKey, { label: "batch", limits: budgets });
    const keep = await grant(p.apiKey, { label: "keep", limits: budgets });
    const body = { filter: { label: "batch" }, dry_run: true };
    const dry = await call("POST", "/v1/sessions/revoke", { headers: key(p.apiKey), body });
    expect(dry.status, dry.text).toBe(200);
    const expected = [a1.session.id, a1child.session.id, a2.session.id].sort();
    expect(dry.json).toMatchObject({ object: "bulk_revocation", dry_run: true, count: 3, ids: expected });
    expect(dry.json.exposure.assets).toEqual([expect.objectContaining({ asset: "USD", now: "100" })]);
    // Nothing changed.
    expect((await spend(a1child, "USD", "1")).status).toBe(200);

    const real = await call("POST", "/v1/sessions/revoke", { headers: { ...key(p.apiKey), "idempotency-key": "bulk-1" }, body: { filter: { label: "batch" } } });
    expect(real.json).toMatchObject({ dry_run: false, count: 3, ids: expected, exposure: null });
    for (const s of [a1, a1child, a2]) expect(problemName(await spend(s, "USD", "1"))).toBe("session-revoked");
    expect((await spend(keep, "USD", "1")).status).toBe(200);
    // The same key replays the answer; a second real run finds nothing left.
    const replay = await call("POST", "/v1/sessions/revoke", { headers: { ...key(p.apiKey), "idempotency-key": "bulk-1" }, body: { filter: { label: "batch" } } });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json.count).toBe(3);
    expect((await call("POST", "/v1/sessions/revoke", { headers: key(p.apiKey), body: { filter: { label: "batch" } } })).json.count).toBe(0);
  });

  it("by idle time: only sessions with no authorization or hold for the period", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
    const p = await createPrincipal("Gov", 40 * 86_400);
    const budgets = { budgets: [{ asset: "USD", amount: "100" }] };
    const idle = await grant(p.apiKey, { expires_at: at(T0 + 20 * DAY), limits: budgets });
    const busy = await grant(p.apiKey, { expires_at: at(T0 + 20 * DAY), limits: budgets });
    vi.setSystemTime(T0 + 6 * DAY);
    expect((await spend(busy, "USD", "1")).status).toBe(200);
    vi.setSystemTime(T0 + 8 * DAY);
    const dry = await call("POST", "/v1/sessions/revoke", { headers: key(p.apiKey), body: { filter: { idle_for: "P7D" }, dry_run: true } });
    expect(dry.json.ids).toEqual([idle.session.id]);
    const real = await call("POST", "/v1/sessions/revoke", { headers: key(p.apiKey), body: { filter: { idle_for: "P7D" } } });
    expect(real.json.ids).toEqual(dry.json.ids);
  });

  it("refuses an empty filter, unknown fields and bad durations, naming field and rule", async () => {
    const p = await createPrincipal("Gov", 40 * 86_400);
    const empty = await call("POST", "/v1/sessions/revoke", { headers: key(p.apiKey), body: { filter: {}, dry_run: true } });
    expect(empty.status).toBe(400);
    expect(empty.json.errors).toEqual([expect.objectContaining({ field: "filter", rule: "empty_filter" })]);
    const unknown = await call("POST", "/v1/sessions/revoke", { headers: key(p.apiKey), body: { filter: { colour: "red" } } });
    expect(unknown.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: "filter.colour", rule: "unknown_field" })]));
    const duration = await call("POST", "/v1/sessions/revoke", { headers: key(p.apiKey), body: { filter: { idle_for: "7d" } } });
    expect(duration.json.errors).toEqual([expect.objectContaining({ field: "filter.idle_for", rule: "iso_duration" })]);
  });

  it("/v1/sessions/revoke is never read as a session id; another principal's sessions are never reached", async () => {
    const p = await createPrincipal("Gov", 40 * 86_400);
    const mine = await grant(p.apiKey, { label: "mine" });
    const other = await createPrincipal();
    const r = await call("POST", "/v1/sessions/revoke", { headers: key(other.apiKey), body: { filter: { label: "mine" } } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.count).toBe(0);
    expect((await agentCall(mine, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(200);
    expect(problemName(await call("GET", "/v1/sessions/revoke", { headers: key(p.apiKey) }))).toBe("validation-failed");
    expect(problemName(await call("POST", "/v1/sessions/revoke", { body: { filter: { label: "mine" } } }))).toBe("unauthenticated");
  });
});

describe("the agent's panic button", () => {
  it("revokes its own session and everything beneath it, never an ancestor", async () => {
    const p = await createPrincipal("Gov", 40 * 86_400);
    const root = await grant(p.apiKey);
    const child = await delegate(root);
    const grandchild = await delegate(child);
    const r = await agentCall(child, "POST", "/v1/session/revoke", {});
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ session: child.session.id, revoked: 2 });
    expect(problemName(await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE }))).toBe("session-revoked");
    expect(problemName(await agentCall(grandchild, "POST", "/v1/authorize", { scope: SCOPE }))).toBe("session-revoked");
    expect((await agentCall(root, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(200);
    // Pressing it again gives nothing more back, and is not an error.
    expect((await agentCall(child, "POST", "/v1/session/revoke", {})).json).toEqual({ session: child.session.id, revoked: 0 });
  });

  it("needs the agent's own proof: a bearer key or a forged proof cannot press it", async () => {
    const p = await createPrincipal("Gov", 40 * 86_400);
    const root = await grant(p.apiKey);
    const bearer = await call("POST", "/v1/session/revoke", { headers: key(p.apiKey), body: {} });
    expect(bearer.status).toBe(401);
    expect(problemName(bearer)).toBe("invalid-token");
    const forged = await agentCall(root, "POST", "/v1/session/revoke", {}, { signer: generateAgentKey() });
    expect(problemName(forged)).toBe("invalid-proof");
    expect((await agentCall(root, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(200);
  });
});

describe("a session's own freeze switch", () => {
  it("freezes the session and everything beneath, apart from the principal's switch", async () => {
    const p = await createPrincipal("Gov", 40 * 86_400);
    const root = await grant(p.apiKey);
    const child = await delegate(root);
    const grandchild = await delegate(child);
    const frozen = await call("POST", `/v1/sessions/${child.session.id}/freeze`, { headers: key(p.apiKey), body: {} });
    expect(frozen.status, frozen.text).toBe(200);
    expect(frozen.json).toMatchObject({ status: "frozen", frozen_by: ["session"] });
    const refused = await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE });
    expect(refused.status).toBe(403);
    expect(problemName(refused)).toBe("session-frozen");
    expect(refused.json.receipt).toMatch(/^rcp_/);
    expect(problemName(await agentCall(grandchild, "POST", "/v1/authorize", { scope: SCOPE }))).toBe("session-frozen");
    expect((await call("GET", `/v1/sessions/${grandchild.session.id}`, { headers: key(p.apiKey) })).json.frozen_by).toEqual(["ancestor"]);
    expect((await agentCall(root, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(200);

    // The principal's switch on and off leaves the session's own switch on.
    await call("POST", "/v1/freeze", { headers: key(p.apiKey), body: {} });
    expect((await call("GET", `/v1/sessions/${child.session.id}`, { headers: key(p.apiKey) })).json.frozen_by).toEqual(["principal", "session"]);
    await call("POST", "/v1/unfreeze", { headers: key(p.apiKey), body: {} });
    expect(problemName(await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE }))).toBe("session-frozen");
    expect((await agentCall(root, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(200);

    // Its own unfreeze: it works again, and so does everything beneath.
    const thawed = await call("POST", `/v1/sessions/${child.session.id}/unfreeze`, { headers: key(p.apiKey), body: {} });
    expect(thawed.json.status).toBe("active");
    expect(thawed.json).not.toHaveProperty("frozen_by");
    expect((await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(200);
    expect((await agentCall(grandchild, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(200);
  });

  it("a root's switch stops the whole tree; another principal cannot touch it", async () => {
    const p = await createPrincipal("Gov", 40 * 86_400);
    const root = await grant(p.apiKey);
    const child = await delegate(root);
    const other = await createPrincipal();
    expect(problemName(await call("POST", `/v1/sessions/${root.session.id}/freeze`, { headers: key(other.apiKey), body: {} }))).toBe("not-found");
    expect((await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(200);
    await call("POST", `/v1/sessions/${root.session.id}/freeze`, { headers: key(p.apiKey), body: {} });
    expect(problemName(await agentCall(root, "POST", "/v1/authorize", { scope: SCOPE }))).toBe("session-frozen");
    expect(problemName(await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE }))).toBe("session-frozen");
    expect(problemName(await call("POST", "/v1/sessions/ses_nope/freeze", { headers: key(p.apiKey), body: {} }))).toBe("validation-failed");
  });
});

describe("listing sessions", () => {
  async function fleet() {
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
    const p = await createPrincipal("Gov", 40 * 86_400);
    const roots: Agent[] = [];
    for (let i = 0; i < 5; i++) {
      vi.setSystemTime(T0 + i * 1000);
      roots.push(await grant(p.apiKey, { label: i % 2 === 0 ? "even" : "odd", expires_at: at(T0 + (i + 1) * HOUR) }));
    }
    vi.setSystemTime(T0 + 10_000);
    const child = await delegate(roots[0]!, { label: "child" });
    vi.setSystemTime(T0 + 11_000);
    return { p, roots, child };
  }

  it("pages through every session of every tree, newest first, with a composite cursor", async () => {
    const { p, roots, child } = await fleet();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: Awaited<ReturnType<typeof call>> = await call("GET", `/v1/sessions?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { headers: key(p.apiKey) });
      expect(r.status, r.text).toBe(200);
      seen.push(...ids(r));
      cursor = r.json.next_cursor;
      expect(r.json.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([child.session.id, ...[...roots].reverse().map((r) => r.session.id)]);
    const first = await call("GET", "/v1/sessions?limit=1", { headers: key(p.apiKey) });
    expect(first.json.data[0]).toMatchObject({ id: child.session.id, last_used_at: null, counters: expect.any(Object) });
  });

  it("filters by root, depth, label, agent, status, created and expiry times, and idle time", async () => {
    const { p, roots, child } = await fleet();
    const list = async (q: string) => {
      const r = await call("GET", `/v1/sessions?limit=100&${q}`, { headers: key(p.apiKey) });
      expect(r.status, r.text).toBe(200);
      return ids(r);
    };
    const rootIds = [...roots].reverse().map((r) => r.session.id);
    expect(await list("root=true")).toEqual(rootIds);
    expect(await list("root=false")).toEqual([child.session.id]);
    expect(await list("depth=1")).toEqual([child.session.id]);
    expect(await list("label=odd")).toEqual([roots[3]!.session.id, roots[1]!.session.id]);
    expect(await list(`agent=${roots[2]!.session.agent_jkt}`)).toEqual([roots[2]!.session.id]);
    expect(await list(`created_after=${at(T0 + 2500)}`)).toEqual([child.session.id, roots[4]!.session.id, roots[3]!.session.id]);
    expect(await list(`created_before=${at(T0 + 1500)}`)).toEqual([roots[1]!.session.id, roots[0]!.session.id]);
    expect(await list(`expires_before=${at(T0 + 2.5 * HOUR)}&root=true`)).toEqual([roots[1]!.session.id, roots[0]!.session.id]);
    expect(await list(`expires_after=${at(T0 + 4.5 * HOUR)}`)).toEqual([roots[4]!.session.id]);
    await call("POST", `/v1/sessions/${roots[3]!.session.id}/revoke`, { headers: key(p.apiKey), body: {} });
    expect(await list("status=revoked")).toEqual([roots[3]!.session.id]);
    expect(await list("status=active&label=odd")).toEqual([roots[1]!.session.id]);
    vi.setSystemTime(T0 + 20 * 60_000);
    expect(await agentCall(roots[4]!, "POST", "/v1/authorize", { scope: SCOPE })).toMatchObject({ status: 200 });
    vi.setSystemTime(T0 + 31 * 60_000);
    expect(await list("idle_for=PT30M&status=active")).toEqual([child.session.id, roots[2]!.session.id, roots[1]!.session.id, roots[0]!.session.id]);
    expect((await call("GET", `/v1/sessions?limit=1&agent=${roots[4]!.session.agent_jkt}`, { headers: key(p.apiKey) })).json.data[0].last_used_at).toBe(
      at(T0 + 20 * 60_000),
    );
  });

  it("a tree whose root expired lists under expired, never under active, pending or frozen (the principal skips it)", async () => {
    const { p, roots, child } = await fleet();
    vi.setSystemTime(T0 + 2.5 * HOUR); // roots 0 and 1 (and the child of root 0) have expired
    const list = async (q: string) => ids(await call("GET", `/v1/sessions?limit=100&${q}`, { headers: key(p.apiKey) }));
    expect(await list("status=active")).toEqual([roots[4]!.session.id, roots[3]!.session.id, roots[2]!.session.id]);
    expect(await list("status=expired")).toEqual([child.session.id, roots[1]!.session.id, roots[0]!.session.id]);
    expect(await list("status=pending")).toEqual([]);
    expect(await list(`expires_after=${at(T0 + HOUR - 1)}&root=false`)).toEqual([child.session.id]);
    expect(await list(`expires_after=${at(T0 + HOUR)}`)).toEqual([roots[4]!.session.id, roots[3]!.session.id, roots[2]!.session.id, roots[1]!.session.id]);
  });

  it("refuses bad filters and cursors naming field and rule; another principal sees nothing", async () => {
    const p = await createPrincipal("Gov", 40 * 86_400);
    await grant(p.apiKey);
    const bad = async (q: string) => (await call("GET", `/v1/sessions?${q}`, { headers: key(p.apiKey) })).json.errors?.[0];
    expect(await bad("idle_for=7d")).toMatchObject({ field: "idle_for", rule: "iso_duration" });
    expect(await bad("cursor=nonsense")).toMatchObject({ field: "cursor", rule: "unknown_cursor" });
    expect(await bad("status=sleeping")).toMatchObject({ field: "status" });
    expect(await bad("created_after=yesterday")).toMatchObject({ field: "created_after" });
    const other = await createPrincipal();
    expect((await call("GET", "/v1/sessions", { headers: key(other.apiKey) })).json.data).toEqual([]);
    expect(problemName(await call("GET", "/v1/sessions"))).toBe("unauthenticated");
  });
});

describe("listing receipts", () => {
  it("every tree's receipts, newest first, paged, filtered by session, kind and outcome", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
    const p = await createPrincipal("Gov", 40 * 86_400);
    const budgets = { budgets: [{ asset: "USD", amount: "100" }] };
    const a = await grant(p.apiKey, { limits: budgets });
    const b = await grant(p.apiKey, { limits: budgets });
    const made: string[] = [];
    for (const [i, s] of [a, b, a, b].entries()) {
      vi.setSystemTime(T0 + (i + 1) * 1000);
      made.push((await spend(s, "USD", "1")).json.receipt.receipt.id);
    }
    vi.setSystemTime(T0 + 5000);
    const denied = await agentCall(b, "POST", "/v1/authorize", { scope: "http:POST:elsewhere.example/x" });
    expect(problemName(denied)).toBe("scope-denied");
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const r: Awaited<ReturnType<typeof call>> = await call("GET", `/v1/receipts?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { headers: key(p.apiKey) });
      expect(r.status, r.text).toBe(200);
      all.push(...r.json.data.map((x: { receipt: { id: string } }) => x.receipt.id));
      cursor = r.json.next_cursor;
    } while (cursor);
    expect(all).toEqual([denied.json.receipt, ...[...made].reverse()]);
    const list = async (q: string) =>
      (await call("GET", `/v1/receipts?${q}`, { headers: key(p.apiKey) })).json.data.map((x: { receipt: { id: string } }) => x.receipt.id);
    expect(await list("outcome=denied")).toEqual([denied.json.receipt]);
    expect(await list("outcome=allowed")).toEqual([...made].reverse());
    expect(await list("kind=authorize")).toEqual([...made].reverse());
    expect(await list(`session=${a.session.id}`)).toEqual([made[2], made[0]]);
    expect(await list(`created_after=${at(T0 + 2500)}&created_before=${at(T0 + 4500)}`)).toEqual([made[3], made[2]]);
    const other = await createPrincipal();
    expect((await call("GET", `/v1/receipts?session=${a.session.id}`, { headers: key(other.apiKey) })).json.data).toEqual([]);
  });
});

describe("listing across many trees", () => {
  const TREES = 6;
  /** Newest first by (created_at, id): the listings' order. */
  const newestFirst = (a: { at: number; id: string }, b: { at: number; id: string }) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

  /** Every page of `path` with `limit`, each entry's id as `idOf` reads it. */
  async function everyPage(apiKey: string, path: string, limit: number, idOf: (x: any) => string): Promise<{ seen: string[]; pages: number }> {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes("?") ? "&" : "?";
      const r: Awaited<ReturnType<typeof call>> = await call("GET", `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, { headers: key(apiKey) });
      expect(r.status, r.text).toBe(200);
      seen.push(...r.json.data.map(idOf));
      cursor = r.json.next_cursor;
      expect(r.json.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    return { seen, pages };
  }

  /**
   * Six trees whose sessions and receipts interleave in time, two trees at each instant
   * (equal created_at: the id breaks the tie), a root each then three delegations each.
   */
  async function interleaved() {
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
    const p = await createPrincipal("Gov", 40 * 86_400);
    const sessions: { at: number; id: string }[] = [];
    const receipts: { at: number; id: string }[] = [];
    const roots: Agent[] = [];
    const children: Agent[][] = [];
    const instant = (round: number, t: number) => T0 + round * 1000 + Math.floor(t / 2);
    for (let t = 0; t < TREES; t++) {
      vi.setSystemTime(instant(0, t));
      roots.push(await grant(p.apiKey, { expires_at: at(T0 + 2 * HOUR) }));
      children.push([]);
      sessions.push({ at: instant(0, t), id: roots[t]!.session.id });
    }
    for (let round = 1; round <= 3; round++)
      for (let t = 0; t < TREES; t++) {
        vi.setSystemTime(instant(round, t));
        const child = await delegate(roots[t]!);
        children[t]!.push(child);
        sessions.push({ at: instant(round, t), id: child.session.id });
        const r = await agentCall(roots[t]!, "POST", "/v1/authorize", { scope: SCOPE });
        expect(r.status, r.text).toBe(200);
        receipts.push({ at: instant(round, t), id: r.json.receipt.receipt.id });
      }
    vi.setSystemTime(T0 + 10_000);
    return { p, roots, children, sessions: sessions.sort(newestFirst), receipts: receipts.sort(newestFirst) };
  }

  it("pages every session of every tree exactly once, newest first, whatever the page size", async () => {
    const { p, sessions } = await interleaved();
    const expected = sessions.map((s) => s.id);
    for (const limit of [1, 5, 7, 24, 100]) {
      const { seen, pages } = await everyPage(p.apiKey, "/v1/sessions", limit, (s) => s.id);
      expect(seen, `limit ${limit}`).toEqual(expected);
      expect(pages).toBe(Math.max(1, Math.ceil(expected.length / limit)));
    }
  });

  it("pages every receipt of every tree exactly once, newest first", async () => {
    const { p, receipts } = await interleaved();
    const expected = receipts.map((r) => r.id);
    for (const limit of [1, 4, 18, 100]) {
      const { seen } = await everyPage(p.apiKey, "/v1/receipts", limit, (r) => r.receipt.id);
      expect(seen, `limit ${limit}`).toEqual(expected);
    }
    const page = await call("GET", "/v1/receipts?limit=1", { headers: key(p.apiKey) });
    expect(page.json.data[0]).toMatchObject({ receipt: { id: expected[0] }, signature: expect.any(String), leaf_hash: expect.any(String) });
  });

  it("pages a status filter across trees: a revoked tree and a revoked subtree are never listed as active", async () => {
    const { p, roots, children, sessions } = await interleaved();
    expect((await call("POST", `/v1/sessions/${roots[1]!.session.id}/revoke`, { headers: key(p.apiKey), body: {} })).status).toBe(200);
    expect((await call("POST", `/v1/sessions/${children[4]![0]!.session.id}/revoke`, { headers: key(p.apiKey), body: {} })).status).toBe(200);
    const revoked = new Set([roots[1]!.session.id, ...children[1]!.map((c) => c.session.id), children[4]![0]!.session.id]);
    const active = await everyPage(p.apiKey, "/v1/sessions?status=active", 3, (s) => s.id);
    expect(active.seen).toEqual(sessions.filter((s) => !revoked.has(s.id)).map((s) => s.id));
    const gone = await everyPage(p.apiKey, "/v1/sessions?status=revoked", 2, (s) => s.id);
    expect(gone.seen).toEqual(sessions.filter((s) => revoked.has(s.id)).map((s) => s.id));
  });

  it("pages exactly when one tree holds most entries: that tree is asked again for a full page", async () => {
    const { p, roots, receipts } = await interleaved();
    const busy: { at: number; id: string }[] = [];
    for (let i = 0; i < 12; i++) {
      vi.setSystemTime(T0 + 20_000 + i);
      const r = await agentCall(roots[2]!, "POST", "/v1/authorize", { scope: SCOPE });
      busy.push({ at: T0 + 20_000 + i, id: r.json.receipt.receipt.id });
    }
    const expected = [...busy, ...receipts].sort(newestFirst).map((r) => r.id);
    for (const limit of [3, 10, 13]) {
      const { seen } = await everyPage(p.apiKey, "/v1/receipts", limit, (r) => r.receipt.id);
      expect(seen, `limit ${limit}`).toEqual(expected);
    }
  });

  it("a tree granted while paging never makes a page repeat or skip an entry", async () => {
    const { p, sessions } = await interleaved();
    const first = await call("GET", "/v1/sessions?limit=10", { headers: key(p.apiKey) });
    vi.setSystemTime(T0 + 20_000);
    await grant(p.apiKey);
    const seen: string[] = first.json.data.map((s: { id: string }) => s.id);
    let cursor: string | null = first.json.next_cursor;
    while (cursor) {
      const r: Awaited<ReturnType<typeof call>> = await call("GET", `/v1/sessions?limit=10&cursor=${cursor}`, { headers: key(p.apiKey) });
      seen.push(...r.json.data.map((s: { id: string }) => s.id));
      cursor = r.json.next_cursor;
    }
    expect(seen).toEqual(sessions.map((s) => s.id));
  });
});
