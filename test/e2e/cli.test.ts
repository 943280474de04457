/**
 * The `remit` binary as a child process against the real worker: stdout (--json),
 * stderr and exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fs, os, path } from "../../cli/src/node";
import { RemitAgent, type AgentKey, loadAgentKey } from "@remit/sdk";
import { freePort, useStack } from "../support/stack";

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

const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;

describe("remit", () => {
  it("usage errors exit 1", async () => {
    const unknown = await remit(["frobnicate"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command/);

    const missing = await remit(["grant", "--agent-key", "{}"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--expires/);

    const badBudget = await remit(["grant", "--agent-key", "x.jwk", "--scope", "a:b:c", "--expires", "1h", "--budget", "USD:12.50/day"]);
    expect(badBudget.code).toBe(1);
    expect(badBudget.stderr).toContain("--budget");

    const badRate = await remit(["grant", "--agent-key", "x.jwk", "--scope", "a:b:c", "--expires", "1h", "--rate", "fast"]);
    expect(badRate.code).toBe(1);
    expect(badRate.stderr).toContain("--rate");

    const notLoggedIn = await remit(["tree", "ses_00000000000000000000000000"]);
    expect(notLoggedIn.code).toBe(1);
    expect(notLoggedIn.stderr).toMatch(/remit login/);

    const help = await remit(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:/);
  });

  it("keygen writes the private JWK with mode 0600 and prints the public one", async () => {
    const r = await remit(["--json", "keygen", "--out", "agent.jwk"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.public_jwk).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    expect(r.json.public_jwk.d).toBeUndefined();
    expect(r.json.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const file = path.join(dir, "agent.jwk");
    expect(await mode(file)).toBe(0o600);
    const priv = JSON.parse(await fs.readFile(file, "utf8"));
    expect(priv.x).toBe(r.json.public_jwk.x);
    expect(typeof priv.d).toBe("string");

    const human = await remit(["keygen", "--out", "other.jwk"]);
    expect(human.code).toBe(0);
    expect(JSON.parse(human.stdout)).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    expect(human.stderr).toContain("other.jwk");

    const again = await remit(["keygen", "--out", "agent.jwk"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists/);
  });

  it("login refuses a bad key (exit 2) and keeps a good one in a 0600 config", async () => {
    const bad = await remit(["login", "--url", stack().url, "--api-key", "rmt_nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Authentication is required");

    const p = await stack().createPrincipal("CLI principal");
    const good = await remit(["--json", "login", "--url", stack().url, "--api-key", p.apiKey]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.json).toMatchObject({ url: stack().url, principal: p.id });
    const config = path.join(dir, "config.json");
    expect(await mode(config)).toBe(0o600);
    expect(JSON.parse(await fs.readFile(config, "utf8"))).toEqual({ url: stack().url, api_key: p.apiKey });
  });

  it("grant, delegate, tree, session, receipt, revoke", async () => {
    // Logged in by the previous test (same config file).
    const grant = await remit([
      "--json",
      "grant",
      "--agent-key",
      "agent.jwk", // the private file: only the public part is sent
      "--scope",
      "http:GET:api.example.com/*",
      "--scope",
      "http:POST:api.example.com/v1/orders",
      "--budget",
      "USD:5000/day",
      "--budget",
      "EUR:900",
      "--rate",
      "10/s",
      "--calls",
      "100",
      "--expires",
      "2h",
      "--max-depth",
      "2",
      "--label",
      "researcher",
    ]);
    expect(grant.code, grant.stderr).toBe(0);
    const root = grant.json.session;
    expect(root).toMatchObject({
      object: "session",
      label: "researcher",
      max_depth: 2,
      scopes: ["http:GET:api.example.com/*", "http:POST:api.example.com/v1/orders"],
      limits: {
        calls: 100,
        rate: { requests: 10, per_seconds: 1 },
        budgets: [
          { asset: "USD", amount: "5000", period: "day" },
          { asset: "EUR", amount: "900" },
        ],
      },
    });
    const expiresIn = Date.parse(root.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(7_100_000);
    expect(expiresIn).toBeLessThanOrEqual(7_200_000);
    expect(grant.json.token).toMatch(/^ey/);

    // Human output: the id and the token.
    const humanGrant = await remit(["grant", "--agent-key", "agent.jwk", "--scope", "http:GET:api.example.com/*", "--expires", "30m"]);
    expect(humanGrant.code, humanGrant.stderr).toBe(0);
    expect(humanGrant.stdout).toMatch(/^session ses_[0-9a-z]{26}\ntoken +ey[\w.-]+\n$/);

    // The agent spends and holds, so the bars have something to show.
    const key: AgentKey = loadAgentKey(JSON.parse(await fs.readFile(path.join(dir, "agent.jwk"), "utf8")));
    const agent = new RemitAgent({ baseUrl: stack().url, token: grant.json.token, key });
    await agent.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "1500" } });
    await agent.hold("http:POST:api.example.com/v1/orders", { asset: "USD", value: "1000" });

    const child = await remit([
      "--json",
      "delegate",
      "--token",
      grant.json.token,
      "--key",
      "agent.jwk",
      "--out",
      "child.jwk",
      "--scope",
      "http:GET:api.example.com/v1/*",
      "--budget",
      "USD:1000/day",
      // A child must set every limit its parent has, as narrow or narrower.
      "--budget",
      "EUR:100",
      "--calls",
      "10",
      "--rate",
      "5/s",
      "--label",
      "sub-agent",
    ]);
    expect(child.code, child.stderr).toBe(0);
    expect(child.json.session).toMatchObject({ parent: root.id, depth: 1, label: "sub-agent" });
    expect(await mode(path.join(dir, "child.jwk"))).toBe(0o600);
    const childAgent = new RemitAgent({
      baseUrl: stack().url,
      token: child.json.token,
      key: loadAgentKey(JSON.parse(await fs.readFile(path.join(dir, "child.jwk"), "utf8"))),
    });
    const spent = await childAgent.authorize("http:GET:api.example.com/v1/y", { amount: { asset: "USD", value: "250" } });

    const tree = await remit(["tree", root.id]);
    expect(tree.code, tree.stderr).toBe(0);
    const lines = tree.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^${root.id}  "researcher"  active  calls 3/100  rate 10/1s  expires in 1h 59m`));
    expect(tree.stdout).toMatch(new RegExp(`└─ ${child.json.session.id}  "sub-agent"  active`));
    // Root: 1750 of 5000 spent, 1000 held → 8 █, 5 ▒, 11 ░ (24 cells).
    expect(tree.stdout).toContain(`USD/day      ${"█".repeat(8)}${"▒".repeat(5)}${"░".repeat(11)}  spent 1750 · held 1000 · remaining 2250 of 5000`);
    expect(tree.stdout).toContain(`EUR/life     ${"░".repeat(24)}  spent 0 · held 0 · remaining 900 of 900`);
    expect(tree.stdout).toMatch(new RegExp(`└─ ${child.json.session.id}  "sub-agent"  active  calls 1/10  rate 5/1s`));
    // Child: 250 of 1000.
    expect(tree.stdout).toContain(`${"█".repeat(6)}${"░".repeat(18)}  spent 250 · held 0 · remaining 750 of 1000`);
    expect(lines.some((l) => l.startsWith("│  USD/day"))).toBe(true);
    expect(lines.some((l) => l.startsWith("      USD/day"))).toBe(true);

    const treeJson = await remit(["--json", "tree", root.id]);
    expect(treeJson.code).toBe(0);
    expect(treeJson.json.session.id).toBe(root.id);
    expect(treeJson.json.descendants.map((s: { id: string }) => s.id)).toEqual([child.json.session.id]);

    const session = await remit(["session", child.json.session.id, "--json"]);
    expect(session.code).toBe(0);
    const usd = session.json.counters.budgets.find((b: { asset: string }) => b.asset === "USD");
    expect(usd).toMatchObject({ period: "day", spent: "250", remaining: "750" });

    const receipt = await remit(["receipt", "get", spent.receipt.receipt.id]);
    expect(receipt.code, receipt.stderr).toBe(0);
    expect(receipt.stdout).toContain(`${spent.receipt.receipt.id}  authorize`);
    expect(receipt.stdout).toContain("amount      250 USD");

    const revoked = await remit(["--json", "revoke", root.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json).toEqual({ session: root.id, revoked: 2 });
    const after = await remit(["--json", "session", child.json.session.id]);
    expect(after.json.status).toBe("revoked");
    const humanRevoke = await remit(["revoke", root.id]);
    expect(humanRevoke.stdout).toMatch(/^revoked \d+ sessions? /);
  });

  it("sessions, receipts, exposure, and revoke by filter with a dry run", async () => {
    // Logged in by the earlier test (same config file).
    const granted = await remit([
      "--json",
      "grant",
      "--agent-key",
      "agent.jwk",
      "--scope",
      "http:GET:api.example.com/*",
      "--budget",
      "USD:700",
      "--expires",
      "1h",
      "--label",
      "gov-cli",
    ]);
    expect(granted.code, granted.stderr).toBe(0);
    const id = granted.json.session.id;

    const listed = await remit(["--json", "sessions", "--label", "gov-cli"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json.map((s: { id: string }) => s.id)).toEqual([id]);
    expect(listed.json[0].last_used_at).toBeNull();
    const human = await remit(["sessions", "--label", "gov-cli", "--roots"]);
    expect(human.stdout).toContain(id);
    expect(human.stdout).toContain("last used never");

    const exposure = await remit(["exposure"]);
    expect(exposure.code, exposure.stderr).toBe(0);
    expect(exposure.stdout).toMatch(/asset +now +next_hour +next_day +next_week +until_expiry +held/);
    expect(exposure.stdout).toMatch(/\nUSD +\d+/);
    expect((await remit(["--json", "exposure"])).json.object).toBe("exposure");

    const receipts = await remit(["--json", "receipts", "--allowed", "--limit", "3"]);
    expect(receipts.code, receipts.stderr).toBe(0);
    expect(receipts.json.length).toBeLessThanOrEqual(3);

    const dry = await remit(["--json", "revoke", "--label", "gov-cli", "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json).toMatchObject({ dry_run: true, count: 1, ids: [id] });
    const idle = await remit(["revoke", "--idle-for", "7d", "--dry-run"]);
    expect(idle.code, idle.stderr).toBe(0);
    expect(idle.stdout).toMatch(/^would revoke 0 sessions:/);
    expect(idle.stdout).toContain("exposure that would remain:");
    const real = await remit(["--json", "revoke", "--label", "gov-cli"]);
    expect(real.json).toMatchObject({ dry_run: false, count: 1, ids: [id] });
    expect((await remit(["--json", "session", id])).json.status).toBe("revoked");

    const neither = await remit(["revoke"]);
    expect(neither.code).not.toBe(0);
    expect(neither.stderr).toContain("at least one filter");
    const both = await remit(["revoke", id, "--label", "x"]);
    expect(both.stderr).toContain("not both");
    const badIdle = await remit(["revoke", "--idle-for", "soon", "--dry-run"]);
    expect(badIdle.stderr).toContain("--idle-for");
  });

  it("API refusals exit 2 with the problem's title, detail and fields on stderr", async () => {
    const missing = await remit(["session", "ses_00000000000000000000000000"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: Not found (not-found, HTTP 404)");
    expect(missing.stdout).toBe("");

    const invalid = await remit(["grant", "--agent-key", "agent.jwk", "--scope", "not a scope", "--expires", "1h"]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("The request is not valid");
    expect(invalid.stderr).toMatch(/- scopes\.0: .+\[/);

    const tooLong = await remit(["--json", "grant", "--agent-key", "agent.jwk", "--scope", "a:b:c", "--expires", "30d"]);
    expect(tooLong.code).toBe(2);
    const problem = JSON.parse(tooLong.stderr).error;
    expect(problem).toMatchObject({ title: "The request is not valid", status: 400 });
    expect(problem.errors[0]).toMatchObject({ field: "expires_at", rule: "max_lifetime" });

    const grant = await remit(["--json", "grant", "--agent-key", "agent.jwk", "--scope", "http:GET:api.example.com/v1/*", "--expires", "1h"]);
    const widen = await remit(["delegate", "--token", grant.json.token, "--key", "agent.jwk", "--agent-key", "other.jwk", "--scope", "http:GET:api.example.com/*"]);
    expect(widen.code).toBe(2);
    expect(widen.stderr).toContain("The delegation would widen authority");
  });

  it("freeze and unfreeze", async () => {
    const frozen = await remit(["freeze"]);
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(frozen.stdout).toMatch(/^prn_\w+ is frozen \(\d+ trees? reached\)/);
    const refused = await remit(["grant", "--agent-key", "agent.jwk", "--scope", "a:b:c", "--expires", "1h"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("The principal is frozen");
    const thawed = await remit(["--json", "unfreeze"]);
    expect(thawed.code).toBe(0);
    expect(thawed.json.frozen).toBe(false);
  });

  it("network errors exit 3", async () => {
    const port = await freePort();
    const r = await remit(["--url", `http://127.0.0.1:${port}`, "session", "ses_00000000000000000000000000"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the service/);
  });
});
