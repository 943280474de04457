/**
 * The receipt-keys registry (durable-objects/settlement/receipt-keys.ts) and its
 * document, GET /.well-known/receipt-keys.json, in workerd: every key that ever signed a
 * receipt stays published, apart from the JWKS (the keys that may sign session tokens
 * today). The tree's outbox registers a batch's keys before it ships the batch. The
 * rotations themselves, with real restarts and a real chain, are test/e2e/key-rotation.test.ts.
 */
import { runInDurableObject } from "cloudflare:test";
import * as ed from "@noble/ed25519";
import { describe, expect, it } from "vitest";
import { b64urlDecode, b64urlEncode } from "../../src/core/encoding";
import { issueSessionTokenSync } from "../../src/core/auth/session-token";
import { serviceKeys, type ReceiptKeyInput } from "../../src/core/auth/service-keys";
import { ed25519Thumbprint, KID_LENGTH, verifyReceiptProof } from "../../src/core/receipts/verify";
import { drainReceipts, forgetRegisteredReceiptKeys } from "../../durable-objects/session-tree/receipt-outbox";
import { agentCall, call, createPrincipal, grant, problemName } from "../support/harness";
import { drained, E, settlementObject, spend, treeStub } from "../support/settlement";

const BUDGET = { budgets: [{ asset: "USD", amount: "1000000" }] };

/** A fresh Ed25519 key with its service-style kid. */
function newKey(): { seed: Uint8Array; x: string; kid: string } {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const x = b64urlEncode(ed.getPublicKey(seed));
  return { seed, x, kid: ed25519Thumbprint(x).slice(0, KID_LENGTH) };
}

async function document() {
  const r = await call("GET", "/.well-known/receipt-keys.json");
  expect(r.status).toBe(200);
  return r;
}

describe("GET /.well-known/receipt-keys.json", () => {
  it("lists the current and previous keys before any receipt was signed, current first, cacheable", async () => {
    const keys = await serviceKeys(E);
    const r = await document();
    expect(r.json.keys.map((k: { kid: string }) => k.kid)).toEqual([keys.current.kid, keys.previous!.kid]);
    expect(r.json.keys[0]).toEqual({ ...keys.current.publicJwk, signing_from: expect.any(String), signing_until: null });
    expect(r.json.keys[1]).toMatchObject({ ...keys.previous!.publicJwk, signing_until: expect.any(String) });
    const cache = r.headers.get("cache-control") ?? "";
    expect(cache).toMatch(/public/);
    expect(Number(/max-age=(\d+)/.exec(cache)?.[1])).toBeLessThanOrEqual(300);
  });

  it("every published kid is the first 16 characters of its key's RFC 7638 thumbprint", async () => {
    const r = await document();
    for (const k of r.json.keys) expect(ed25519Thumbprint(k.x).slice(0, KID_LENGTH)).toBe(k.kid);
  });
});

describe("the registry", () => {
  it("registration is idempotent: the same keys again change nothing", async () => {
    const key = newKey();
    const input: ReceiptKeyInput[] = [{ kid: key.kid, x: key.x, current: false }];
    const first = await settlementObject().registerReceiptKeys(input, 1_000);
    const again = await settlementObject().registerReceiptKeys(input, 2_000);
    expect(again).toEqual(first);
    expect(first.refused).toEqual([]);
    expect(first.keys.find((k) => k.kid === key.kid)).toEqual({ kid: key.kid, x: key.x, signing_from: 1_000, signing_until: 1_000 });
  });

  it("a newer current key sets signing_until of the older open key; the older one registering again reopens nothing", async () => {
    const older = newKey();
    const newer = newKey();
    const t0 = Date.now() + 10_000;
    await settlementObject().registerReceiptKeys([{ kid: older.kid, x: older.x, current: true }], t0);
    let all = await settlementObject().receiptKeys();
    expect(all.find((k) => k.kid === older.kid)).toMatchObject({ signing_from: t0, signing_until: null });
    expect(all.filter((k) => k.signing_until === null).map((k) => k.kid)).toEqual([older.kid]);

    await settlementObject().registerReceiptKeys([{ kid: newer.kid, x: newer.x, current: true }], t0 + 5);
    // An isolate still on the old secret registers it as current again: a no-op.
    await settlementObject().registerReceiptKeys([{ kid: older.kid, x: older.x, current: true }], t0 + 9);
    all = await settlementObject().receiptKeys();
    expect(all.find((k) => k.kid === older.kid)).toMatchObject({ signing_from: t0, signing_until: t0 + 5 });
    expect(all.find((k) => k.kid === newer.kid)).toMatchObject({ signing_from: t0 + 5, signing_until: null });

    const listed = (await document()).json.keys;
    expect(listed[0]).toMatchObject({ kid: newer.kid, signing_until: null });
    expect(listed.map((k: { kid: string }) => k.kid)).toContain(older.kid);
  });

  it("refuses (and reports) a kid that is not its key's thumbprint, and another key under a registered kid", async () => {
    const key = newKey();
    const other = newKey();
    const notThumbprint = await settlementObject().registerReceiptKeys([{ kid: "k1", x: key.x, current: true }], 1);
    expect(notThumbprint.refused).toEqual([{ kid: "k1", reason: expect.stringMatching(/thumbprint/) }]);
    expect(notThumbprint.keys.map((k) => k.kid)).not.toContain("k1");
    await settlementObject().registerReceiptKeys([{ kid: key.kid, x: key.x, current: false }], 1);
    // Another key under a registered kid: the kid is also not that key's thumbprint.
    const substitute = await settlementObject().registerReceiptKeys([{ kid: key.kid, x: other.x, current: false }], 2);
    expect(substitute.refused).toEqual([{ kid: key.kid, reason: expect.any(String) }]);
    expect((await settlementObject().receiptKeys()).find((k) => k.kid === key.kid)?.x).toBe(key.x);
  });
});

describe("the tree's outbox registers a batch's keys before shipping it", () => {
  it("a shipped receipt's key is in the document, and its receipt verifies against the document with the thumbprint check", async () => {
    const p = await createPrincipal("Keys");
    const a = await grant(p.apiKey, { limits: BUDGET });
    const [id] = await spend(a, 1);
    await drained(p.apiKey, [id!]);
    const r = await call("GET", `/v1/receipts/${id}`, { headers: { authorization: `Bearer ${p.apiKey}` } });
    expect(r.status).toBe(200);
    const kid = r.json.receipt.kid as string;
    const keys = (await document()).json;
    expect(keys.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
    // The signature check alone (no proof here): the key found by kid, bound to it.
    const local = verifyReceiptProof(r.json, {} as never, keys, { requireKidThumbprint: true });
    expect(local.checks.signature).toBe(true);
  });

  it("a receipt signed by a key neither current, previous nor registered stays in the outbox", async () => {
    const p = await createPrincipal("Lost key");
    const a = await grant(p.apiKey, { limits: BUDGET });
    const [id] = await spend(a, 1);
    // Shipped first, so no drain of the genuine receipt is still under way; then put back
    // in the outbox as if signed by a key two rotations ago that never got registered.
    await drained(p.apiKey, [id!]);
    const stranger = newKey();
    const result = await runInDurableObject(treeStub(id!), async (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("UPDATE receipts SET bytes = json_set(bytes, '$.kid', ?), shipped = 0 WHERE id = ?", stranger.kid, id!);
      forgetRegisteredReceiptKeys();
      const drain = await drainReceipts(sql, E, Date.now());
      const rows = sql.exec<{ id: string; shipped: number }>("SELECT id, shipped FROM receipts").toArray();
      return { drain, rows };
    });
    expect(result).toEqual({ drain: { shipped: 0, failed: true }, rows: [{ id, shipped: 0 }] });
  });
});

describe("session tokens still take only the current and previous keys", () => {
  it("a token signed by a key that is in the receipt-keys document but not in the JWKS is refused", async () => {
    const retired = newKey();
    await settlementObject().registerReceiptKeys([{ kid: retired.kid, x: retired.x, current: false }], 1);
    expect((await document()).json.keys.map((k: { kid: string }) => k.kid)).toContain(retired.kid);
    expect((await call("GET", "/.well-known/jwks.json")).json.keys.map((k: { kid: string }) => k.kid)).not.toContain(retired.kid);

    const p = await createPrincipal("Tokens");
    const a = await grant(p.apiKey, { limits: BUDGET });
    const claims = JSON.parse(new TextDecoder().decode(b64urlDecode(a.token.split(".")[1]!)));
    const { iat: _iat, jti: _jti, ...rest } = claims;
    const forged = issueSessionTokenSync({ kid: retired.kid, sign: (m) => ed.sign(m, retired.seed) }, rest, Date.now());
    const r = await agentCall({ key: a.key, token: forged }, "GET", "/v1/session");
    expect(r.status).toBe(401);
    expect(problemName(r)).toBe("invalid-token");
    // The genuine token still works.
    expect((await agentCall(a, "GET", "/v1/session")).status).toBe(200);
  });
});
