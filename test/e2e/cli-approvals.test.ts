/**
 * `remit approvals`, `remit approve`, `remit deny` and `remit api-keys create --role` as a
 * child process against the real worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fs, os, path } from "../../cli/src/node";
import { generateAgentKey, RemitAgent, RemitPrincipal } from "@remit/sdk";
import { useStack } from "../support/stack";

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

const stack = useStack({ withChain: false });
let dir = "";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "remit-cli-"));
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs `remit …` with its own config file and HOME; no REMIT_* from the outside leaks in. */
function remit(args: string[], env: Record<string, string> = {}): Promise<Run> {
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

const PAY = "http:POST:payments.example.com/charge";

async function gated() {
  const p = await stack().createPrincipal("Acme");
  const principal = new RemitPrincipal({ baseUrl: stack().url, apiKey: p.apiKey });
  const key = generateAgentKey();
  const grant = await principal.grant({
    agentKey: key,
    scopes: ["http:POST:payments.example.com/*"],
    expiresIn: 3600,
    label: "buyer",
    limits: { budgets: [{ asset: "USD", amount: "100000" }], approval: { over: [{ asset: "USD", amount: "10000" }] } },
  });
  return { apiKey: p.apiKey, agent: new RemitAgent({ baseUrl: stack().url, token: grant.token, key }) };
}

describe("remit approvals", () => {
  it("lists what waits as a table, approves one and denies another with a reason", async () => {
    const { apiKey, agent } = await gated();
    const env = { REMIT_URL: stack().url, REMIT_API_KEY: apiKey };
    const first = await agent.authorize(PAY, { amount: { asset: "USD", value: 20000 }, approval: {} });
    const second = await agent.authorize(PAY, { amount: { asset: "USD", value: 30000 }, approval: {} });
    const [a, b] = [first, second].map((x) => ("approval" in x ? x.approval.id : ""));
    const table = await remit(["approvals"], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^approval\s+session\s+label\s+scope\s+amount\s+votes\s+expires/);
    expect(table.stdout).toContain(a);
    expect(table.stdout).toContain("30000 USD");
    expect(table.stdout).toContain("buyer");
    const ok = await remit(["approve", a!, "--note", "fine"], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^approved apr_\w+ \(receipt rcp_/);
    const no = await remit(["--json", "deny", b!, "--reason", "too much"], env);
    expect(no.code, no.stderr).toBe(0);
    expect(no.json).toMatchObject({ status: "denied", reason: "too much" });
    const again = await remit(["approve", a!], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no longer pending|approved/);
    expect((await remit(["--json", "approvals"], env)).json.data).toEqual([]);
  });

  it("api-keys create --role approver makes a key that decides but cannot grant", async () => {
    const { apiKey, agent } = await gated();
    const made = await remit(["--json", "api-keys", "create", "--role", "approver"], { REMIT_URL: stack().url, REMIT_API_KEY: apiKey });
    expect(made.code, made.stderr).toBe(0);
    expect(made.json).toMatchObject({ role: "approver" });
    const env = { REMIT_URL: stack().url, REMIT_API_KEY: made.json.api_key };
    const pending = await agent.authorize(PAY, { amount: { asset: "USD", value: 20000 }, approval: {} });
    const id = "approval" in pending ? pending.approval.id : "";
    expect((await remit(["approve", id], env)).code).toBe(0);
    const freeze = await remit(["freeze"], env);
    expect(freeze.code).toBe(2);
    expect(freeze.stderr).toMatch(/role/);
    const bad = await remit(["api-keys", "create", "--role", "owner"], { REMIT_URL: stack().url, REMIT_API_KEY: apiKey });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--role");
  });
});
