// Starts a built worker in workerd through the Miniflare API (no wrangler dev, no
// Node proxy on the request path): SQLite-backed Durable Objects persisted under
// `stateDir` (so Miniflare's listDurableObjectIds can see which objects exist),
// listening on a 127.0.0.1 port the load generator connects to directly.
//
// Also finds the workerd process Miniflare spawned, so the runner can charge the
// server's CPU time (all its threads, from /proc/<pid>/task/*/schedstat, in ns) to
// each row: CPU per request is the noise-robust twin of throughput on a shared box.
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ROOT } from "./paths.mjs";

const { Miniflare, convertV4MiniflareOptions, Log, LogLevel } = await import(join(ROOT, "node_modules", "miniflare", "dist", "src", "index.js"));

function workerdChildren() {
  const out = new Set();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && comm === "workerd") out.add(Number(pid));
    } catch {}
  }
  return out;
}

/** CPU time of every thread of `pid`, in nanoseconds. */
export function cpuNs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {}
  }
  return ns;
}

/**
 * The worker's Miniflare options as wrangler derives them from its config (Durable
 * Objects with SQLite, vars, queues, compatibility date and flags), pointed at the
 * built bundle, with the bench's secrets.
 */
async function workerOptionsFrom(config) {
  const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
  return workerOptions;
}

/**
 * @param {{ build: { script: string, config: string }, bindings: Record<string,string>, stateDir: string, inspectorPort?: number }} o
 */
export async function startWorker(o) {
  await rm(o.stateDir, { recursive: true, force: true });
  await mkdir(o.stateDir, { recursive: true });
  const script = o.build.script;
  const root = dirname(script);
  const wo = await workerOptionsFrom(o.build.config);
  delete wo.modulesRules;
  const options = convertV4MiniflareOptions({
    ...wo,
    host: "127.0.0.1",
    port: 0,
    rootPath: root,
    modulesRoot: root,
    modules: true,
    scriptPath: script,
    bindings: { ...(wo.bindings ?? {}), ...o.bindings },
    ...(o.inspectorPort ? { inspectorPort: o.inspectorPort } : {}),
  });
  options.resourcePersistencePath = o.stateDir;
  // Every request logged to Node would put Node on the request path: off.
  options.logRequests = false;
  options.log = new Log(LogLevel.WARN);
  options.cf = false;
  const before = workerdChildren();
  const mf = new Miniflare(options);
  const url = await mf.ready;
  const pid = [...workerdChildren()].find((p) => !before.has(p)) ?? null;
  return {
    mf,
    pid,
    url: url.href.replace(/\/$/, ""),
    port: Number(url.port),
    cpuNs: () => (pid ? cpuNs(pid) : NaN),
    stop: () => mf.dispose(),
  };
}
