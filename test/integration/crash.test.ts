import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agentCall, call, createPrincipal, delegate, grant, type Agent } from "../support/harness";

const SCOPE = "http:GET:api.example.com/v1/pay";
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

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

/** What the receipts say was spent by a session: authorizations and captures. */
function spentByReceipts(receipts: any[]): bigint {
  return receipts.filter((r) => r.receipt.kind === "authorize" || r.receipt.kind === "capture").reduce((sum, r) => sum + BigInt(r.receipt.amount ?? "0"), 0n);
}

async function counters(apiKey: string, a: Agent) {
  const s = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(apiKey) });
  return { spent: BigInt(s.json.counters.budgets[0].spent), held: BigInt(s.json.counters.budgets[0].held), calls: s.json.counters.calls?.used };
}

describe("a session's receipts", () => {
  it("lists them in order with cursor pagination, denials included", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "100" }] } });
    for (let i = 1; i <= 5; i++) await agentCall(a, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: String(i) } });
    await agentCall(a, "POST", "/v1/authorize", { scope: "http:POST:elsewhere/x" });
    const first = await call("GET", `/v1/sessions/${a.session.id}/receipts?limit=4`, { headers: bearer(p.apiKey) });
    expect(first.json.data).toHaveLength(4);
    expect(first.json.has_more).toBe(true);
    const all = await receiptsOf(p.apiKey, a.session.id);
    expect(all.map((r) => r.receipt.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(all.at(-1).receipt).toMatchObject({ kind: "denial", reason: "scope-denied" });
    expect(spentByReceipts(all)).toBe(15n);
  });

  it("is another principal's 404, and refuses a foreign cursor", async () => {
    const p = await createPrincipal();
    const q = await createPrincipal();
    const a = await grant(p.apiKey);
    const b = await grant(p.apiKey);
    const rb = await agentCall(b, "POST", "/v1/authorize", { scope: SCOPE });
    expect((await call("GET", `/v1/sessions/${a.session.id}/receipts`, { headers: bearer(q.apiKey) })).status).toBe(404);
    const foreign = await call("GET", `/v1/sessions/${a.session.id}/receipts?starting_after=${rb.json.receipt.receipt.id}`, { headers: bearer(p.apiKey) });
    expect(foreign.status).toBe(400);
    expect(foreign.json.errors[0].field).toBe("starting_after");
  });
});

describe("crash and restart in the middle of a spend burst (persisted storage)", () => {
  it("afterwards every counter equals the sum of its receipts, up the whole tree", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey, { scopes: ["http:GET:api.example.com/*"], limits: { calls: 10_000, budgets: [{ asset: "USD", amount: "1000000" }] } });
    const middle = await delegate(root, {});
    const leaves = [await delegate(middle, {}), await delegate(middle, {}), await delegate(root, {})];
    const spenders = [root, middle, ...leaves];

    // Spenders keep spending; the objects crash (storage kept) after the 15th and the 30th
    // completed spend, so each crash lands while requests are in flight.
    let completed = 0;
    let cut = 0;
    let stop = false;
    const lanes = spenders.flatMap((a) => Array.from({ length: 6 }, () => a));
    const burst = Promise.all(
      lanes.map(async (a, k) => {
        for (let i = 0; !stop; i++) {
          const status = await agentCall(a, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: String(1 + ((i + k) % 7)) } }).then(
            (r) => r.status,
            () => 0,
          );
          if (status === 200) completed++;
          else cut++; // cut off by a crash: it may or may not have committed
        }
      }),
    );
    const reach = async (n: number) => {
      for (let t = 0; completed < n && t < 2000; t++) await new Promise((r) => setTimeout(r, 5));
    };
    let crashes = 0;
    for (let point = 15; crashes < 2 || (cut === 0 && crashes < 6); point += 15) {
      await reach(point);
      await abortAllDurableObjects();
      crashes++;
    }
    await reach(completed + 15);
    stop = true;
    await burst;
    console.log(`burst: ${completed} completed, ${cut} cut off by ${crashes} crashes`);
    expect(cut).toBeGreaterThan(0);

    // Each session's own counter is what its own receipts say; an ancestor's is what its
    // own and every descendant's receipts say.
    const own = new Map<string, bigint>();
    const ownCalls = new Map<string, number>();
    for (const a of spenders) {
      const receipts = await receiptsOf(p.apiKey, a.session.id);
      own.set(a.session.id, spentByReceipts(receipts));
      ownCalls.set(a.session.id, receipts.filter((r) => r.receipt.kind === "authorize").length);
    }
    const tree = await call("GET", `/v1/sessions/${root.session.id}/tree`, { headers: bearer(p.apiKey) });
    const all = [tree.json.session, ...tree.json.descendants];
    const below = (id: string): string[] => [id, ...all.filter((s: any) => s.parent === id).flatMap((s: any) => below(s.id))];
    for (const a of spenders) {
      const c = await counters(p.apiKey, a);
      const expected = below(a.session.id).reduce((sum, id) => sum + (own.get(id) ?? 0n), 0n);
      const expectedCalls = below(a.session.id).reduce((sum, id) => sum + (ownCalls.get(id) ?? 0), 0);
      expect(c.spent, a.session.id).toBe(expected);
      expect(c.held).toBe(0n);
      expect(c.calls).toBe(expectedCalls);
    }
    // And the agents keep working after the restart.
    expect((await agentCall(leaves[0]!, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: "1" } })).status).toBe(200);
  });
});
