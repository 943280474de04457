/**
 * The README's CLI walk-through, run literally: its ```sh block under "Five minutes
 * with Remit" (the one that defines `remit()`), in bash with `set -euo pipefail`,
 * against a real stack (wrangler dev + anvil) set up the way `npm start` sets it up:
 * `.dev/stack.json`, `.dev/chain.json`. It runs in a
 * scratch directory whose package.json has the same `remit` script, so the README's
 * `npm run -s remit` works there and nothing of a developer's own `.dev/` is touched.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fs, os, path } from "../../cli/src/node";
import { useStack } from "../support/stack";

interface ChildProcessModule {
  spawn(
    command: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string | undefined>; stdio?: unknown },
  ): {
    stdout: { on(event: "data", fn: (chunk: unknown) => void): void };
    stderr: { on(event: "data", fn: (chunk: unknown) => void): void };
    on(event: "close", fn: (code: number | null) => void): void;
    on(event: "error", fn: (err: Error) => void): void;
  };
}
const childProcess = (await import("node:child_process" as string)) as ChildProcessModule;
const nodeProcess = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process;

const ROOT = path.resolve(new URL("../..", (import.meta as unknown as { url: string }).url).pathname);

/** The README's CLI block: the ```sh block of "Five minutes with Remit" that defines remit(). */
function readmeCliBlock(readme: string): string {
  const section = readme.slice(readme.indexOf("## Five minutes with Remit"));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes("remit() {"));
  if (!block) throw new Error("README: no CLI block (```sh with remit() {) under Five minutes with Remit");
  return block;
}

const stack = useStack({ withChain: true, timeoutMs: 240_000 });
let dir = "";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "remit-readme-"));
  const s = stack();
  const p = await s.createPrincipal("Demo principal");
  await fs.mkdir(path.join(dir, ".dev"), { recursive: true });
  // What scripts/start.mjs writes in the repository, with or without --fresh (demo-principal.json lives in
  // the state directory, a temporary one under --fresh, so the walk-through must not need it).
  await fs.writeFile(path.join(dir, ".dev", "stack.json"), JSON.stringify({ url: s.url, principal: p.id, api_key: p.apiKey, admin_token: s.adminToken, chain: s.chain }));
  await fs.writeFile(path.join(dir, ".dev", "chain.json"), JSON.stringify({ rpc_url: s.chain!.rpcUrl, contract: s.chain!.contract, chain_id: s.chain!.chainId }));
  const pkg = JSON.parse(await fs.readFile(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  await fs.writeFile(
    path.join(dir, "package.json"),
    JSON.stringify({
      name: "readme-walkthrough",
      private: true,
      scripts: { remit: pkg.scripts.remit!.replace("cli/bin/remit.mjs", path.join(ROOT, "cli/bin/remit.mjs")) },
    }),
  );
}, 240_000);
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function bash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(nodeProcess.env).filter(([k]) => !k.startsWith("REMIT_") && !k.startsWith("npm_")));
  return new Promise((resolve, reject) => {
    const child = childProcess.spawn("bash", ["-c", script], {
      cwd: dir,
      env: { ...clean, HOME: dir, REMIT_CONFIG: path.join(dir, "config.json"), NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("README", () => {
  it("the CLI walk-through runs as written, from login to a receipt verified on chain", async () => {
    const block = readmeCliBlock(await fs.readFile(path.join(ROOT, "README.md"), "utf8"));
    const r = await bash(`set -euo pipefail\n${block}`);
    expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
    // The authorize steps print receipt ids; the tree shows major units and its legend.
    expect(r.stdout).toMatch(/^rcp_[0-9a-z]{26}$/m);
    expect(r.stdout).toContain("spent $18.00 · held $0.00 · remaining $32.00 of $50.00");
    expect(r.stdout).toContain("a session's figures include everything delegated beneath it");
    expect(r.stdout).toContain("refused, as it should be");
    expect(r.stderr).toMatch(/budget/i);
    expect(r.stdout).toMatch(/is anchored in period/);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("verified true");
    // Private keys went to .remit/keys/, mode 0600.
    const { readdir } = (await import("node:fs/promises" as string)) as { readdir(p: string): Promise<string[]> };
    const keys = await readdir(path.join(dir, ".remit", "keys"));
    expect(keys.length).toBe(2);
    for (const k of keys) expect((await fs.stat(path.join(dir, ".remit", "keys", k))).mode & 0o777).toBe(0o600);
  }, 240_000);
});
