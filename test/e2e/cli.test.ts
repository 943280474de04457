/**
 * The `remit` binary as a child process against the real worker: stdout (--json),
 * stderr and exit codes.
 */
import { describe, expect, it } from "vitest";
import { fs, path } from "../../cli/src/node";
import { RemitAgent, type AgentKey, loadAgentKey } from "@remit/sdk";
import { useRemitCli } from "../support/remit-cli";
import { freePort, useStack } from "../support/stack";

const stack = useStack({ withChain: false });
const cli = useRemitCli();
const { remit } = cli;

const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;

describe("remit", () => {
  it("usage errors exit 1", async () => {
    const unknown = await remit(["frobnicate"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command/);

    const missing = await remit(["grant", "--agent-key", "{}"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--expires/);

    const badBudget = await remit(["grant", "--agent-key", "x.jwk", "--scope", "a:b:c", "--expires", "1h", "--budget", "USD:12.505/day"]);
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
    const file = path.join(cli.dir, "agent.jwk");
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
    const config = path.join(cli.dir, "config.json");
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
      "USD:50.00/day",
      "--budget",
      "EUR:9.00",
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
    const key: AgentKey = loadAgentKey(JSON.parse(await fs.readFile(path.join(cli.dir, "agent.jwk"), "utf8")));
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
      "USD:10.00/day",
      // A child must set every limit its parent has, as narrow or narrower.
      "--budget",
      "EUR:1.00",
      "--calls",
      "10",
      "--rate",
      "5/s",
      "--label",
      "sub-agent",
    ]);
    expect(child.code, child.stderr).toBe(0);
    expect(child.json.session).toMatchObject({ parent: root.id, depth: 1, label: "sub-agent" });
    expect(await mode(path.join(cli.dir, "child.jwk"))).toBe(0o600);
    const childAgent = new RemitAgent({
      baseUrl: stack().url,
      token: child.json.token,
      key: loadAgentKey(JSON.parse(await fs.readFile(path.join(cli.dir, "child.jwk"), "utf8"))),
    });
    const spent = await childAgent.authorize("http:GET:api.example.com/v1/y", { amount: { asset: "USD", value: "250" } });

    const tree = await remit(["tree", root.id]);
    expect(tree.code, tree.stderr).toBe(0);
    const lines = tree.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^${root.id}  "researcher"  active  calls 3/100  rate 10/1s  expires in 1h 59m`));
    expect(tree.stdout).toMatch(new RegExp(`└─ ${child.json.session.id}  "sub-agent"  active`));
    // Root: 1750 of 5000 spent, 1000 held → 8 █, 5 ▒, 11 ░ (24 cells).
    expect(tree.stdout).toContain(`USD/day      ${"█".repeat(8)}${"▒".repeat(5)}${"░".repeat(11)}  spent $17.50 · held $10.00 · remaining $22.50 of $50.00`);
    expect(tree.stdout).toContain(`EUR/life     ${"░".repeat(24)}  spent €0.00 · held €0.00 · remaining €9.00 of €9.00`);
    expect(tree.stdout).toMatch(new RegExp(`└─ ${child.json.session.id}  "sub-agent"  active  calls 1/10  rate 5/1s`));
    // Child: 250 of 1000.
    expect(tree.stdout).toContain(`${"█".repeat(6)}${"░".repeat(18)}  spent $2.50 · held $0.00 · remaining $7.50 of $10.00`);
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
    expect(receipt.stdout).toContain("amount      $2.50");

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
    expect(exposure.stdout).toMatch(/\nUSD +\$\d[\d,]*\.\d\d /); // major units with the currency
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

    // Trip-wires: an amount rule in major units, listed the way it was written.
    const added = await remit(["--json", "tripwires", "add", "--metric", "amount", "--threshold", "50.00USD", "--window", "1h", "--per", "tree", "--action", "deny"]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.json.tripwire).toMatchObject({ metric: "amount", asset: "USD", threshold: "5000", window: 3600, mode: "enforce" });
    const rules = await remit(["tripwires", "list"]);
    expect(rules.stdout).toContain(`${added.json.tripwire.id}  USD amount per tree over 3600s > $50.00 → deny`);
    const badThreshold = await remit(["tripwires", "add", "--metric", "amount", "--threshold", "lots", "--window", "1h", "--per", "tree", "--action", "deny"]);
    expect(badThreshold.code).toBe(1);
    expect(badThreshold.stderr).toContain("--threshold");
    expect((await remit(["tripwires", "delete", added.json.tripwire.id])).code).toBe(0);

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

    // One session's own switch.
    const granted = await remit(["--json", "grant", "--agent-key", "agent.jwk", "--scope", "a:b:c", "--expires", "1h"]);
    const id = granted.json.session.id;
    const one = await remit(["freeze", id]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe(`${id} is frozen (held by: session)\n`);
    const back = await remit(["--json", "unfreeze", id]);
    expect(back.json).toMatchObject({ id, status: "active" });
  });

  it("keygen without --out writes into .remit/keys/ (0600); --export prints the path as a shell export", async () => {
    const r = await remit(["--json", "keygen"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.private_key_file).toMatch(/^\.remit\/keys\/agent-[\w-]{8}\.jwk$/);
    expect(await mode(path.join(cli.dir, r.json.private_key_file))).toBe(0o600);
    const e = await remit(["keygen", "--export"]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^export REMIT_AGENT_KEY='\.remit\/keys\/agent-[\w-]{8}\.jwk'\n$/);
  });

  it("delegate --own-object places a hot subtree in an object of its own; the tree view shows its lease", async () => {
    const grant = await remit(["--json", "grant", "--agent-key", "agent.jwk", "--scope", "http:GET:api.example.com/*", "--budget", "USD:20.00/day", "--expires", "1h"]);
    expect(grant.code, grant.stderr).toBe(0);
    const root = grant.json.session;
    const child = await remit([
      "--json",
      "delegate",
      "--token",
      grant.json.token,
      "--key",
      "agent.jwk",
      "--out",
      "hot.jwk",
      "--scope",
      "http:GET:api.example.com/*",
      "--own-object",
    ]);
    expect(child.code, child.stderr).toBe(0);
    expect(child.json.session.id.slice(4, 17)).not.toBe(root.id.slice(4, 17));
    const hot = new RemitAgent({
      baseUrl: stack().url,
      token: child.json.token,
      key: loadAgentKey(JSON.parse(await fs.readFile(path.join(cli.dir, "hot.jwk"), "utf8"))),
    });
    await hot.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "700" } });
    const tree = await remit(["--json", "tree", root.id]);
    expect(tree.code, tree.stderr).toBe(0);
    const leased = tree.json.descendants.find((d: { id: string }) => d.id === child.json.session.id);
    expect(leased.lease).toMatchObject({ object: "lease", state: "open" });
    expect(BigInt(leased.lease.slices[0].granted)).toBeGreaterThanOrEqual(700n);
  });

  it("an agent authorizes, holds, captures and voids from REMIT_TOKEN + REMIT_AGENT_KEY; a refused delegate leaves no key file", async () => {
    const grant = await remit(["grant", "--agent-key", "agent.jwk", "--scope", "http:GET:api.example.com/*", "--budget", "USD:20.00/day", "--expires", "1h", "--export"]);
    expect(grant.code, grant.stderr).toBe(0);
    const env = Object.fromEntries([...grant.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1]!, m[2]!])) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(["REMIT_AGENT_KEY", "REMIT_SESSION", "REMIT_TOKEN"]);
    expect(env.REMIT_AGENT_KEY).toBe("agent.jwk");

    const spent = await remit(["authorize", "http:GET:api.example.com/v1/q", "--amount", "12.50USD"], env);
    expect(spent.code, spent.stderr).toBe(0);
    expect(spent.stdout).toMatch(/^rcp_[0-9a-z]{26}\n$/);
    expect(spent.stderr).toContain("for $12.50");
    const minor = await remit(["--json", "authorize", "http:GET:api.example.com/v1/q", "--amount", "50USD", "--minor"], env);
    expect(minor.code, minor.stderr).toBe(0);
    expect(minor.json.receipt.receipt).toMatchObject({ asset: "USD", amount: "50" });
    const tooPrecise = await remit(["authorize", "http:GET:api.example.com/v1/q", "--amount", "1.005USD"], env);
    expect(tooPrecise.code).toBe(1);
    expect(tooPrecise.stderr).toContain("USD has only 2 decimals");

    const hold = await remit(["hold", "http:GET:api.example.com/v1/o", "--amount", "5.00USD"], env);
    expect(hold.code, hold.stderr).toBe(0);
    const holdId = hold.stdout.trim();
    expect(holdId).toMatch(/^hld_[0-9a-z]{26}$/);
    const captured = await remit(["--json", "capture", holdId, "--amount", "3.00USD"], env);
    expect(captured.code, captured.stderr).toBe(0);
    expect(captured.json.receipt.receipt).toMatchObject({ kind: "capture", amount: "300" });
    const hold2 = (await remit(["hold", "http:GET:api.example.com/v1/o", "--amount", "1.00USD"], env)).stdout.trim();
    const voided = await remit(["void", hold2], env);
    expect(voided.code, voided.stderr).toBe(0);
    expect(voided.stdout).toMatch(/^rcp_/);

    const listed = await remit(["receipts", env.REMIT_SESSION!]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("$12.50");
    expect(listed.stdout).toContain(spent.stdout.trim());

    const over = await remit(["authorize", "http:GET:api.example.com/v1/q", "--amount", "10.00USD"], env);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain("The budget would be exceeded");

    // Wider than the parent: refused, and the child's key file is not written, so the retry can use the same name.
    const widen = await remit(["delegate", "--scope", "http:*:api.example.com/*", "--budget", "USD:1.00/day", "--out", "retry.jwk"], env);
    expect(widen.code).toBe(2);
    await expect(fs.stat(path.join(cli.dir, "retry.jwk"))).rejects.toThrow();
    const retry = await remit(["delegate", "--scope", "http:GET:api.example.com/v1/*", "--budget", "USD:1.00/day", "--out", "retry.jwk", "--export"], env);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain("export REMIT_AGENT_KEY='retry.jwk'");
    expect(await mode(path.join(cli.dir, "retry.jwk"))).toBe(0o600);
  });

  it("receipt verify without an RPC URL says where it looks", async () => {
    const none = await remit(["receipt", "verify", "rcp_00000000000000000000000000"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(".dev/chain.json");
  });

  it("network errors exit 3", async () => {
    const port = await freePort();
    const r = await remit(["--url", `http://127.0.0.1:${port}`, "session", "ses_00000000000000000000000000"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the service/);
    expect(r.stderr).toContain(`http://127.0.0.1:${port}/v1/sessions/`);
  });
});
