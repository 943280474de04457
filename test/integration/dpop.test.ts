import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { b64urlEncode, utf8 } from "../../src/core/encoding";
import { createProof } from "@remit/sdk/dpop";
import { generateAgentKey, type AgentKey } from "@remit/sdk/keys";
import { agentCall, BASE, createPrincipal, grant, problemName, type Agent } from "../support/harness";

const AUTHZ = { scope: "http:GET:api.example.com/v1/x" };

/** Signs an arbitrary header and payload with the agent's key. */
function forge(key: AgentKey, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${b64urlEncode(utf8(JSON.stringify(header)))}.${b64urlEncode(utf8(JSON.stringify(payload)))}`;
  return `${input}.${b64urlEncode(key.sign(utf8(input)))}`;
}

async function ath(token: string) {
  return b64urlEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(token))));
}

async function goodPayload(agent: Agent, over: Record<string, unknown> = {}) {
  return { jti: crypto.randomUUID(), htm: "POST", htu: `${BASE}/v1/authorize`, iat: Math.floor(Date.now() / 1000), ath: await ath(agent.token), ...over };
}

async function setup() {
  const p = await createPrincipal();
  return grant(p.apiKey);
}

describe("DPoP proofs: happy", () => {
  it("accepts alg Ed25519 (RFC 9864) and the older EdDSA", async () => {
    const a = await setup();
    expect((await agentCall(a, "POST", "/v1/authorize", AUTHZ, { alg: "Ed25519" })).status).toBe(200);
    expect((await agentCall(a, "POST", "/v1/authorize", AUTHZ, { alg: "EdDSA" })).status).toBe(200);
  });

  it("ignores the query string when matching htu", async () => {
    const a = await setup();
    const r = await agentCall(a, "GET", "/v1/session?expand=1", undefined, { proofUrl: `${BASE}/v1/session` });
    expect(r.status, r.text).toBe(200);
  });
});

describe("DPoP proofs: security", () => {
  it("refuses a replayed proof", async () => {
    const a = await setup();
    const proof = createProof(a.key, { method: "POST", url: `${BASE}/v1/authorize`, accessToken: a.token });
    expect((await agentCall(a, "POST", "/v1/authorize", AUTHZ, { proof })).status).toBe(200);
    const again = await agentCall(a, "POST", "/v1/authorize", AUTHZ, { proof });
    expect(again.status).toBe(401);
    expect(problemName(again)).toBe("proof-replayed");
  });

  it("refuses a proof replayed even when the first use was refused", async () => {
    const a = await setup();
    const proof = createProof(a.key, { method: "POST", url: `${BASE}/v1/authorize`, accessToken: a.token });
    expect(problemName(await agentCall(a, "POST", "/v1/authorize", { scope: "http:POST:elsewhere.com/x" }, { proof }))).toBe("scope-denied");
    expect(problemName(await agentCall(a, "POST", "/v1/authorize", AUTHZ, { proof }))).toBe("proof-replayed");
  });

  const cases: [string, (a: Agent) => Promise<Parameters<typeof agentCall>[4]>][] = [
    ["a proof for another method", async () => ({ proofMethod: "GET" })],
    ["a proof for another URL", async () => ({ proofUrl: `${BASE}/v1/holds` })],
    ["a proof for another host", async () => ({ proofUrl: "https://evil.example/v1/authorize" })],
    ["a stale iat", async () => ({ iat: Math.floor(Date.now() / 1000) - 120 })],
    ["an iat in the future", async () => ({ iat: Math.floor(Date.now() / 1000) + 120 })],
    ["a proof signed by another key", async () => ({ signer: generateAgentKey() })],
    [
      "alg none",
      async (a) => ({
        proof: `${b64urlEncode(utf8(JSON.stringify({ typ: "dpop+jwt", alg: "none", jwk: a.key.publicJwk })))}.${b64urlEncode(utf8(JSON.stringify(await goodPayload(a))))}.`,
      }),
    ],
    ["alg HS256", async (a) => ({ proof: forge(a.key, { typ: "dpop+jwt", alg: "HS256", jwk: a.key.publicJwk }, await goodPayload(a)) })],
    ["alg ES256", async (a) => ({ proof: forge(a.key, { typ: "dpop+jwt", alg: "ES256", jwk: a.key.publicJwk }, await goodPayload(a)) })],
    ["the wrong typ", async (a) => ({ proof: forge(a.key, { typ: "JWT", alg: "EdDSA", jwk: a.key.publicJwk }, await goodPayload(a)) })],
    ["private key material in the header jwk", async (a) => ({ proof: forge(a.key, { typ: "dpop+jwt", alg: "EdDSA", jwk: a.key.privateJwk }, await goodPayload(a)) })],
    [
      "a header jwk that is not the bound key",
      async (a) => {
        const other = generateAgentKey();
        return { proof: forge(other, { typ: "dpop+jwt", alg: "EdDSA", jwk: other.publicJwk }, await goodPayload(a)) };
      },
    ],
    [
      "a token hash mismatch",
      async (a) => ({ proof: forge(a.key, { typ: "dpop+jwt", alg: "EdDSA", jwk: a.key.publicJwk }, await goodPayload(a, { ath: await ath("another token") })) }),
    ],
    ["a missing ath", async (a) => ({ proof: forge(a.key, { typ: "dpop+jwt", alg: "EdDSA", jwk: a.key.publicJwk }, { ...(await goodPayload(a)), ath: undefined }) })],
    ["a missing jti", async (a) => ({ proof: forge(a.key, { typ: "dpop+jwt", alg: "EdDSA", jwk: a.key.publicJwk }, { ...(await goodPayload(a)), jti: undefined }) })],
    [
      "a tampered signature",
      async (a) => {
        const p = createProof(a.key, { method: "POST", url: `${BASE}/v1/authorize`, accessToken: a.token });
        return { proof: p.slice(0, -4) + (p.endsWith("AAAA") ? "BBBB" : "AAAA") };
      },
    ],
    ["a proof that is not a JWS", async () => ({ proof: "not-a-proof" })],
    [
      "two DPoP headers",
      async (a) => {
        const p = createProof(a.key, { method: "POST", url: `${BASE}/v1/authorize`, accessToken: a.token });
        return { proof: `${p}, ${p}` };
      },
    ],
  ];

  for (const [name, attack] of cases) {
    it(`refuses ${name}`, async () => {
      const a = await setup();
      const r = await agentCall(a, "POST", "/v1/authorize", AUTHZ, await attack(a));
      expect(r.status, r.text).toBe(401);
      expect(problemName(r)).toBe("invalid-proof");
      expect(r.headers.get("www-authenticate")).toMatch(/^DPoP error="invalid_dpop_proof"/);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
    });
  }

  it("refuses a request without a DPoP header", async () => {
    const a = await setup();
    const r = await agentCall(a, "POST", "/v1/authorize", AUTHZ, { headers: { dpop: "" } });
    expect(problemName(r)).toBe("invalid-proof");
  });

  it("refuses a request without any Authorization", async () => {
    const r = await agentCall({ key: generateAgentKey(), token: "x" }, "POST", "/v1/authorize", AUTHZ, { headers: { authorization: "" } });
    expect(r.status).toBe(401);
    expect(problemName(r)).toBe("unauthenticated");
  });

  it("refuses the session token as a Bearer token", async () => {
    const a = await setup();
    const r = await agentCall(a, "POST", "/v1/authorize", AUTHZ, { headers: { authorization: `Bearer ${a.token}` } });
    expect(problemName(r)).toBe("invalid-token");
  });

  it("refuses a session token signed by a key not in the JWKS", async () => {
    const a = await setup();
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(a.token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))));
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "remit-session+jwt", kid: "attacker" }).sign(pair.privateKey);
    const r = await agentCall({ key: a.key, token: forged }, "POST", "/v1/authorize", AUTHZ);
    expect(problemName(r)).toBe("invalid-token");
  });

  it("refuses a session token whose payload was edited (kid of a real key)", async () => {
    const a = await setup();
    const [h, p, s] = a.token.split(".") as [string, string, string];
    const claims = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
    claims.scope = "*:*:*";
    const edited = `${h}.${b64urlEncode(utf8(JSON.stringify(claims)))}.${s}`;
    const r = await agentCall({ key: a.key, token: edited }, "POST", "/v1/authorize", AUTHZ);
    expect(problemName(r)).toBe("invalid-token");
  });

  it("refuses a session token with alg none", async () => {
    const a = await setup();
    const [, p] = a.token.split(".") as [string, string];
    const none = `${b64urlEncode(utf8(JSON.stringify({ alg: "none", typ: "remit-session+jwt" })))}.${p}.`;
    const r = await agentCall({ key: a.key, token: none }, "POST", "/v1/authorize", AUTHZ);
    expect(r.status).toBe(401);
    expect(problemName(r)).toBe("invalid-token");
  });

  it("refuses one session's proof used with another session's token (replay across sessions)", async () => {
    const p = await createPrincipal();
    const key = generateAgentKey();
    const a = await grant(p.apiKey, {}, key);
    const b = await grant(p.apiKey, {}, key);
    const proofForA = createProof(key, { method: "POST", url: `${BASE}/v1/authorize`, accessToken: a.token });
    const r = await agentCall(b, "POST", "/v1/authorize", AUTHZ, { proof: proofForA });
    expect(problemName(r)).toBe("invalid-proof");
  });
});
