/**
 * `remit approvals`, `remit approve`, `remit deny` and `remit api-keys create --role` as a
 * child process against the real worker.
 */
import { describe, expect, it } from "vitest";
import { generateAgentKey, RemitAgent, RemitPrincipal } from "@remit/sdk";
import { useRemitCli } from "../support/remit-cli";
import { useStack } from "../support/stack";

const stack = useStack({ withChain: false });
const cli = useRemitCli();
const { remit } = cli;

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
