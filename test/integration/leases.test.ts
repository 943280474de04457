/**
 * Budget leases: a child delegated with `placement: "own_object"` lives in a Durable Object
 * of its own and spends under slices of its ancestors' budgets, reserved in the parent's
 * counters like holds. Against the real worker and real objects.
 */
import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { generateAgentKey } from "@remit/sdk/keys";
import { describe, expect, it } from "vitest";
import { treeKey } from "../../src/core/tree-ids";
import { agentCall, call, createPrincipal, delegate, grant, problemName, type Agent } from "../support/harness";

const SCOPE = "http:GET:api.example.com/v1/pay";
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
const spend = (a: Agent, value: number | string) => agentCall(a, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: String(value) } });

async function view(apiKey: string, id: string) {
  const r = await call("GET", `/v1/sessions/${id}`, { headers: bearer(apiKey) });
  expect(r.status, r.text).toBe(200);
  return r.json;
}

/** Every receipt of a session in its object, paged. */
async function receiptsOf(apiKey: string, sessionId: string) {
  const all: any[] = [];
  let after: string | undefined;
  for (;;) {
    const r = await call("GET", `/v1/sessions/${sessionId}/receipts?limit=100${after ? `&starting_after=${after}` : ""}`, { headers: bearer(apiKey) });
    expect(r.status, r.text).toBe(200);
    all.push(...r.json.data);
    if (!r.json.has_more) return all;
    after = r.json.data.at(-1).receipt.id;
  }
}

const spentByReceipts = (rs: any[]) =>
  rs.filter((r) => r.receipt.kind === "authorize" || r.receipt.kind === "capture").reduce((sum, r) => sum + BigInt(r.receipt.amount ?? "0"), 0n);

/** The tree object holding `id` (a session's id carries its object's key), untyped for test-only reads and writes. */
const objectOf = (id: string) => env.SESSION_TREE.get(env.SESSION_TREE.idFromName(treeKey(id)));

/** Runs SQL in the object holding `id`, then drops its in-memory copies (as a restart would), so the next call reads SQLite. */
async function inObject(id: string, ...statements: [string, ...SqlStorageValue[]][]) {
  await runInDurableObject(objectOf(id), async (instance, state) => {
    for (const [q, ...args] of statements) state.storage.sql.exec(q, ...args);
    (instance as unknown as { tree: { forgetCopies(): void } }).tree.forgetCopies();
  });
}

/** Runs the alarm of the object holding `id` now. */
const alarmOf = (id: string) =>
  runInDurableObject(objectOf(id), async (instance) => {
    await (instance as unknown as { alarm(): Promise<void> }).alarm();
  });

/** A small deterministic generator, so a failing seed can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function leasedFamily(budget: string, children: number) {
  const p = await createPrincipal();
  const root = await grant(p.apiKey, { scopes: ["http:GET:api.example.com/*"], limits: { budgets: [{ asset: "USD", amount: budget }] } });
  const kids: Agent[] = [];
  for (let i = 0; i < children; i++) kids.push(await delegate(root, { placement: "own_object" }));
  return { p, root, kids };
}

describe("placement in an object of its own", () => {
  it("routes the child to an object of its own, and its spends are debited from a slice reserved in the parent", async () => {
    const { p, root, kids } = await leasedFamily("1000", 1);
    const child = kids[0]!;
    expect(treeKey(child.session.id)).not.toBe(treeKey(root.session.id));
    const r = await spend(child, 7);
    expect(r.status, r.text).toBe(200);
    expect(r.json.receipt.receipt).toMatchObject({ kind: "authorize", amount: "7", session: child.session.id });

    // The parent's counter holds the lease (spent there as reported, the rest held): spent + held never below what the child spent.
    const rootView = await view(p.apiKey, root.session.id);
    const c = rootView.counters.budgets[0];
    expect(BigInt(c.spent) + BigInt(c.held)).toBeGreaterThanOrEqual(7n);
    expect(BigInt(c.spent) + BigInt(c.held)).toBeLessThanOrEqual(1000n);

    // The child's own view (its own budget, inherited) is served by its object; the parent's tree records the lease.
    const childView = await view(p.apiKey, child.session.id);
    expect(childView.counters.budgets[0]).toMatchObject({ limit: "1000", spent: "7" });
    const tree = await call("GET", `/v1/sessions/${root.session.id}/tree`, { headers: bearer(p.apiKey) });
    const leased = tree.json.descendants.find((d: any) => d.id === child.session.id);
    expect(leased.lease).toMatchObject({ object: "lease", state: "open", requests: 1 });
    expect(BigInt(leased.lease.slices[0].granted)).toBeGreaterThanOrEqual(7n);
  });

  it("keeps delegations inside the leased object, with their own budgets", async () => {
    const { root, kids } = await leasedFamily("1000", 1);
    const grandchild = await delegate(kids[0]!, { limits: { budgets: [{ asset: "USD", amount: "20" }] } });
    expect(treeKey(grandchild.session.id)).toBe(treeKey(kids[0]!.session.id));
    expect((await spend(grandchild, 15)).status).toBe(200);
    const over = await spend(grandchild, 6);
    expect(over.status).toBe(403);
    expect(problemName(over)).toBe("budget-exceeded");
    expect(over.json.session).toBe(grandchild.session.id);
    expect(treeKey(root.session.id)).not.toBe(treeKey(grandchild.session.id));
  });

  it("refuses a spend past the root budget, across the parent and its leased children", async () => {
    const { root, kids } = await leasedFamily("100", 2);
    expect((await spend(kids[0]!, 60)).status).toBe(200);
    expect((await spend(root, 30)).status).toBe(200);
    const over = await spend(kids[1]!, 11);
    expect(over.status, over.text).toBe(403);
    expect(problemName(over)).toBe("budget-exceeded");
    expect((await spend(kids[1]!, 10)).status).toBe(200);
    expect((await spend(kids[0]!, 1)).status).toBe(403);
  });
});

describe("the root's default for hot subtrees", () => {
  it("a grant with child_placement own_object places the root's children in objects of their own unless a delegation says otherwise", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey, { child_placement: "own_object", limits: { budgets: [{ asset: "USD", amount: "100" }] } });
    const hot = await delegate(root, {});
    const near = await delegate(root, { placement: "same_object" });
    expect(treeKey(hot.session.id)).not.toBe(treeKey(root.session.id));
    expect(treeKey(near.session.id)).toBe(treeKey(root.session.id));
    // Only the root's children: a child's own delegations stay in its object.
    expect(treeKey((await delegate(hot, {})).session.id)).toBe(treeKey(hot.session.id));
    expect(treeKey((await delegate(near, {})).session.id)).toBe(treeKey(root.session.id));
    expect((await spend(hot, 100)).status).toBe(200);
    expect(problemName(await spend(near, 1))).toBe("budget-exceeded");
  });

  it("refuses child_placement own_object on a root that limits calls or rate", async () => {
    const p = await createPrincipal();
    const r = await call("POST", "/v1/sessions", {
      headers: bearer(p.apiKey),
      body: {
        agent_jwk: generateAgentKey().publicJwk,
        scopes: [SCOPE],
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        limits: { rate: { requests: 10, per_seconds: 1 } },
        child_placement: "own_object",
      },
    });
    expect(r.status, r.text).toBe(400);
    expect(r.json.errors[0]).toMatchObject({ field: "child_placement", rule: "root_counts_calls" });
  });
});

describe("errors", () => {
  it("refuses own_object under an ancestor that limits calls or rate, naming the field and how to fix it", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey, { limits: { calls: 100, budgets: [{ asset: "USD", amount: "100" }] } });
    const r = await agentCall(root, "POST", "/v1/delegations", { agent_jwk: generateAgentKey().publicJwk, scopes: root.session.scopes, placement: "own_object" });
    expect(r.status).toBe(400);
    expect(r.json.errors[0]).toMatchObject({ field: "placement", rule: "ancestor_counts_calls" });
  });

  it("refuses a placement that is not a known value", async () => {
    const { root } = await leasedFamily("100", 0);
    const r = await agentCall(root, "POST", "/v1/delegations", { agent_jwk: root.key.publicJwk, scopes: root.session.scopes, placement: "elsewhere" });
    expect(r.status).toBe(400);
    expect(r.json.errors[0].field).toBe("placement");
  });

  it("refuses own_object inside a leased object (its subtree delegates within it)", async () => {
    const { kids } = await leasedFamily("100", 1);
    const r = await agentCall(kids[0]!, "POST", "/v1/delegations", { agent_jwk: kids[0]!.key.publicJwk, scopes: kids[0]!.session.scopes, placement: "own_object" });
    expect(r.status).toBe(400);
    expect(r.json.errors[0]).toMatchObject({ field: "placement", rule: "nested_lease" });
  });
});

describe("security: invariant 1 across leased objects", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`8 leased children racing for one root budget spend exactly ⌊B/a⌋ (seed ${seed})`, async () => {
      const next = rng(seed);
      const a = 1 + Math.floor(next() * 9);
      const B = 200 + Math.floor(next() * 300);
      const { p, root, kids } = await leasedFamily(String(B), 8);
      let ok = 0;
      // Each child spends 3 requests at a time until refused: a refusal means the whole budget,
      // every lease included, cannot cover one more (nothing frees budget here), so every lane stops.
      await Promise.all(
        kids.flatMap((k) =>
          Array.from({ length: 3 }, async () => {
            for (;;) {
              const r = await spend(k, a);
              if (r.status !== 200) {
                expect(problemName(r), r.text).toBe("budget-exceeded");
                return;
              }
              ok++;
            }
          }),
        ),
      );
      expect(ok).toBe(Math.floor(B / a));
      // What the receipts say was spent is what the root's counter says, once every lease is settled.
      let receipted = 0n;
      for (const k of kids) receipted += spentByReceipts(await receiptsOf(p.apiKey, k.session.id));
      expect(receipted).toBe(BigInt(Math.floor(B / a) * a));
      const c = (await view(p.apiKey, root.session.id)).counters.budgets[0];
      expect(BigInt(c.spent) + BigInt(c.held)).toBeLessThanOrEqual(BigInt(B));
      expect(BigInt(c.spent) + BigInt(c.held)).toBeGreaterThanOrEqual(receipted);
    });
  }
});

describe("security: invariant 3 with leased descendants", () => {
  it("no spend in a leased object succeeds once the ancestor's revocation returned", async () => {
    const { p, root, kids } = await leasedFamily("100000", 4);
    const grandchildren = await Promise.all(kids.map((k) => delegate(k, {})));
    const spenders = [...kids, ...grandchildren];
    let revokedAt = 0;
    const late: string[] = [];
    const burst = Promise.all(
      spenders.map(async (s) => {
        for (let i = 0; i < 25; i++) {
          const r = await spend(s, 3);
          const answeredAt = Date.now();
          if (r.status === 200 && revokedAt > 0 && answeredAt > revokedAt + 5) late.push(r.json.receipt.receipt.id);
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 150));
    const rev = await call("POST", `/v1/sessions/${root.session.id}/revoke`, { headers: bearer(p.apiKey) });
    revokedAt = Date.now();
    expect(rev.status, rev.text).toBe(200);
    expect(rev.json.pending_sessions).toBeUndefined();
    await burst;
    // A response may still be on its way when the revocation returns; none may have been decided after it.
    for (const s of spenders) {
      const r = await spend(s, 1);
      expect(r.status, r.text).toBe(401);
      expect(problemName(r)).toBe("session-revoked");
    }
    expect(late).toEqual([]);
    // The revocation brought every lease home: nothing is held for them any more.
    const tree = await call("GET", `/v1/sessions/${root.session.id}/tree`, { headers: bearer(p.apiKey) });
    for (const d of tree.json.descendants) if (d.lease) expect(d.lease.slices.every((s: any) => s.outstanding === "0")).toBe(true);
  });

  it("a refill racing the revocation grants nothing after it", async () => {
    const { p, root, kids } = await leasedFamily("100000", 8);
    const results = await Promise.all([
      ...kids.map((k) => spend(k, 1)),
      call("POST", `/v1/sessions/${root.session.id}/revoke`, { headers: bearer(p.apiKey) }),
      ...kids.map((k) => spend(k, 1)),
    ]);
    expect(results[8]!.status).toBe(200);
    for (const k of kids) expect(problemName(await spend(k, 1))).toBe("session-revoked");
    const c = (await view(p.apiKey, root.session.id)).counters.budgets[0];
    let receipted = 0n;
    for (const k of kids) receipted += spentByReceipts(await receiptsOf(p.apiKey, k.session.id));
    expect(BigInt(c.spent)).toBe(receipted);
    expect(c.held).toBe("0");
  });
});

describe("a leased object's lifetime", () => {
  it("settles a lapsed lease whose amounts are past 64 bits (an 18-decimal token's wei)", async () => {
    const { p, root, kids } = await leasedFamily("1" + "0".repeat(30), 1);
    const wei = "20000000000000000000"; // 20 tokens of 18 decimals: more than SQLite's INTEGER holds
    expect((await spend(kids[0]!, wei)).status).toBe(200);
    // A renewal carries the report: the parent's slice then records a spent past 64 bits too.
    await inObject(kids[0]!.session.id, ["UPDATE meta SET value = '1' WHERE key = 'lease_valid_until'"]);
    expect((await spend(kids[0]!, wei)).status).toBe(200);
    const before = (await view(p.apiKey, root.session.id)).counters.budgets[0];
    expect(before.spent).toBe(wei);
    expect(BigInt(before.held)).toBeGreaterThan(0n);
    await inObject(root.session.id, ["UPDATE leases SET valid_until = 1"]);
    await alarmOf(root.session.id);
    const after = (await view(p.apiKey, root.session.id)).counters.budgets[0];
    expect(after).toMatchObject({ spent: (2n * BigInt(wei)).toString(), held: "0" });
  });

  it("a leased session revoked in its own object (its agent's panic button) closes its lease and shows revoked on the parent's row", async () => {
    const { p, root, kids } = await leasedFamily("1000", 2);
    expect((await spend(kids[0]!, 5)).status).toBe(200);
    const panic = await agentCall(kids[0]!, "POST", "/v1/session/revoke", {});
    expect(panic.status, panic.text).toBe(200);
    const tree = await call("GET", `/v1/sessions/${root.session.id}/tree`, { headers: bearer(p.apiKey) });
    const row = tree.json.descendants.find((d: any) => d.id === kids[0]!.session.id);
    expect(row.status).toBe("revoked");
    expect(row.lease.state).toBe("closed");
    expect(row.lease.slices[0]).toMatchObject({ spent: "5", outstanding: "0" });
    // The budget it held came home: the sibling can spend all the rest.
    expect((await spend(kids[1]!, 995)).status).toBe(200);
    expect(problemName(await spend(kids[1]!, 1))).toBe("budget-exceeded");
  });

  it("gives back what it holds unused when the parent settles it (idle, lapsed), and the parent's counter equals its receipts", async () => {
    const { p, root, kids } = await leasedFamily("100000", 2);
    for (const k of kids) for (let i = 0; i < 5; i++) expect((await spend(k, 2)).status).toBe(200);
    const before = (await view(p.apiKey, root.session.id)).counters.budgets[0];
    expect(BigInt(before.held)).toBeGreaterThan(0n);
    // Make both leases lapse (as 30 s without renewal would), then run the parent's alarm.
    await inObject(root.session.id, ["UPDATE leases SET valid_until = 1"]);
    await alarmOf(root.session.id);
    const after = (await view(p.apiKey, root.session.id)).counters.budgets[0];
    expect(after.held).toBe("0");
    expect(after.spent).toBe("20");
    // The child refills on its next spend.
    expect((await spend(kids[0]!, 2)).status).toBe(200);
  });
});

describe("switches reach leased objects", () => {
  it("the principal's freeze stops a leased child before it returns, and the unfreeze lets it act", async () => {
    const { p, kids } = await leasedFamily("1000", 2);
    expect((await spend(kids[0]!, 1)).status).toBe(200);
    expect((await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) })).status).toBe(200);
    for (const k of kids) expect(problemName(await spend(k, 1))).toBe("principal-frozen");
    expect((await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey) })).status).toBe(200);
    for (const k of kids) expect((await spend(k, 1)).status).toBe(200);
  });

  it("an ancestor's own switch reaches the leased objects beneath it before it returns", async () => {
    const { p, root, kids } = await leasedFamily("1000", 2);
    const grandchild = await delegate(kids[1]!, {});
    expect((await spend(grandchild, 1)).status).toBe(200);
    expect((await call("POST", `/v1/sessions/${root.session.id}/freeze`, { headers: bearer(p.apiKey) })).status).toBe(200);
    for (const s of [kids[0]!, grandchild]) {
      const r = await spend(s, 1);
      expect(problemName(r), r.text).toBe("session-frozen");
      expect(r.json.frozen_session).toBe(root.session.id);
    }
    expect((await call("POST", `/v1/sessions/${root.session.id}/unfreeze`, { headers: bearer(p.apiKey) })).status).toBe(200);
    expect((await spend(grandchild, 1)).status).toBe(200);
  });

  it("a lease that lapsed is renewed by the next call, and one its parent will not renew stops by itself", async () => {
    const { p, root, kids } = await leasedFamily("1000", 1);
    const child = kids[0]!;
    expect((await spend(child, 1)).status).toBe(200);
    const requests = async () => (await call("GET", `/v1/sessions/${root.session.id}/tree`, { headers: bearer(p.apiKey) })).json.descendants[0].lease.requests;
    const before = await requests();
    await inObject(child.session.id, ["UPDATE meta SET value = '1' WHERE key = 'lease_valid_until'"]);
    expect((await spend(child, 1)).status).toBe(200);
    expect(await requests()).toBe(before + 1);
    // A freeze the leased object never heard of (as if its push was lost): the renewal is refused, and the child stops.
    await inObject(root.session.id, ["UPDATE sessions SET frozen = 1 WHERE id = ?", root.session.id]);
    await inObject(child.session.id, ["UPDATE meta SET value = '1' WHERE key = 'lease_valid_until'"]);
    const stopped = await spend(child, 1);
    expect(stopped.status, stopped.text).toBe(403);
    expect(problemName(stopped)).toBe("session-frozen");
  });
});

describe("window rollover", () => {
  it("a new window voids the last window's slices on both sides and starts from the whole budget", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey, { scopes: ["http:GET:api.example.com/*"], limits: { budgets: [{ asset: "USD", amount: "100", period: "hour" }] } });
    const kid = await delegate(root, {
      placement: "own_object",
      limits: {
        budgets: [
          { asset: "USD", amount: "100", period: "hour" },
          { asset: "USD", amount: "1000" },
        ],
      },
    });
    expect((await spend(kid, 60)).status).toBe(200);
    expect(problemName(await spend(kid, 41))).toBe("budget-exceeded");
    // Move both sides' hourly counters into the previous hour, as if the window had turned.
    const lastHour = Date.now() - 3600_000;
    await inObject(root.session.id, ["UPDATE budgets SET window_start = ? WHERE session_id = ?", lastHour, root.session.id]);
    await inObject(kid.session.id, ["UPDATE budgets SET window_start = ? WHERE period = 'hour'", lastHour]);
    // The old window's 60 (spent and reserved there) no longer counts: the whole 100 is spendable again, and no more.
    expect((await spend(kid, 100)).status).toBe(200);
    expect(problemName(await spend(kid, 1))).toBe("budget-exceeded");
    const c = (await view(p.apiKey, root.session.id)).counters.budgets[0];
    expect(BigInt(c.spent) + BigInt(c.held)).toBe(100n);
    // The child's own lifetime budget counts both windows.
    const life = (await view(p.apiKey, kid.session.id)).counters.budgets.find((b: any) => b.period === null);
    expect(life.spent).toBe("160");
  });
});

describe("security: a leased object crashing mid-burst", () => {
  it("afterwards the parent's counter equals the sum of the receipts everywhere, and every lease is returned or accounted", async () => {
    const { p, root, kids } = await leasedFamily("1000000", 4);
    let completed = 0;
    let stop = false;
    const lanes = kids.flatMap((k) => [k, k, k]);
    const burst = Promise.all(
      lanes.map(async (k, i) => {
        for (let n = 0; !stop; n++) {
          const status = await spend(k, 1 + ((n + i) % 5)).then(
            (r) => r.status,
            () => 0,
          );
          if (status === 200) completed++;
        }
      }),
    );
    while (completed < 20) await new Promise((r) => setTimeout(r, 10));
    await abortAllDurableObjects();
    while (completed < 45) await new Promise((r) => setTimeout(r, 10));
    await abortAllDurableObjects();
    while (completed < 60) await new Promise((r) => setTimeout(r, 10));
    stop = true;
    await burst;

    let receipted = 0n;
    for (const k of kids) {
      const own = spentByReceipts(await receiptsOf(p.apiKey, k.session.id));
      // Each leased object's own counter is its receipts, exactly.
      expect(BigInt((await view(p.apiKey, k.session.id)).counters.budgets[0].spent)).toBe(own);
      receipted += own;
    }
    // Before settling, the parent never holds less than what was spent under its leases.
    const mid = (await view(p.apiKey, root.session.id)).counters.budgets[0];
    expect(BigInt(mid.spent) + BigInt(mid.held)).toBeGreaterThanOrEqual(receipted);
    // Settled (the leases lapse, the parent's alarm takes them back): spent is the receipts, nothing stays held.
    await inObject(root.session.id, ["UPDATE leases SET valid_until = 1"]);
    await alarmOf(root.session.id);
    const after = (await view(p.apiKey, root.session.id)).counters.budgets[0];
    expect(BigInt(after.spent)).toBe(receipted);
    expect(after.held).toBe("0");
  });
});
