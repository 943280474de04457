/** The SDK's governance surface against the real worker: listings, exposure, bulk revocation, switches, the panic button. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type RemitAgent, RemitPrincipal, SessionFrozenError, SessionRevokedError, ValidationFailedError } from "../../sdk/src/index";
import { generateAgentKey } from "../../sdk/src/keys";
import { BASE, createPrincipal } from "../support/harness";

const fetcher = (input: string | URL | Request, init?: RequestInit) => (exports as unknown as { default: Fetcher }).default.fetch(new Request(input, init));
const SCOPE = "http:GET:api.example.com/x";

async function setup() {
  const p = await createPrincipal("SDK governance");
  const principal = new RemitPrincipal({ baseUrl: BASE, apiKey: p.apiKey, fetch: fetcher, maxRetries: 0 });
  const budgets = [{ asset: "USD", amount: "90" }];
  const one = await principal.grant({ agentKey: generateAgentKey(), scopes: ["http:GET:api.example.com/*"], expiresIn: 3600, limits: { budgets }, label: "one" });
  const two = await principal.grant({ agentKey: generateAgentKey(), scopes: ["http:GET:api.example.com/*"], expiresIn: 3600, limits: { budgets }, label: "two" });
  return { principal, one: one.agent as RemitAgent, two: two.agent as RemitAgent };
}

describe("SDK governance", () => {
  it("lists, exposes, switches, revokes in bulk and presses the panic button", async () => {
    const { principal, one, two } = await setup();
    const g = principal.governance;
    await one.authorize(SCOPE, { amount: { asset: "USD", value: "10" } });

    const all = [];
    for await (const s of g.allSessions({ root: true }, { limit: 1 })) all.push(s.id);
    expect(all).toHaveLength(2);
    expect(new Set(all)).toEqual(new Set([one.sessionId, two.sessionId]));
    expect((await g.sessions({ label: "one" })).data.map((s) => s.id)).toEqual([one.sessionId]);
    expect((await g.receipts({ outcome: "allowed" })).data).toHaveLength(1);

    const exposure = await g.exposure();
    expect(exposure.assets).toEqual([expect.objectContaining({ asset: "USD", now: "170" })]);

    await g.freezeSession(two.sessionId);
    await expect(two.authorize(SCOPE)).rejects.toBeInstanceOf(SessionFrozenError);
    await g.unfreezeSession(two.sessionId);
    await two.authorize(SCOPE);

    const dry = await g.revokeWhere({ label: "two" }, { dryRun: true });
    expect(dry).toMatchObject({ dry_run: true, count: 1, ids: [two.sessionId] });
    expect(dry.exposure?.assets[0]?.now).toBe("80");
    expect((await g.revokeWhere({ label: "two" })).ids).toEqual(dry.ids);
    await expect(g.revokeWhere({})).rejects.toBeInstanceOf(ValidationFailedError);

    expect(await one.revokeSelf()).toEqual({ session: one.sessionId, revoked: 1 });
    await expect(one.authorize(SCOPE)).rejects.toBeInstanceOf(SessionRevokedError);
    expect((await g.exposure()).assets[0]?.now).toBe("0");
  });
});
