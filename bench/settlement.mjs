// Settlement rows of the bench.
//
//   merkle   sealing micro-benchmark of src/core/receipts/merkle.ts (MerkleLog append +
//            root per batch), in Node (the bundled module) and in workerd (the floors
//            worker's /piece/merkle, timed by the client). Target ≥ 20k receipts/s.
//   ledger   SEAM — the Ledger Durable Object version and the anchor gas rows, to be
//            filled when durable-objects/ledger/ exists (see ledgerRows below).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./lib/paths.mjs";

export const MERKLE_TARGET = 20_000;

function sampleReceiptBytes(sdk, seq) {
  return sdk.utf8(
    sdk.canonicalize({
      v: 1,
      id: `rcp_AbCdEfGhIjKlM${String(seq).padStart(13, "0")}`,
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
      at: new Date(1_800_000_000_000 + seq).toISOString(),
      kid: "AbCdEfGhIjKlMnOp",
    }),
  );
}

/**
 * Receipts sealed per second by one shard's MerkleLog, in this process:
 *   fromLeafHash  the ledger takes `leaf_hash` (hex) from the tree outbox: decode, append, root per batch
 *   fromBytes     the ledger recomputes SHA-256(0x00 || bytes) from the receipt bytes first
 */
export function merkleNode(sdk, { n, batch }) {
  const bytes = Array.from({ length: n }, (_, i) => sampleReceiptBytes(sdk, i));
  const hexes = bytes.map((b) => sdk.hex(sdk.leafHash(b)));
  const fromHex = (h) => Uint8Array.from(Buffer.from(h, "hex"));
  const seal = (leafOf) => {
    const log = new sdk.MerkleLog();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      log.append(leafOf(i));
      if ((i + 1) % batch === 0 || i === n - 1) log.root();
    }
    const ms = performance.now() - t0;
    return { perSecond: n / (ms / 1000), root: sdk.hex(log.root()) };
  };
  // Best of three after a warm-up: the JIT, not the GC, is what a shard sees in steady state.
  const best = (f) => {
    f();
    return [f(), f(), f()].reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  };
  const fromLeafHash = best(() => seal((i) => fromHex(hexes[i])));
  const fromBytes = best(() => seal((i) => sdk.leafHash(bytes[i])));
  // Sanity: the log's root is the RFC 9162 root of the same leaves.
  const expected = sdk.hex(sdk.rootOf(hexes.map(fromHex)));
  if (fromLeafHash.root !== expected || fromBytes.root !== expected) throw new Error("MerkleLog root differs from rootOf");
  return { n, batch, fromLeafHash: fromLeafHash.perSecond, fromBytes: fromBytes.perSecond, receiptBytes: bytes[0].length };
}

/** The same sealing inside workerd (floors worker), timed from the client minus a bare round trip. */
export async function merkleWorkerd(floorsUrl, { n, batch }) {
  const post = async (path) => {
    const t0 = performance.now();
    const r = await fetch(floorsUrl + path, { method: "POST" });
    await r.text();
    if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
    return performance.now() - t0;
  };
  const time = async (leaf) => {
    const rtt = Math.min(await post("/floor/bare"), await post("/floor/bare"), await post("/floor/bare"));
    await post(`/piece/merkle?n=${n}&batch=${batch}&leaf=${leaf}`); // warm-up
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await post(`/piece/merkle?n=${n}&batch=${batch}&leaf=${leaf}`));
    return n / ((Math.min(...runs) - rtt) / 1000);
  };
  return { n, batch, fromLeafHash: await time(0), fromBytes: await time(1) };
}

// ============================================================================
// The Ledger Durable Object (durable-objects/ledger/) and the anchor gas.
//
// Wired now that the Ledger exists. Two measurements:
//
//  ledgerShard  the real Ledger class (hosted by the floors worker, same bundler,
//               same workerd) driven from inside workerd by /piece/ledger: receipts
//               appended to ONE fresh shard in RPCs of `chunk` entries, sealing full
//               batches (LEDGER_BATCH_SIZE) as it goes, then `seal` for the rest.
//               chunk 100 is the tree outbox's RECEIPT_DRAIN_BATCH; chunk 1 is what a
//               shard sees when every tree alarm ships a single receipt.
//  anchorGas    anvil + RemitAnchor (scripts/anvil.mjs), a separate instance of the
//               real worker with ANCHOR_* set, its ledger shards filled with N
//               receipts (Ledger.append through Miniflare's DO proxy, spread over
//               LEDGER_SHARDS), then POST /v1/admin/settle until the period is
//               anchored; gas_used comes from the settlement's own record of the
//               transaction receipt (GET /v1/anchors). One warm-up period first, so
//               every row pays the same storage costs on chain.
//
// Still open (SEAM): the 1M row takes ~1 min of ledger appends on this machine, so
// it runs only with --gas-1m.
// ============================================================================
export async function ledgerShard(floorsUrl, { quick }) {
  const post = async (path) => {
    const t0 = performance.now();
    const r = await fetch(floorsUrl + path, { method: "POST" });
    const body = await r.json();
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t0, body };
  };
  const rtt = Math.min(...(await Promise.all([0, 1, 2].map(() => post("/floor/bare")))).map((x) => x.ms));
  const rate = async (n, chunk) => {
    const { ms, body } = await post(`/piece/ledger?n=${n}&chunk=${chunk}`);
    if (body.stats.received !== n || body.stats.open !== 0) throw new Error(`ledger piece: ${JSON.stringify(body.stats)}`);
    return { n, chunk, perSecond: n / ((ms - rtt) / 1000), batches: body.stats.batches };
  };
  await rate(1000, 100); // warm-up
  return {
    chunk100: await rate(quick ? 10_000 : 30_000, 100),
    chunk1: await rate(quick ? 500 : 2000, 1),
  };
}

export async function anchorGas({ startWorker, build, bindings, stateDir, adminToken, sizes }) {
  const anvilLib = await import(join(ROOT, "scripts", "anvil.mjs"));
  const anvil = await anvilLib.startAnvil();
  let server = null;
  try {
    const contract = await anvilLib.deployAnchor(anvil.rpcUrl, anvilLib.ANVIL_KEY_0);
    server = await startWorker({
      build,
      stateDir,
      bindings: {
        ...bindings,
        ANCHOR_RPC_URL: anvil.rpcUrl,
        ANCHOR_CONTRACT: contract,
        ANCHOR_CHAIN_ID: "31337",
        ANCHOR_PRIVATE_KEY: anvilLib.ANVIL_KEY_0,
        ANCHOR_CONFIRMATIONS: "1",
      },
    });
    const call = async (method, path, body, auth = adminToken) => {
      const r = await fetch(server.url + path, {
        method,
        headers: { authorization: `Bearer ${auth}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
      return JSON.parse(text);
    };
    const principal = (await call("POST", "/v1/principals", { name: "bench-gas" })).principal.id;
    const shards = Number((await import("node:fs")).readFileSync(build.config, "utf8").match(/LEDGER_SHARDS\s*=\s*"(\d+)"/)?.[1] ?? 4);
    const ns = await server.mf.getDurableObjectNamespace("LEDGER");
    const stubs = Array.from({ length: shards }, (_, i) => ns.get(ns.idFromName(`shard-${i}`)));
    let seq = 0;
    const leaf = "5a".repeat(32);
    const fill = async (n) => {
      const t0 = performance.now();
      for (let shard = 0; shard < shards; shard++) {
        const share = Math.floor(n / shards) + (shard < n % shards ? 1 : 0);
        for (let done = 0; done < share; ) {
          const k = Math.min(1000, share - done);
          const entries = [];
          for (let j = 0; j < k; j++) {
            seq++;
            entries.push({ id: `rcp_gas${String(seq).padStart(19, "0")}`, tree: "tre_benchgas", principal, seq, leaf_hash: leaf });
          }
          await stubs[shard].append(shard, entries);
          done += k;
        }
      }
      return performance.now() - t0;
    };
    /** One period, anchored (a run may only send the transaction; the next one confirms it). */
    const settleOne = async () => {
      for (let i = 0; i < 20; i++) {
        const run = await call("POST", "/v1/admin/settle", {});
        if (run.anchor?.status === "anchored") return run.anchor;
        if (run.action === "idle") return null;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the period did not anchor");
    };
    /** Periods until `n` receipts are anchored: a period takes what the shards list, which may be less than all. */
    const settle = async (n) => {
      const periods = [];
      let count = 0;
      while (count < n) {
        const a = await settleOne();
        if (!a) break;
        periods.push({ period: a.period, receipts: a.count, batches: a.batches, gasUsed: Number(a.gas_used), tx: a.tx });
        count += a.count;
      }
      return { count, periods };
    };
    await fill(256);
    const warm = (await settle(256)).periods[0];
    const rows = [];
    for (const n of sizes) {
      const fillMs = await fill(n);
      const s = await settle(n);
      const p = s.periods;
      rows.push({
        requested: n,
        receipts: s.count,
        periods: p,
        gasUsed: p[0]?.gasUsed ?? null,
        gasPerPeriod: p.map((x) => x.gasUsed),
        batches: p.reduce((t, x) => t + x.batches, 0),
        fillPerSecond: n / (fillMs / 1000),
        shards,
      });
    }
    return { contract, warmup: { receipts: warm.receipts, gasUsed: warm.gasUsed }, rows };
  } finally {
    await server?.stop();
    await anvil.stop();
  }
}

export function ledgerStatus() {
  const file = join(ROOT, "durable-objects", "ledger", "index.ts");
  const exists = existsSync(file);
  const exported = exists && /export\s*\{[^}]*\bLedger\b/.test(readFileSync(join(ROOT, "src", "index.ts"), "utf8"));
  return { file, exists, exported };
}
