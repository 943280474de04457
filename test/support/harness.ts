import { exports } from "cloudflare:workers";
import { createProof } from "@remit/sdk/dpop";
import { generateAgentKey, type AgentKey } from "@remit/sdk/keys";

/** Drives the real worker (edge + Durable Objects in workerd) over its fetch handler. */
export const BASE = "http://remit.test";
export const ADMIN_TOKEN = "test-operator-token";

type Json = Record<string, unknown>;

/**
 * One request to the worker. POST and PATCH carry a fresh `Idempotency-Key` unless the
 * caller gives one (any case) or asks for none (`idempotencyKey: false`), as the SDK does.
 */
export async function call(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; idempotencyKey?: false } = {}) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  const hasKey = Object.keys(headers).some((h) => h.toLowerCase() === "idempotency-key");
  if ((method === "POST" || method === "PATCH") && !hasKey && init.idempotencyKey !== false) headers["idempotency-key"] = crypto.randomUUID();
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(new Request(`${BASE}${path}`, { method, headers, body }));
  const text = await res.text();
  let json: Json = {};
  try {
    json = text ? (JSON.parse(text) as Json) : {};
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, json: json as any, text };
}

export async function createPrincipal(name = "Acme", maxSessionSeconds?: number) {
  const r = await call("POST", "/v1/principals", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name, ...(maxSessionSeconds ? { max_session_seconds: maxSessionSeconds } : {}) },
  });
  if (r.status !== 201) throw new Error(`createPrincipal: ${r.status} ${r.text}`);
  return { id: r.json.principal.id as string, apiKey: r.json.api_key as string };
}

export const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();

export interface Agent {
  key: AgentKey;
  token: string;
  session: any;
}

export async function grant(apiKey: string, overrides: Json = {}, key: AgentKey = generateAgentKey()): Promise<Agent> {
  const r = await call("POST", "/v1/sessions", {
    headers: { authorization: `Bearer ${apiKey}` },
    body: { agent_jwk: key.publicJwk, scopes: ["http:GET:api.example.com/*"], expires_at: inHours(1), max_depth: 3, ...overrides },
  });
  if (r.status !== 201) throw new Error(`grant: ${r.status} ${r.text}`);
  return { key, token: r.json.token, session: r.json.session };
}

/** An agent request with a fresh proof; `proof` overrides let tests forge attacks. */
export async function agentCall(
  agent: { key: AgentKey; token: string },
  method: string,
  path: string,
  body?: unknown,
  opts: {
    proof?: string;
    proofUrl?: string;
    proofMethod?: string;
    iat?: number;
    alg?: "Ed25519" | "EdDSA";
    headers?: Record<string, string>;
    signer?: AgentKey;
    idempotencyKey?: false;
  } = {},
) {
  const proof =
    opts.proof ??
    createProof(opts.signer ?? agent.key, {
      method: opts.proofMethod ?? method,
      url: opts.proofUrl ?? `${BASE}${path}`,
      accessToken: agent.token,
      ...(opts.iat !== undefined ? { iat: opts.iat } : {}),
      ...(opts.alg ? { alg: opts.alg } : {}),
    });
  return call(method, path, {
    body,
    headers: { authorization: `DPoP ${agent.token}`, dpop: proof, ...(opts.headers ?? {}) },
    ...(opts.idempotencyKey === false ? { idempotencyKey: false as const } : {}),
  });
}

export async function delegate(parent: Agent, body: Json = {}, key: AgentKey = generateAgentKey()): Promise<Agent> {
  const r = await agentCall(parent, "POST", "/v1/delegations", { agent_jwk: key.publicJwk, scopes: parent.session.scopes, ...body });
  if (r.status !== 201) throw new Error(`delegate: ${r.status} ${r.text}`);
  return { key, token: r.json.token, session: r.json.session };
}

export function problemName(r: { json: any }): string {
  return String(r.json.type ?? "").split("/problems/")[1] ?? "";
}
