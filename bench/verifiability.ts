/**
 * Time to verifiability (`npm run bench:verifiability`, ~2–3 min): how long after a receipt's
 * `at` the block that anchored its period comes, per receipt, and where the time goes.
 *
 * For each chain mode (anvil automining, then anvil with `--block-time 1`) it starts anvil,
 * deploys RemitAnchor, runs the real worker (wrangler dev, scripts/dev-stack.mjs) with
 * SETTLEMENT_INTERVAL_SECONDS = 10 and the local tick on (aligned to the interval, as the cron
 * is), drives a steady load of spends for a few intervals, waits until every receipt is
 * anchored, and reads each receipt's timestamps from its proof and the chain:
 *
 *   outbox → ledger          at → received_at (the shard took it)
 *   ledger → sealed          received_at → batch.sealed_at
 *   sealed → period opened   sealed_at → anchor.created_at
 *   opened → mined           created_at → the anchoring block's timestamp (signing, broadcast, mining)
 *   mined → confirmed        block timestamp → anchor.anchored_at (the service counted the confirmations)
 *
 * "time to verifiability" is at → the anchoring block's timestamp (block timestamps are whole
 * seconds). Target: p99 ≤ interval + LEDGER_BATCH_SECONDS + 10 s, with at most one anchor
 * transaction per interval. Writes bench/results/verifiability.json.
 *
 *   npx tsx bench/verifiability.ts [--seconds 40] [--rate 8] [--interval 10] [--modes automine,block-time-1]
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createPublicClient, http as viemHttp } from "viem";
import { ANVIL_KEY_0, deployAnchor, freePort, removeDataDir, rpc, startAnvil, tempDataDir } from "../test/support/anvil";
import { grantTree, proofOf, spendOnce, until, type Spender } from "../test/support/settlement-stack";
import { startStack, type TestStack } from "../test/support/stack";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const SECONDS = Number(arg("seconds", "40"));
const RATE = Number(arg("rate", "8"));
const INTERVAL = Number(arg("interval", "10"));
const BATCH_SECONDS = 10; // wrangler.toml's LEDGER_BATCH_SECONDS
const CONFIRMATIONS = 1;
const TARGET_S = INTERVAL + BATCH_SECONDS + 10;
const MODES = arg("modes", "automine,block-time-1").split(",");

interface Row {
  id: string;
  total_s: number;
  seen_s: number;
  stages: Record<string, number>;
  period: number;
}

const STAGES = ["outbox → ledger", "ledger → sealed", "sealed → period opened", "opened → mined", "mined → confirmed"] as const;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
const summary = (xs: number[]) => ({ p50: round(pct(xs, 50)), p99: round(pct(xs, 99)), max: round(Math.max(...xs)) });
const round = (x: number) => Math.round(x * 100) / 100;

async function runMode(mode: string) {
  const dataDir = await tempDataDir("remit-verif-chain-");
  const port = await freePort();
  const anvil = await startAnvil({ port, dataDir, ...(mode === "block-time-1" ? { blockTime: 1 } : {}) });
  const rpcUrl = `http://127.0.0.1:${port}`;
  let stack: TestStack | null = null;
  try {
    const contract = await deployAnchor(rpcUrl, ANVIL_KEY_0);
    const chainId = Number.parseInt(await rpc<string>(rpcUrl, "eth_chainId"), 16);
    stack = await startStack({
      vars: {
        ANCHOR_RPC_URL: rpcUrl,
        ANCHOR_CONTRACT: contract,
        ANCHOR_PRIVATE_KEY: ANVIL_KEY_0,
        ANCHOR_CHAIN_ID: String(chainId),
        ANCHOR_CONFIRMATIONS: String(CONFIRMATIONS),
        SETTLEMENT_INTERVAL_SECONDS: String(INTERVAL),
      },
      timeoutMs: 120_000,
    });
    // The local tick (the cron's stand-in) is a startStack option the TS wrapper does not pass: tick here, like dev-stack's.
    const s = stack;
    let ticking = true;
    const ticker = (async () => {
      while (ticking) {
        await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 250));
        if (!ticking) break;
        await s.runScheduled().catch(() => undefined);
      }
    })();

    const spenders: Spender[] = [];
    for (let i = 0; i < 4; i++) spenders.push(await grantTree(s.url, await s.createPrincipal(`Bench ${i}`)));
    const receipts: { id: string; apiKey: string }[] = [];
    const t0 = Date.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; Date.now() - t0 < SECONDS * 1000; i++) {
      const due = t0 + (i * 1000) / RATE;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const sp = spenders[i % spenders.length]!;
      inflight.push(spendOnce(s.url, sp, 1).then((id) => void receipts.push({ id, apiKey: sp.apiKey })));
    }
    await Promise.all(inflight);
    console.error(`[verifiability] ${mode}: ${receipts.length} spends in ${SECONDS} s; waiting for anchoring…`);

    const proofs = new Map<string, Record<string, any>>();
    await until(
      "every receipt anchored",
      async () => {
        const pending = receipts.filter((r) => !proofs.has(r.id));
        for (let i = 0; i < pending.length; i += 16)
          await Promise.all(
            pending.slice(i, i + 16).map(async (r) => {
              const p = await proofOf(s.url, r.apiKey, r.id);
              if (p.status === "anchored") proofs.set(r.id, p);
            }),
          );
        return proofs.size;
      },
      (n) => n === receipts.length,
      180_000,
      1_000,
    );
    ticking = false;
    await ticker;

    const client = createPublicClient({ transport: viemHttp(rpcUrl) });
    const blockTime = new Map<number, number>();
    const periods = new Map<number, { tx: string; block: number; created_at: number; anchored_at: number }>();
    const rows: Row[] = [];
    for (const r of receipts) {
      const p = proofs.get(r.id)!;
      const block = Number(p.proof.block_number);
      if (!blockTime.has(block)) blockTime.set(block, Number((await client.getBlock({ blockNumber: BigInt(block) })).timestamp) * 1000);
      const at = Date.parse(p.receipt.receipt.at);
      const received = Date.parse(p.received_at);
      const sealed = Date.parse(p.batch.sealed_at);
      const opened = Date.parse(p.anchor.created_at);
      const mined = blockTime.get(block)!;
      const confirmed = Date.parse(p.anchor.anchored_at);
      periods.set(p.anchor.period, { tx: p.proof.tx_hash, block, created_at: opened, anchored_at: confirmed });
      rows.push({
        id: r.id,
        period: p.anchor.period,
        total_s: (mined - at) / 1000,
        seen_s: (confirmed - at) / 1000,
        stages: {
          "outbox → ledger": (received - at) / 1000,
          "ledger → sealed": (sealed - received) / 1000,
          "sealed → period opened": (opened - sealed) / 1000,
          "opened → mined": (mined - opened) / 1000,
          "mined → confirmed": (confirmed - mined) / 1000,
        },
      });
    }
    // At most one anchor transaction per interval: the periods' openings, slot by slot.
    const slots = [...periods.values()].map((p) => Math.floor(p.created_at / (INTERVAL * 1000)));
    const onePerInterval = new Set(slots).size === slots.length;
    const txs = new Set([...periods.values()].map((p) => p.tx)).size;
    const total = summary(rows.map((r) => r.total_s));
    const stages = Object.fromEntries(STAGES.map((st) => [st, summary(rows.map((r) => r.stages[st]!))]));
    const dominant = STAGES.reduce((a, b) => (stages[b]!.p50 > stages[a]!.p50 ? b : a));
    return {
      mode,
      receipts: rows.length,
      periods: periods.size,
      anchor_transactions: txs,
      one_transaction_per_interval: onePerInterval,
      "time to verifiability": { ...total, target_p99: TARGET_S, met: total.p99 <= TARGET_S && onePerInterval },
      "at → confirmed (service)": summary(rows.map((r) => r.seen_s)),
      stages,
      dominant_stage: dominant,
    };
  } finally {
    await stack?.stop();
    await anvil.stop();
    await removeDataDir(dataDir);
  }
}

const results = [];
for (const mode of MODES) {
  const r = await runMode(mode);
  results.push(r);
  console.log(`\ntime to verifiability — ${mode} (interval ${INTERVAL} s, LEDGER_BATCH_SECONDS ${BATCH_SECONDS}, ${CONFIRMATIONS} confirmation)`);
  console.log(`  ${r.receipts} receipts, ${r.periods} periods, ${r.anchor_transactions} anchor transactions, one per interval: ${r.one_transaction_per_interval}`);
  const t = r["time to verifiability"];
  console.log(`  at → anchoring block   p50 ${t.p50} s  p99 ${t.p99} s  max ${t.max} s   target p99 ≤ ${t.target_p99} s  met: ${t.met}`);
  for (const [st, v] of Object.entries(r.stages)) console.log(`  ${st.padEnd(24)} p50 ${v.p50} s  p99 ${v.p99} s  max ${v.max} s`);
  console.log(`  dominant stage (p50): ${r.dominant_stage}`);
}
const dir = join(import.meta.dirname, "results");
await mkdir(dir, { recursive: true });
await writeFile(
  join(dir, "verifiability.json"),
  `${JSON.stringify({ at: new Date().toISOString(), interval_s: INTERVAL, batch_seconds: BATCH_SECONDS, confirmations: CONFIRMATIONS, rate_per_s: RATE, load_s: SECONDS, results }, null, 2)}\n`,
);
console.log(`\nwrote bench/results/verifiability.json`);
