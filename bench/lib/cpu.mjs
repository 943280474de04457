// Who used the CPUs during a row: workerd (the server), the load generator, and
// everything else on the machine (other users' tests and builds share these cores).
// CPU per request of workerd is the noise-robust measure of server cost; "other"
// says how much the row was disturbed.
import { readFileSync } from "node:fs";
import { cpuNs } from "./server.mjs";

const TICK_NS = 1e9 / 100; // USER_HZ

function busyNs() {
  const [, ...f] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
  return (user + nice + system + irq + softirq + steal) * TICK_NS;
}

function pidNs(pid) {
  try {
    return cpuNs(pid);
  } catch {
    return 0;
  }
}

export function snapshot(pids) {
  return { wall: performance.now(), busy: busyNs(), pids: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pidNs(pid)])) };
}

/** Percent of one core used by each named pid and by everything else between two snapshots. */
export function usage(a, b) {
  const wallNs = (b.wall - a.wall) * 1e6;
  const out = { wallMs: b.wall - a.wall, pct: {}, ns: {} };
  let mine = 0;
  for (const k of Object.keys(a.pids)) {
    const d = b.pids[k] - a.pids[k];
    out.ns[k] = d;
    out.pct[k] = (100 * d) / wallNs;
    mine += d;
  }
  out.pct.other = Math.max(0, (100 * (b.busy - a.busy - mine)) / wallNs);
  return out;
}
