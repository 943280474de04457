/**
 * The `remit` binary as a child process for the e2e tests: its own temporary folder,
 * config file and HOME per test file, and nothing of the caller's REMIT_* environment.
 */
import { afterAll, beforeAll } from "vitest";
import { fs, os, path } from "../../cli/src/node";

interface ChildProcessModule {
  spawn(
    command: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string | undefined>; stdio?: unknown },
  ): {
    stdout: { on(event: "data", fn: (chunk: unknown) => void): void };
    stderr: { on(event: "data", fn: (chunk: unknown) => void): void };
    on(event: "close", fn: (code: number | null, signal: string | null) => void): void;
    on(event: "error", fn: (err: Error) => void): void;
  };
}
const childProcess = (await import("node:child_process" as string)) as ChildProcessModule;
const nodeProcess = (globalThis as unknown as { process: { execPath: string; env: Record<string, string | undefined> } }).process;

const ROOT = path.resolve(new URL("../..", (import.meta as unknown as { url: string }).url).pathname);
const BIN = path.join(ROOT, "cli", "bin", "remit.mjs");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs `remit …` with its own config file and HOME; no REMIT_* from the outside leaks in. */
function run(dir: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(nodeProcess.env).filter(([k]) => !k.startsWith("REMIT_")));
  return new Promise((resolve, reject) => {
    const child = childProcess.spawn(nodeProcess.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...clean, HOME: dir, REMIT_CONFIG: path.join(dir, "config.json"), NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.on("error", reject);
    child.on("close", (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        // human output
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/** A temporary working folder for the file's `remit` runs, made before its tests and removed after. */
export function useRemitCli(): { readonly dir: string; remit(args: string[], env?: Record<string, string>): Promise<Run> } {
  let dir = "";
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "remit-cli-"));
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    remit: (args, env) => run(dir, args, env),
  };
}
