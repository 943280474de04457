import { env } from "cloudflare:workers";
import fc from "fast-check";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { b64urlEncode, utf8 } from "../../src/core/encoding";
import { AuthorizeRequest, DelegateRequest, GrantRequest, HoldRequest, CaptureRequest } from "../../src/schemas";
import { generateAgentKey } from "@remit/sdk/keys";
import { bodiesFor } from "../support/fuzz";
import { agentCall, call, createPrincipal, delegate, grant, problemName, type Agent } from "../support/harness";

const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
const FUZZ_RUNS = Number(env.TEST_FUZZ_RUNS ?? "60");
const LIMITS = {
  calls: 1000,
  budgets: [
    { asset: "USD", amount: "1000" },
    { asset: "USD", amount: "500", period: "day" },
  ],
};

/** The counters that money and authority live in: they must not move on a refusal. */
async function snapshot(apiKey: string, rootId: string) {
  const t = await call("GET", `/v1/sessions/${rootId}/tree`, { headers: bearer(apiKey) });
  expect(t.status, `reading the tree for a snapshot: ${t.text}`).toBe(200);
  return [t.json.session, ...t.json.descendants].map((s: { id: string; status: string; counters: { calls: unknown; budgets: unknown } }) => ({
    id: s.id,
    status: s.status,
    calls: s.counters.calls,
    budgets: s.counters.budgets,
  }));
}

describe("attack catalogue: tokens (RFC 8725)", () => {
  async function claimsOf(a: Agent) {
    return JSON.parse(atob(a.token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
  }
  const forgeries: [string, (a: Agent) => Promise<string>][] = [
    [
      "kid injection (path traversal)",
      async (a) => {
        const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign"])) as CryptoKeyPair;
        return new SignJWT(await claimsOf(a)).setProtectedHeader({ alg: "EdDSA", typ: "remit-session+jwt", kid: "../../../dev/null" }).sign(pair.privateKey);
      },
    ],
    [
      "kid of the real key but an attacker's signature",
      async (a) => {
        const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign"])) as CryptoKeyPair;
        const kid = JSON.parse(atob(a.token.split(".")[0]!)).kid;
        return new SignJWT(await claimsOf(a)).setProtectedHeader({ alg: "EdDSA", typ: "remit-session+jwt", kid }).sign(pair.privateKey);
      },
    ],
    [
      "an embedded jwk / jku the server must not trust",
      async (a) => {
        const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign"])) as CryptoKeyPair;
        const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
        return new SignJWT(await claimsOf(a))
          .setProtectedHeader({ alg: "EdDSA", typ: "remit-session+jwt", jwk: jwk as never, jku: "https://evil.example/jwks" } as never)
          .sign(pair.privateKey);
      },
    ],
    [
      "alg confusion: HS256 keyed with the public key",
      async (a) => {
        const jwks = (await call("GET", "/.well-known/jwks.json")).json;
        const secret = utf8(JSON.stringify(jwks.keys[0]));
        return new SignJWT(await claimsOf(a)).setProtectedHeader({ alg: "HS256", typ: "remit-session+jwt", kid: jwks.keys[0].kid }).sign(secret);
      },
    ],
    [
      "a DPoP proof presented as the session token",
      async (a) => {
        const { createProof } = await import("@remit/sdk/dpop");
        return createProof(a.key, { method: "POST", url: "http://remit.test/v1/authorize", accessToken: a.token });
      },
    ],
    [
      "a token of the right shape with the typ of a proof",
      async (a) => {
        const parts = a.token.split(".");
        const header = { ...JSON.parse(atob(parts[0]!)), typ: "dpop+jwt" };
        return `${b64urlEncode(utf8(JSON.stringify(header)))}.${parts[1]}.${parts[2]}`;
      },
    ],
  ];
  for (const [name, forge] of forgeries) {
    it(`refuses ${name}`, async () => {
      const p = await createPrincipal();
      const a = await grant(p.apiKey);
      const r = await agentCall({ key: a.key, token: await forge(a) }, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x" });
      expect(r.status, r.text).toBe(401);
      expect(["invalid-token", "invalid-proof"]).toContain(problemName(r));
    });
  }
});

describe("attack catalogue: broken object level authorization (OWASP API1)", () => {
  it("refuses every id-taking route across principals and across trees", async () => {
    const alice = await createPrincipal("alice");
    const bob = await createPrincipal("bob");
    const a = await grant(alice.apiKey, { limits: LIMITS });
    const b = await grant(bob.apiKey, { limits: LIMITS });
    const hold = await agentCall(b, "POST", "/v1/holds", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "5" } });
    const spend = await agentCall(b, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x" });
    const bobKeys = await call("GET", "/v1/api-keys", { headers: bearer(bob.apiKey) });
    const before = await snapshot(bob.apiKey, b.session.id);

    const principalRoutes: [string, string][] = [
      ["GET", `/v1/sessions/${b.session.id}`],
      ["GET", `/v1/sessions/${b.session.id}/tree`],
      ["POST", `/v1/sessions/${b.session.id}/revoke`],
      ["GET", `/v1/receipts/${spend.json.receipt.receipt.id}`],
      ["DELETE", `/v1/api-keys/${bobKeys.json.data[0].id}`],
    ];
    for (const [method, path] of principalRoutes) {
      const r = await call(method, path, { headers: bearer(alice.apiKey) });
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    const agentRoutes: [string, string, unknown][] = [
      ["POST", `/v1/holds/${hold.json.id}/capture`, {}],
      ["POST", `/v1/holds/${hold.json.id}/void`, undefined],
      ["GET", `/v1/receipts/${spend.json.receipt.receipt.id}`, undefined],
    ];
    for (const [method, path, body] of agentRoutes) {
      const r = await agentCall(a, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    expect(await snapshot(bob.apiKey, b.session.id)).toEqual(before);
    expect((await call("GET", "/v1/api-keys", { headers: bearer(bob.apiKey) })).status).toBe(200);
  });

  it("a child cannot capture or void its parent's hold", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey, { limits: LIMITS });
    const child = await delegate(root, {});
    const hold = await agentCall(root, "POST", "/v1/holds", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "5" } });
    expect((await agentCall(child, "POST", `/v1/holds/${hold.json.id}/capture`, {})).status).toBe(404);
    expect((await agentCall(child, "POST", `/v1/holds/${hold.json.id}/void`)).status).toBe(404);
  });
});

describe("attack catalogue: bodies", () => {
  it("refuses a deeply nested body without a 5xx", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey);
    const nested = "[".repeat(5000) + "]".repeat(5000);
    const r = await agentCall(a, "POST", "/v1/authorize", `{"scope":"http:GET:api.example.com/x","amount":${nested}}`);
    expect(r.status).toBe(400);
    const deepObject = `{"scope":"http:GET:api.example.com/x","x":${'{"a":'.repeat(3000)}1${"}".repeat(3000)}}`;
    expect((await agentCall(a, "POST", "/v1/authorize", deepObject)).status).toBe(400);
  });

  it("refuses unknown fields at every level, naming them", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: LIMITS });
    const r = await agentCall(a, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "1", fee: "0" }, admin: true });
    expect(r.status).toBe(400);
    expect(r.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(["admin", "amount.fee"]);
  });

  const unicode: [string, string][] = [
    ["a Cyrillic homoglyph", "http:GET:аpi.example.com/*"],
    ["a zero-width space", "http:GET:api.example.com\u200b/*"],
    ["a right-to-left override", "http:GET:api.\u202emoc.elpmaxe/*"],
    ["a fullwidth colon", "http\uff1aGET:api.example.com/*"],
    ["a combining character", "http:GET:api.example.com/e\u0301"],
    ["a NUL byte", "http:GET:api.example.com/\u0000"],
    ["an emoji", "http:GET:api.example.com/💸"],
  ];
  for (const [name, scope] of unicode) {
    it(`refuses a scope with ${name}`, async () => {
      const p = await createPrincipal();
      const r = await call("POST", "/v1/sessions", {
        headers: bearer(p.apiKey),
        body: { agent_jwk: generateAgentKey().publicJwk, scopes: [scope], expires_at: new Date(Date.now() + 3600_000).toISOString() },
      });
      expect(r.status).toBe(400);
      expect(r.json.errors[0].field).toBe("scopes.0");
    });
  }
});

describe("fuzzing every request body from its schema: never a 5xx, a refusal never changes state", () => {
  // What each route's fuzzing must reach, so it cannot decay into a test of the schema alone.
  const routes: [string, string, Parameters<typeof bodiesFor>[0], "agent" | "principal" | "hold", string[]][] = [
    ["POST", "/v1/authorize", AuthorizeRequest, "agent", ["invalid", "refused", "success"]],
    ["POST", "/v1/holds", HoldRequest, "agent", ["invalid", "refused", "success"]],
    ["POST", "/v1/delegations", DelegateRequest, "agent", ["invalid", "refused"]],
    ["POST", "/v1/sessions", GrantRequest, "principal", ["invalid", "success"]],
    ["POST", "/v1/holds/{hold}/capture", CaptureRequest, "hold", ["invalid", "refused"]],
  ];
  for (const [method, path, schema, who, reaches] of routes) {
    it(`${method} ${path}`, async () => {
      const p = await createPrincipal();
      const root = await grant(p.apiKey, { scopes: ["http:GET:api.example.com/*", "llm:invoke:*"], limits: LIMITS });
      const hold = await agentCall(root, "POST", "/v1/holds", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "1" } });
      let cases = 0;
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(bodiesFor(schema), async (body) => {
          cases++;
          const before = await snapshot(p.apiKey, root.session.id);
          const target = path.replace("{hold}", hold.json.id);
          const r = who === "principal" ? await call(method, target, { headers: bearer(p.apiKey), body }) : await agentCall(root, method, target, body);
          expect(r.status, r.text).toBeLessThan(500);
          seen.add(r.status < 300 ? "success" : r.status === 400 ? "invalid" : "refused");
          if (r.status >= 400) {
            expect(r.headers.get("content-type")).toBe("application/problem+json");
            expect(await snapshot(p.apiKey, root.session.id)).toEqual(before);
          }
        }),
        { numRuns: FUZZ_RUNS },
      );
      expect(cases).toBe(FUZZ_RUNS);
      // The fuzzer must reach past validation, or it tests nothing but the schema.
      expect([...seen]).toEqual(expect.arrayContaining(reaches));
    }, 120_000);
  }
});
