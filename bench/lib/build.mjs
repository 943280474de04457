// Builds what the bench runs, the way production builds it:
//   bench/.build/remit/index.js    the real worker: `wrangler deploy --dry-run --outdir` (wrangler's bundler)
//   bench/.build/floors/index.js   the floors worker (bench/floors), same command
//   bench/.build/node/remit-node.mjs  SDK proofs + Merkle log for the Node side (esbuild)
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { join } from "node:path";
import { BENCH, ROOT } from "./paths.mjs";

export const BUILD = join(BENCH, ".build");

function run(cmd, args, opts = {}) {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], ...opts });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? ok(out) : fail(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${out}`))));
  });
}

const WRANGLER = join(ROOT, "node_modules", "wrangler", "wrangler-dist", "cli.js");

/** `wrangler deploy --dry-run`: the bundle `wrangler deploy` would upload, nothing uploaded. */
export async function wranglerBundle(config, outdir) {
  await rm(outdir, { recursive: true, force: true });
  await run(process.execPath, [WRANGLER, "deploy", "--dry-run", "--config", config, "--outdir", outdir], {
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" },
  });
  // Named after the entry (index.js, worker.js): the one .js file in outdir.
  const js = (await readdir(outdir)).filter((f) => f.endsWith(".js"));
  if (js.length !== 1) throw new Error(`wrangler produced ${js.length} .js files in ${outdir}`);
  return join(outdir, js[0]);
}

export async function nodeBundle() {
  const esbuild = await import("esbuild");
  const outfile = join(BUILD, "node", "remit-node.mjs");
  await esbuild.build({
    entryPoints: [join(BENCH, "node", "entry.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    outfile,
    logLevel: "silent",
  });
  return outfile;
}

/**
 * A copy of a wrangler config in its own directory, for Miniflare's options
 * (wrangler's unstable_getMiniflareWorkerOptions): the bindings, vars, queues and
 * Durable Objects are the config's own, and no .dev.vars sits beside the copy, so
 * no developer secret is read; the bench passes its own.
 */
export async function configCopy(config, dir) {
  await mkdir(dir, { recursive: true });
  const text = (await readFile(config, "utf8"))
    .replace(/^main\s*=\s*"([^"]+)"/m, (_, main) => `main = "${resolve(dirname(config), main)}"`)
    // No [assets]: locally Miniflare puts its asset router and asset worker, in the same
    // workerd, in front of every request (~0.9 ms of CPU per authorize on this VM, more than
    // the route's own edge work); on Cloudflare that routing is the platform's, before the
    // Worker and not its CPU. No measured path serves an asset.
    .replace(/^\[assets\]\n(?:[^[\n].*\n)*/m, "");
  const copy = join(dir, "wrangler.toml");
  await writeFile(copy, text);
  return copy;
}

/**
 * The worker as committed at git `ref` (`git archive` of its sources into
 * bench/.build/baseline/<commit>/, resolving packages from this checkout's node_modules),
 * bundled like the working tree's.
 */
export async function baselineBuild(ref) {
  const commit = (await run("git", ["rev-parse", "--short", ref])).trim();
  const dir = join(BUILD, "baseline", commit);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const tar = join(BUILD, "baseline", `${commit}.tar`);
  await run("git", ["archive", "--format=tar", "-o", tar, commit, "src", "durable-objects", "sdk", "wrangler.toml", "tsconfig.json", "package.json"]);
  await run("tar", ["-xf", tar, "-C", dir]);
  // wrangler.toml's [assets] directory: the static assets (dashboard, /docs) are off the
  // measured paths, so the working tree's built ones stand in (wrangler refuses a missing one).
  await mkdir(join(dir, ".build"), { recursive: true });
  await symlink(join(ROOT, ".build", "assets"), join(dir, ".build", "assets"));
  const config = join(dir, "wrangler.toml");
  const script = await wranglerBundle(config, join(BUILD, "baseline", `${commit}-bundle`));
  return { script, config: await configCopy(config, join(BUILD, "baseline", `${commit}-config`)), ref: commit };
}

export async function buildAll() {
  await mkdir(BUILD, { recursive: true });
  const t0 = performance.now();
  const remitConfig = join(ROOT, "wrangler.toml");
  const floorsConfig = join(BENCH, "floors", "wrangler.toml");
  const [remit, floors, node, remitCfg, floorsCfg] = await Promise.all([
    wranglerBundle(remitConfig, join(BUILD, "remit")),
    wranglerBundle(floorsConfig, join(BUILD, "floors")),
    nodeBundle(),
    configCopy(remitConfig, join(BUILD, "config", "remit")),
    configCopy(floorsConfig, join(BUILD, "config", "floors")),
  ]);
  return { remit: { script: remit, config: remitCfg }, floors: { script: floors, config: floorsCfg }, node, ms: performance.now() - t0 };
}
