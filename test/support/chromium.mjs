// vitest globalSetup of the node project: the browser the dashboard tests drive. Browser
// downloads are not reachable from here, so it is Debian's chromium, installed with apt-get
// when it is missing (the Debian mirrors are). Plain JavaScript, like the other globalSetups.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default function setup() {
  if (existsSync(CHROMIUM)) return;
  console.log(`[browser] ${CHROMIUM} is missing: apt-get install -y chromium`);
  const asRoot = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  const run = (args) => {
    const [cmd, ...rest] = [...asRoot, ...args];
    return spawnSync(cmd, rest, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  };
  let r = run(["apt-get", "install", "-y", "chromium"]);
  if (r.status !== 0) {
    run(["apt-get", "update"]);
    r = run(["apt-get", "install", "-y", "chromium"]);
  }
  if (r.status !== 0 || !existsSync(CHROMIUM)) throw new Error(`could not install chromium (apt-get exited ${r.status}); install it, or set CHROMIUM_PATH`);
}
