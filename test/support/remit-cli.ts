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
    kill(signal?: string): boolean;
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

function spawnIn(dir: string, args: string[], env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(nodeProcess.env).filter(([k]) => !k.startsWith("REMIT_")));
  return childProcess.spawn(nodeProcess.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...clean, HOME: dir, REMIT_CONFIG: path.join(dir, "config.json"), NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** A `remit` that keeps running (`remit listen`): its output so far, and a way to stop it. */
export interface Running {
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once the output (stdout + stderr) matches, with the match; rejects if the process ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then its exit. */
  stop(): Promise<{ code: number | null; signal: string | null }>;
}

function start(dir: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawnIn(dir, args, env);
  let stdout = "";
  let stderr = "";
  let exited: { code: number | null; signal: string | null } | null = null;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout.on("data", (c) => {
    stdout += String(c);
    wake();
  });
  child.stderr.on("data", (c) => {
    stderr += String(c);
    wake();
  });
  const closed = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("close", (code, signal) => {
      exited = { code, signal };
      wake();
      resolve(exited);
    }),
  );
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no ${pattern} in ${timeoutMs} ms; stdout: ${stdout}\nstderr: ${stderr}`)), timeoutMs);
        const done = (err: Error | null, m?: RegExpMatchArray) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve(m!);
        };
        const check = () => {
          const m = (stdout + stderr).match(pattern);
          if (m) done(null, m);
          else if (exited) done(new Error(`remit exited (${exited.code ?? exited.signal}) before ${pattern}; stdout: ${stdout}\nstderr: ${stderr}`));
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (!exited) child.kill("SIGTERM");
      return closed;
    },
  };
}

/** Runs `remit …` with its own config file and HOME; no REMIT_* from the outside leaks in. */
function run(dir: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawnIn(dir, args, env);
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
export function useRemitCli(): {
  readonly dir: string;
  remit(args: string[], env?: Record<string, string>): Promise<Run>;
  /** Starts `remit …` and leaves it running (stop it in the test). */
  start(args: string[], env?: Record<string, string>): Running;
} {
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
    start: (args, env) => start(dir, args, env),
  };
}
