#!/usr/bin/env node
// `npm run deploy:check`: everything a `wrangler deploy` would do short of the upload,
// so a pull request proves the pipeline without a Cloudflare account.
//
//   1. compatibility_date is not past what the installed workerd supports;
//   2. `wrangler deploy --dry-run --outdir <tmp>` for every environment (top level, staging, production);
//   3. each bundle's gzip size within BUNDLE_GZIP_BUDGET (raw and gzip printed);
//   4. the worker's start-up cost: the built bundle loaded in workerd (Miniflare), median of
//      a few fresh starts up to the first answer of /healthz, minus an empty worker with the same
//      bindings started the same way, within STARTUP_BUDGET_MS (CPU time on Linux, else wall time);
//   5. `npm run types:check` (the committed worker-configuration.d.ts matches wrangler.toml);
//   6. the type test (test/types/tsconfig.json): the contract's Env holds every generated binding.
//
// Exits non-zero with a message naming the failed check. Talks to no network host:
// wrangler's dry run never contacts the API, and telemetry is off.
//
//   node scripts/deploy-check.mjs [--env staging] [--runs 5]
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { parse as parseToml } from "smol-toml";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules", "wrangler", "wrangler-dist", "cli.js");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** Cloudflare's limit after compression on the paid plan is 10 MiB; ours is far tighter, so growth is noticed early. */
export const BUNDLE_GZIP_BUDGET = Number(process.env.DEPLOY_CHECK_GZIP_BUDGET ?? 1024 * 1024);
/** Cloudflare refuses a worker whose global scope takes over 1 s to evaluate; we keep well clear of it. */
export const STARTUP_BUDGET_MS = Number(process.env.DEPLOY_CHECK_STARTUP_BUDGET_MS ?? 400);
// (Both overridable from the environment only to show that the checks fail when they should.)

const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const RUNS = Number(flag("--runs") ?? process.env.DEPLOY_CHECK_RUNS ?? 5);
const onlyEnv = flag("--env");

const WRANGLER_ENV = {
  ...process.env,
  // No network here but the package registries: no telemetry, no error reports.
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  NO_UPDATE_NOTIFIER: "1",
  FORCE_COLOR: "0",
};

const failures = [];
const fail = (message) => {
  failures.push(message);
  console.error(`✗ ${message}`);
};
const ok = (message) => console.log(`✓ ${message}`);
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", env: WRANGLER_ENV, maxBuffer: 64 * 1024 * 1024, ...options });
}

/** The worker configuration as wrangler reads it: the top level, or an environment over it. */
export function resolvedEnvironment(config, envName) {
  if (!envName) return config;
  const env = config.env?.[envName];
  if (!env) throw new Error(`wrangler.toml has no [env.${envName}]`);
  // compatibility_date/flags are inheritable: an environment may not set its own.
  return { ...config, ...env };
}

// ------------------------------------------------------------------ 1. compatibility date

async function checkCompatibilityDate(config, envNames) {
  const { compatibilityDate: supported, version } = await import("workerd");
  for (const envName of envNames) {
    const date = resolvedEnvironment(config, envName).compatibility_date;
    const where = envName ? `[env.${envName}]` : "top level";
    if (typeof date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(date)) fail(`compatibility_date (${where}) must be YYYY-MM-DD, got ${JSON.stringify(date)}`);
    else if (date > supported)
      fail(
        `compatibility_date ${date} (${where}) is past what the installed workerd ${version} supports (${supported}): ` +
          "lower it in wrangler.toml, or upgrade wrangler (and with it workerd) first",
      );
    else ok(`compatibility_date ${date} (${where}) ≤ workerd ${version}'s ${supported}`);
  }
}

// ------------------------------------------------------------------ 2–3. dry run and size

async function dryRun(envName, outdir) {
  const label = envName || "top level";
  // `--env=""` names the top level explicitly (wrangler warns when several environments exist and none is named).
  const res = run(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outdir, `--env=${envName}`]);
  const output = `${res.stdout}\n${res.stderr}`;
  if (res.status !== 0) {
    fail(`wrangler deploy --dry-run (${label}) exited ${res.status}:\n${output.trim().split("\n").slice(-30).join("\n")}`);
    return null;
  }
  if (!/--dry-run: exiting now/.test(output)) {
    fail(`wrangler deploy --dry-run (${label}) did not reach the end of its checks:\n${output}`);
    return null;
  }
  const warnings = output.split("\n").filter((l) => /WARNING/.test(l));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips wrangler's ANSI colour codes
  for (const w of warnings) console.log(`  ${label}: ${w.replace(/\x1b\[[0-9;]*m/g, "").trim()}`);
  const bundle = await readFile(join(outdir, "index.js"));
  const gzip = gzipSync(bundle, { level: 9 }).length;
  const figures = `raw ${kib(bundle.length)}, gzip ${kib(gzip)} (budget ${kib(BUNDLE_GZIP_BUDGET)} gzip)`;
  if (gzip > BUNDLE_GZIP_BUDGET) fail(`bundle (${label}) too large: ${figures}`);
  else ok(`dry run (${label}): bundle ${figures}`);
  return { bundle: join(outdir, "index.js"), raw: bundle.length, gzip };
}

// ------------------------------------------------------------------ 4. start-up

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Clock ticks per second of /proc/<pid>/stat's CPU fields (100 on Linux unless configured otherwise). */
function clockTicks() {
  const res = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(res.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

/** CPU milliseconds (user + system) the workerd processes this process started have used so far; null off Linux. */
async function workerdCpuMs(ticks) {
  let entries;
  try {
    entries = await readdir("/proc");
  } catch {
    return null;
  }
  let total = 0;
  let found = false;
  for (const pid of entries.filter((e) => /^\d+$/.test(e))) {
    let stat;
    try {
      stat = await readFile(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid … utime stime …": comm may hold spaces, so split after the last ")".
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[1]) !== process.pid || !comm.includes("workerd")) continue;
    total += ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
    found = true;
  }
  return found ? total : null;
}

/**
 * One fresh workerd: wall milliseconds from `new Miniflare()` to the first answer of GET /healthz,
 * and the CPU milliseconds workerd spent until then (which, unlike wall time, a busy machine hardly changes).
 */
async function timeStart({ Miniflare, convertV4MiniflareOptions }, workerOptions, ticks) {
  // Miniflare 5 keeps the v4 option shape (the one its README documents) behind a converter.
  const options = convertV4MiniflareOptions({ name: "remit", ...workerOptions });
  const t0 = performance.now();
  const mf = new Miniflare(options);
  try {
    const res = await mf.dispatchFetch("http://localhost/healthz");
    await res.text();
    const wall = performance.now() - t0;
    const cpu = await workerdCpuMs(ticks);
    if (res.status !== 200) throw new Error(`GET /healthz answered ${res.status}`);
    return { wall, cpu };
  } finally {
    await mf.dispose();
  }
}

async function checkStartup(config, bundlePath) {
  const miniflare = await import("miniflare");
  const ticks = clockTicks();
  const common = {
    modules: true,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
  };
  const bindings = config.durable_objects?.bindings ?? [];
  const durableObjects = Object.fromEntries(bindings.map((b) => [b.name, { className: b.class_name, useSQLite: true }]));
  const worker = {
    ...common,
    scriptPath: bundlePath,
    modulesRoot: join(bundlePath, ".."),
    durableObjects,
    // Dummy secrets: /healthz reads none, but the worker's global scope must not depend on them either.
    // The request log off: its lines would only clutter the figures printed here.
    bindings: { ...(config.vars ?? {}), REMIT_ADMIN_TOKEN: "deploy-check", REMIT_SIGNING_KEY: "A".repeat(43), REMIT_REQUEST_LOG: "off" },
  };
  // An empty worker with the same Durable Object namespaces, started the same way: what workerd's
  // own start and the first request cost, so the difference is the bundle's compile and global scope.
  const emptyClasses = bindings.map((b) => `export class ${b.class_name} extends DurableObject {}`).join("\n");
  const empty = {
    ...common,
    script: `import { DurableObject } from "cloudflare:workers";\n${emptyClasses}\nexport default { fetch() { return new Response("ok"); } };`,
    durableObjects,
  };
  await timeStart(miniflare, empty, ticks); // warm the file cache: the first spawn of a binary is slower on any machine
  const base = [];
  const full = [];
  for (let i = 0; i < RUNS; i++) {
    base.push(await timeStart(miniflare, empty, ticks));
    full.push(await timeStart(miniflare, worker, ticks));
  }
  const wall = median(full.map((r) => r.wall)) - median(base.map((r) => r.wall));
  const onLinux = full.every((r) => r.cpu !== null) && base.every((r) => r.cpu !== null);
  const cpu = onLinux ? median(full.map((r) => r.cpu)) - median(base.map((r) => r.cpu)) : null;
  // The budget holds the CPU figure where there is one: wall time on a shared 2-core runner
  // swings with whatever else runs; Cloudflare's limit is on the work itself.
  const cost = Math.max(0, cpu ?? wall);
  const figures =
    `start-up ${cost.toFixed(0)} ms ${cpu !== null ? "CPU" : "wall"} (budget ${STARTUP_BUDGET_MS} ms; median of ${RUNS} fresh starts, ` +
    `worker minus an empty worker with the same bindings: CPU ${cpu === null ? "n/a" : `${cpu.toFixed(0)} ms`}, wall ${wall.toFixed(0)} ms; ` +
    `worker wall ${full.map((r) => r.wall.toFixed(0)).join("/")} ms, empty ${base.map((r) => r.wall.toFixed(0)).join("/")} ms)`;
  if (cost > STARTUP_BUDGET_MS) fail(`worker start-up too slow: ${figures}`);
  else ok(figures);
  return cost;
}

// ------------------------------------------------------------------ 5–6. types

function checkTypes() {
  const types = run(process.execPath, [join(ROOT, "scripts", "types-check.mjs")]);
  if (types.status !== 0) fail(`types:check failed:\n${(types.stdout + types.stderr).trim()}`);
  else ok("types:check: test/types/worker-configuration.d.ts matches wrangler.toml");
  const tsc = run(process.execPath, [TSC, "--noEmit", "-p", join(ROOT, "test", "types", "tsconfig.json")]);
  if (tsc.status !== 0) fail(`type test (test/types) failed: the contract's Env no longer holds what wrangler.toml binds:\n${(tsc.stdout + tsc.stderr).trim()}`);
  else ok("type test: src/contract/env.ts Env holds every generated binding and var");
}

// ------------------------------------------------------------------ main

async function main() {
  const config = parseToml(await readFile(join(ROOT, "wrangler.toml"), "utf8"));
  const envNames = onlyEnv !== undefined ? [onlyEnv] : ["", ...Object.keys(config.env ?? {})];
  await checkCompatibilityDate(config, envNames);
  const tmp = await mkdtemp(join(tmpdir(), "remit-deploy-check-"));
  try {
    const built = {};
    for (const envName of envNames) built[envName] = await dryRun(envName, join(tmp, envName || "top"));
    // One start-up measurement: every environment bundles the same code (only names and vars differ).
    const first = envNames.find((e) => built[e]);
    if (first !== undefined) {
      try {
        await checkStartup(resolvedEnvironment(config, first), built[first].bundle);
      } catch (err) {
        fail(`the built worker did not start in workerd: ${err?.stack ?? err}`);
      }
    }
    checkTypes();
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.error(`\ndeploy:check: ${failures.length} check(s) failed`);
    process.exit(1);
  }
  console.log("\ndeploy:check: all checks passed");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
