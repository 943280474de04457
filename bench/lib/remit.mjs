// Setup over the public HTTP API (not timed): principals, grants, delegation
// chains and trees, with SDK proofs. The runner's Node process does this before it
// asks the load generator to measure.
import { fastAgentKey, sdk } from "./keys.mjs";

export const SCOPE = "http:GET:api.example.com/*";
/** 10^30 minor units: spends of 1 never run out, whatever the throughput. */
export const BIG_BUDGET = { budgets: [{ asset: "USD", amount: "1" + "0".repeat(30) }] };

export class Remit {
  constructor(url, adminToken) {
    this.url = url;
    this.adminToken = adminToken;
    this.agentSeed = sdk.b64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
    this.agent = fastAgentKey(this.agentSeed).key;
  }

  async call(method, path, { body, headers = {} } = {}) {
    // Every agent and principal POST and PATCH needs an Idempotency-Key: a fresh one unless given.
    const keyed = (method === "POST" || method === "PATCH") && !Object.keys(headers).some((h) => h.toLowerCase() === "idempotency-key");
    const res = await fetch(this.url + path, {
      method,
      headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(keyed ? { "idempotency-key": crypto.randomUUID() } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, json, text };
  }

  async createPrincipal(name = "bench") {
    const r = await this.call("POST", "/v1/principals", { headers: { authorization: `Bearer ${this.adminToken}` }, body: { name, max_session_seconds: 7 * 86400 } });
    if (r.status !== 201) throw new Error(`createPrincipal: ${r.status} ${r.text}`);
    return { id: r.json.principal.id, apiKey: r.json.api_key };
  }

  /** A root session (depth 0) with a budget that cannot run out, no rate and no calls limit. */
  async grant(principal, maxDepth, scopes = [SCOPE]) {
    const r = await this.call("POST", "/v1/sessions", {
      headers: { authorization: `Bearer ${principal.apiKey}` },
      body: {
        agent_jwk: this.agent.publicJwk,
        scopes,
        expires_at: new Date(Date.now() + 6 * 3600_000).toISOString(),
        limits: BIG_BUDGET,
        max_depth: maxDepth,
      },
    });
    if (r.status !== 201) throw new Error(`grant: ${r.status} ${r.text}`);
    return { token: r.json.token, session: r.json.session };
  }

  agentCall(agent, method, path, body) {
    const proof = sdk.createProof(this.agent, { method, url: this.url + path, accessToken: agent.token });
    return this.call(method, path, { body, headers: { authorization: `DPoP ${agent.token}`, dpop: proof } });
  }

  /** A child session inheriting every bound of its parent (and `scopes`, by default the one SCOPE). */
  async delegate(parent, scopes = [SCOPE]) {
    const r = await this.agentCall(parent, "POST", "/v1/delegations", { agent_jwk: this.agent.publicJwk, scopes });
    if (r.status !== 201) throw new Error(`delegate: ${r.status} ${r.text}`);
    return { token: r.json.token, session: r.json.session };
  }

  /** A session at `depth` (root = 0) of a fresh tree: a chain of depth + 1 sessions. */
  async chain(principal, depth) {
    const root = await this.grant(principal, Math.max(depth, 1));
    let s = root;
    for (let d = 0; d < depth; d++) s = await this.delegate(s);
    return { root, leaf: s };
  }

  /** A tree of exactly `total` sessions, `fanout` children per node level by level (breadth first). */
  async tree(principal, total, fanout, concurrency = 16, scopes = [SCOPE]) {
    const root = await this.grant(principal, 8, scopes);
    let count = 1;
    let level = [root];
    let deepest = root;
    while (count < total) {
      const next = [];
      const jobs = [];
      for (const parent of level) for (let i = 0; i < fanout && count + jobs.length < total; i++) jobs.push(parent);
      for (let i = 0; i < jobs.length; i += concurrency) next.push(...(await Promise.all(jobs.slice(i, i + concurrency).map((p) => this.delegate(p, scopes)))));
      count += jobs.length;
      level = next;
      deepest = next[next.length - 1] ?? deepest;
    }
    return { root, leaf: deepest, count };
  }
}
