/**
 * The bench floors: the cheapest possible versions of what a Remit request does,
 * built and started exactly like the real worker (wrangler's bundler, Miniflare,
 * a SQLite-backed Durable Object), so a real path is reported as a ratio of the
 * floor measured in the same run on the same machine.
 *
 *   floors   /floor/bare     a bare Hono route
 *            /floor/jwt      jose `jwtVerify` of the EdDSA session token, nothing else
 *            /floor/do       one RPC into a Durable Object that runs one UPDATE
 *            /floor/jwt-do   both
 *            /floor/jwt-dpop-do-sign  what any authorize must do, at its cheapest: jose `jwtVerify` of
 *                            the session token, the DPoP proof's signature checked with its own key
 *                            (WebCrypto, key imported once per isolate as the token's is), then one
 *                            RPC into a DO that runs one transaction with one read and one write and
 *                            signs 300 bytes with Ed25519 (node:crypto, synchronous, in the transaction)
 *
 *   pieces   (attribution: the real server's own functions, in isolation)
 *            /piece/edge-auth     the real `verifySessionToken` + `verifyProof` (what agentAuth does)
 *            /piece/edge-auth-do  the same + the floor's DO increment
 *            /piece/do-sign       DO increment + the receipt work the tree does inside its
 *                                 transaction: RFC 8785 canonical JSON, noble Ed25519 sign, leaf hash
 *            /piece/do-sign-native  the same with node:crypto (BoringSSL, synchronous) for the
 *                                 signature and the leaf hash: the proposed fix, measured
 *            /piece/token         the real `verifySessionToken` alone
 *            /piece/dpop          the real `verifyProof` alone (jkt read from the unverified token)
 *            /piece/tree-authorize  the real SessionTree's `authorize` called over RPC directly
 *                                 (no token, proof, zod or Hono): the Durable Object's share
 *            /piece/merkle        MerkleLog append + root over `n` leaf hashes (settlement sealing)
 *            /piece/ledger        the real Ledger DO: `n` receipts appended to one fresh shard in
 *                                 `chunk`-sized RPCs (as a tree outbox drains), sealing full batches
 *                                 as it goes, then `seal` for the rest
 *
 * Every route answers POST and ignores the body, so the bench can send floors
 * byte-for-byte the same request as the real path (same headers, same body).
 */
import { DurableObject } from "cloudflare:workers";
import { createHash, createPrivateKey, sign as nodeSign, type KeyObject } from "node:crypto";
import { Hono } from "hono";
import { jwtVerify } from "jose";
import * as ed from "@noble/ed25519";
import { serviceKeys } from "../../src/core/auth/service-keys"; // also configures noble's sha512
import { verifySessionToken } from "../../src/core/auth/session-token";
import { verifyProof } from "../../src/core/auth/dpop";
import { b64urlDecode, b64urlEncode, hex, utf8 } from "../../src/core/encoding";
import { canonicalize } from "../../src/core/receipts/jcs";
import { leafHash, MerkleLog } from "../../src/core/receipts/merkle";
import { SessionTree } from "../../durable-objects/session-tree";
import { Principal } from "../../durable-objects/principal";
import { Ledger, type LedgerEntry } from "../../durable-objects/ledger";
import { Settlement } from "../../durable-objects/settlement";
import { shardName } from "../../src/core/settlement-config";
import { thumbprint } from "../../src/core/auth/jwk";
import { newId } from "../../src/core/ids";
import { newTreeId, treeKey } from "../../src/core/tree-ids";

export { SessionTree, Principal, Ledger, Settlement };

interface Env {
  COUNTER: DurableObjectNamespace<Counter>;
  SESSION_TREE: DurableObjectNamespace<SessionTree>;
  PRINCIPAL: DurableObjectNamespace<Principal>;
  LEDGER: DurableObjectNamespace<Ledger>;
  SETTLEMENT: DurableObjectNamespace<Settlement>;
  LEDGER_BATCH_SIZE?: string;
  REMIT_SIGNING_KEY: string;
  REMIT_ADMIN_TOKEN: string;
}

export class Counter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private seed: Uint8Array | null = null;
  private keyObject: KeyObject | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    this.sql.exec("INSERT OR IGNORE INTO counter (id, n) VALUES (1, 0)");
  }

  /** The DO floor: one RPC, one UPDATE. */
  increment(): number {
    return this.sql.exec<{ n: number }>("UPDATE counter SET n = n + 1 WHERE id = 1 RETURNING n").one().n;
  }

  /**
   * The floor of a decision: one synchronous transaction with one read and one write, and
   * an Ed25519 signature over 300 bytes inside it (a receipt is about that size).
   */
  decideAndSign(jti: string): { n: number; signature: string } {
    this.seed ??= b64urlDecode(this.env.REMIT_SIGNING_KEY);
    this.keyObject ??= createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, this.seed]), format: "der", type: "pkcs8" });
    const key = this.keyObject;
    return this.ctx.storage.transactionSync(() => {
      const n = this.sql.exec<{ n: number }>("SELECT n FROM counter WHERE id = 1").one().n + 1;
      this.sql.exec("UPDATE counter SET n = ? WHERE id = 1", n);
      const message = Buffer.alloc(300, 0x20);
      message.write(`{"n":${n},"jti":"${jti.slice(0, 128)}"}`);
      return { n, signature: b64urlEncode(nodeSign(null, message, key)) };
    });
  }

  /** The increment plus the per-receipt work SessionTree.writeReceipt does inside its transaction. */
  incrementAndSign(): { n: number; signature: string; leaf: string } {
    this.seed ??= b64urlDecode(this.env.REMIT_SIGNING_KEY);
    const n = this.increment();
    const receipt = sampleReceipt(n);
    const bytes = utf8(canonicalize(receipt));
    return { n, signature: b64urlEncode(ed.sign(bytes, this.seed)), leaf: hex(leafHash(bytes)) };
  }

  /** The same with workerd's node:crypto (BoringSSL), still synchronous: usable inside transactionSync. */
  incrementAndSignNative(): { n: number; signature: string; leaf: string } {
    this.seed ??= b64urlDecode(this.env.REMIT_SIGNING_KEY);
    this.keyObject ??= createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, this.seed]), format: "der", type: "pkcs8" });
    const n = this.increment();
    const bytes = Buffer.from(canonicalize(sampleReceipt(n)));
    const signature = nodeSign(null, bytes, this.keyObject);
    const leaf = createHash("sha256").update(LEAF_PREFIX).update(bytes).digest("hex");
    return { n, signature: b64urlEncode(signature), leaf };
  }
}

const PKCS8_ED25519_PREFIX = Buffer.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const LEAF_PREFIX = Buffer.from([0x00]);

/** A receipt of the shape and size SessionTree writes for a depth-1 spend. */
function sampleReceipt(seq: number) {
  return {
    v: 1,
    id: "rcp_AbCdEfGhIjKlMnOpQrStUvWxYz",
    kind: "authorize",
    tree: "tre_AbCdEfGhIjKlMnOpQrStUvWxYz",
    session: "ses_AbCdEfGhIjKlM0123456789012",
    path: ["ses_AbCdEfGhIjKlMnOpQrStUvWxYz", "ses_AbCdEfGhIjKlM0123456789012"],
    principal: "prn_AbCdEfGhIjKlMnOpQrStUvWxYz",
    scope: "http:GET:api.example.com/v1/x",
    asset: "USD",
    amount: "1",
    request_digest: null,
    reason: null,
    hold: null,
    seq,
    at: new Date().toISOString(),
    kid: "AbCdEfGhIjKlMnOp",
  };
}

const app = new Hono<{ Bindings: Env }>();

let publicKey: Promise<CryptoKey> | null = null;
/** The service public key, imported once per isolate (as the real edge caches it). */
function servicePublicKey(env: Env): Promise<CryptoKey> {
  publicKey ??= serviceKeys(env).then((k) => k.current.publicKey);
  return publicKey;
}

function bearer(c: { req: { header(name: string): string | undefined } }): string {
  const h = c.req.header("authorization") ?? "";
  return h.slice(h.indexOf(" ") + 1);
}

const counter = (env: Env) => env.COUNTER.get(env.COUNTER.idFromName("floor"));

app.post("/floor/bare", (c) => c.json({ ok: true }));

app.post("/floor/jwt", async (c) => {
  const { payload } = await jwtVerify(bearer(c), await servicePublicKey(c.env), { algorithms: ["EdDSA"] });
  return c.json({ ok: true, sub: payload.sub });
});

app.post("/floor/do", async (c) => c.json({ n: await counter(c.env).increment() }));

app.post("/floor/jwt-do", async (c) => {
  const { payload } = await jwtVerify(bearer(c), await servicePublicKey(c.env), { algorithms: ["EdDSA"] });
  return c.json({ n: await counter(c.env).increment(), sub: payload.sub });
});

const proofKeys = new Map<string, CryptoKey>();
/** The cheapest check of a DPoP proof: its JWS signature under its own header's key (imported once per key). */
async function proofSignature(proof: string): Promise<{ jti: string }> {
  const [h, p, sig] = proof.split(".") as [string, string, string];
  const header = JSON.parse(new TextDecoder().decode(b64urlDecode(h))) as { jwk: { x: string } };
  let key = proofKeys.get(header.jwk.x);
  if (!key) {
    key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: header.jwk.x }, { name: "Ed25519" }, false, ["verify"]);
    proofKeys.set(header.jwk.x, key);
  }
  if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, b64urlDecode(sig), utf8(`${h}.${p}`)))) throw new Error("bad proof");
  return JSON.parse(new TextDecoder().decode(b64urlDecode(p))) as { jti: string };
}

app.post("/floor/jwt-dpop-do-sign", async (c) => {
  const { payload } = await jwtVerify(bearer(c), await servicePublicKey(c.env), { algorithms: ["EdDSA"] });
  const proof = await proofSignature(c.req.header("dpop") ?? "");
  return c.json({ ...(await counter(c.env).decideAndSign(proof.jti)), sub: payload.sub });
});

async function edgeAuth(c: { req: { header(name: string): string | undefined; method: string; url: string }; env: Env }) {
  const token = bearer(c);
  const now = Date.now();
  const claims = await verifySessionToken(await serviceKeys(c.env), token, "remit", now);
  const proof = await verifyProof(c.req.header("dpop") ?? "", {
    method: c.req.method,
    url: c.req.url,
    accessToken: token,
    jkt: claims.cnf.jkt,
    now,
    windowSeconds: 60,
  });
  return { claims, proof };
}

app.post("/piece/edge-auth", async (c) => {
  const { proof } = await edgeAuth(c);
  return c.json({ ok: true, jti: proof.jti });
});

app.post("/piece/edge-auth-do", async (c) => {
  const { proof } = await edgeAuth(c);
  return c.json({ n: await counter(c.env).increment(), jti: proof.jti });
});

app.post("/piece/do-sign", async (c) => c.json(await counter(c.env).incrementAndSign()));

app.post("/piece/do-sign-native", async (c) => c.json(await counter(c.env).incrementAndSignNative()));

app.post("/piece/token", async (c) => {
  const claims = await verifySessionToken(await serviceKeys(c.env), bearer(c), "remit", Date.now());
  return c.json({ ok: true, sub: claims.sub });
});

app.post("/piece/dpop", async (c) => {
  const token = bearer(c);
  const claims = JSON.parse(new TextDecoder().decode(b64urlDecode(token.split(".")[1]!))) as { cnf: { jkt: string } };
  const proof = await verifyProof(c.req.header("dpop") ?? "", {
    method: c.req.method,
    url: c.req.url,
    accessToken: token,
    jkt: claims.cnf.jkt,
    now: Date.now(),
    windowSeconds: 60,
  });
  return c.json({ ok: true, jti: proof.jti });
});

// ---- the real SessionTree, called directly (no edge): its share of an authorize

const tree = (env: Env, key: string) => env.SESSION_TREE.get(env.SESSION_TREE.idFromName(key));
const agentCall = (session: string) => ({ session, jti: crypto.randomUUID(), jtiExpiresAt: Date.now() + 120_000 });

/** A tree with a chain of `depth` delegations under its root; returns the leaf session and the tree key. */
app.post("/piece/tree-setup", async (c) => {
  const depth = Number(c.req.query("depth") ?? "1");
  const treeId = newTreeId();
  const key = treeKey(treeId);
  const x = b64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
  const agentJwk = { kty: "OKP" as const, crv: "Ed25519" as const, x };
  const jkt = await thumbprint(agentJwk);
  const stub = tree(c.env, key);
  const limits = { budgets: [{ asset: "USD", amount: "1" + "0".repeat(30) }] };
  const now = Date.now();
  // A real principal, so the tree's events drain into it as they do in the real worker.
  const principal = newId("prn");
  const keyId = newId("key");
  const created = await c.env.PRINCIPAL.get(c.env.PRINCIPAL.idFromName(principal)).create({
    id: principal,
    name: "bench",
    maxSessionSeconds: 7 * 86400,
    secretHash: "00".repeat(32),
    keyId,
    keyPrefix: "rmt_bench",
  });
  if (!created.ok) return c.json(created, 500);
  const root = await stub.createRoot({
    tree: treeId,
    principal,
    issuer: "remit",
    session: {
      agentJwk,
      jkt,
      scopes: ["http:GET:api.example.com/*"],
      notBefore: now - 1000,
      expiresAt: now + 6 * 3600_000,
      limits,
      maxDepth: Math.max(depth, 1),
      label: null,
    },
  });
  if (!root.ok) return c.json(root, 500);
  let session = root.value.session.id;
  for (let d = 0; d < depth; d++) {
    const child = await stub.delegate(agentCall(session), { agentJwk, jkt, scopes: ["http:GET:api.example.com/*"], label: null });
    if (!child.outcome.ok) return c.json(child, 500);
    session = child.outcome.value.session.id;
  }
  return c.json({ key, session });
});

app.post("/piece/tree-authorize", async (c) => {
  const result = await tree(c.env, c.req.query("key")!).authorize(agentCall(c.req.query("session")!), {
    scope: "http:GET:api.example.com/v1/x",
    amount: { asset: "USD", value: "1" },
  });
  if (!result.outcome.ok) return c.json(result.outcome.problem, 403);
  return c.json(result.outcome.value);
});

/** Seals `n` leaves in batches of `batch` (append each, root per batch); the client times the call. */
app.post("/piece/merkle", (c) => {
  const n = Number(c.req.query("n") ?? "10000");
  const batch = Number(c.req.query("batch") ?? "1000");
  const withLeafHash = c.req.query("leaf") === "1";
  const bytes = utf8(canonicalize(sampleReceipt(0)));
  const leaf = leafHash(bytes);
  const log = new MerkleLog();
  let roots = 0;
  for (let i = 0; i < n; i++) {
    if (withLeafHash) {
      bytes[bytes.length - 2] = i & 0x7f; // a distinct leaf each time, same size
      log.append(leafHash(bytes));
    } else log.append(leaf);
    if ((i + 1) % batch === 0 || i === n - 1) {
      log.root();
      roots++;
    }
  }
  return c.json({ n, roots, root: hex(log.root()) });
});

let ledgerRuns = 0;
app.post("/piece/ledger", async (c) => {
  const n = Number(c.req.query("n") ?? "10000");
  const chunk = Number(c.req.query("chunk") ?? "100");
  const shard = 1000 + ++ledgerRuns;
  const stub = c.env.LEDGER.get(c.env.LEDGER.idFromName(shardName(shard)));
  const tree = "tre_benchledger000000000000";
  const principal = "prn_benchledger000000000000";
  const leaf = hex(leafHash(utf8(canonicalize(sampleReceipt(0)))));
  let sealed = 0;
  for (let i = 0; i < n; i += chunk) {
    const entries: LedgerEntry[] = [];
    for (let j = i; j < Math.min(n, i + chunk); j++) entries.push({ id: `rcp_bench${String(j).padStart(17, "0")}`, tree, principal, seq: j + 1, leaf_hash: leaf });
    sealed += (await stub.append(shard, entries)).sealed.length;
  }
  sealed += (await stub.seal(shard)).sealed.length;
  const stats = await stub.stats(shard);
  return c.json({ n, chunk, shard, sealed, stats });
});

app.onError((err, c) => c.json({ error: String(err) }, 401));

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
