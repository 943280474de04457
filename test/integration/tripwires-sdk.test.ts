/** The SDK's trip-wire client against the real worker: create, list, get, update, reset, delete. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RemitPrincipal, isRemitError } from "../../sdk/src/index";
import { BASE, createPrincipal } from "../support/harness";

const worker = (exports as unknown as { default: Fetcher }).default;

describe("the SDK's trip-wires", () => {
  it("creates, lists, reads, changes, resets and deletes a rule; a bad one is a typed refusal", async () => {
    const p = await createPrincipal();
    const principal = new RemitPrincipal({ baseUrl: BASE, apiKey: p.apiKey, fetch: (input, init) => worker.fetch(new Request(input, init)) });
    const { tripwire, pending_trees } = await principal.tripwires.create({ metric: "count", window: 60, threshold: "5", per: "tree", action: "freeze_tree" });
    expect(pending_trees).toEqual([]);
    expect(tripwire).toMatchObject({ object: "tripwire", metric: "count", mode: "enforce", asset: null, scope: null });
    expect((await principal.tripwires.list()).map((t) => t.id)).toEqual([tripwire.id]);
    expect((await principal.tripwires.get(tripwire.id)).threshold).toBe("5");
    expect((await principal.tripwires.update(tripwire.id, { mode: "shadow" })).tripwire.mode).toBe("shadow");
    expect(await principal.tripwires.reset(tripwire.id)).toEqual({ id: tripwire.id, object: "tripwire_reset", cleared: 0, pending_trees: [] });
    expect((await principal.tripwires.delete(tripwire.id)).deleted).toBe(true);
    const refused = await principal.tripwires.create({ metric: "amount", window: 60, threshold: "5", per: "tree", action: "deny" }).catch((e: unknown) => e);
    expect(isRemitError(refused)).toBe(true);
    expect((refused as { problem: { errors: unknown[] } }).problem.errors).toContainEqual({ field: "asset", rule: "required_for_amount", message: expect.any(String) });
  });
});
