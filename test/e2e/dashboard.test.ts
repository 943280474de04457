/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) against the
 * real worker and chain: a person signs in with the demo key, watches and steers agents that
 * run through the SDK at the same time. Every request the pages make to a host other than
 * loopback is blocked and recorded; none may be attempted. A screenshot of each page goes to
 * test-artifacts/dashboard/ (not committed).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgentKey, isRemitError, RemitPrincipal, type RemitAgent } from "@remit/sdk";
// @ts-expect-error TS7016: plain JavaScript (the globalSetup); only the path is read.
import { CHROMIUM } from "../support/chromium.mjs";
import { useStack } from "../support/stack";

const stack = useStack({ withChain: true });
const ARTIFACTS = join(process.cwd(), "test-artifacts", "dashboard");
const PAY = "http:POST:payments.example.com/charge";

let context: BrowserContext;
let page: Page;
let userDataDir: string;
/** Requests to anything but loopback: blocked, and listed here. */
const offsite: string[] = [];
let demo: { id: string; apiKey: string };
let principal: RemitPrincipal;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  userDataDir = await mkdtemp(join(tmpdir(), "remit-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM as string,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
  // The network is cut: only loopback (the worker, the chain's node) answers.
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.protocol === "blob:" || LOOPBACK.has(url.hostname)) return route.continue();
    offsite.push(url.href);
    return route.abort("internetdisconnected");
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("dialog", (d) => void d.accept());
  demo = await stack().createPrincipal("Demo principal");
  principal = new RemitPrincipal({ baseUrl: stack().url, apiKey: demo.apiKey });
}, 180_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

const url = (path: string) => `${stack().url}${path}`;
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

async function signIn(apiKey: string) {
  await page.goto(url("/dashboard/sign-in"));
  await page.getByLabel("API key").fill(apiKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(url("/dashboard"));
}

/** A root session for an agent, with a day's budget in dollars and an approval line at $50. */
async function agentWith(label: string): Promise<RemitAgent> {
  const grant = await principal.grant({
    agentKey: generateAgentKey(),
    scopes: ["http:POST:payments.example.com/*"],
    expiresIn: 3600,
    label,
    limits: { budgets: [{ asset: "USD", amount: "100000", period: "day" }], approval: { over: [{ asset: "USD", amount: "5000" }] } },
  });
  return grant.agent;
}

async function refusalCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isRemitError(err)) return err.code;
    throw err;
  }
  return "none: it succeeded";
}

/** Settles until the receipt is anchored (the operator's settle, as the cron would). */
async function anchor(receiptId: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const proof = await fetch(url(`/v1/receipts/${receiptId}/proof`), { headers: { authorization: `Bearer ${demo.apiKey}` } }).then((r) => r.json());
    if (proof.stage === "anchored") return proof;
    if (Date.now() > deadline) throw new Error(`receipt ${receiptId} not anchored: ${proof.stage}`);
    await fetch(url("/v1/admin/settle"), {
      method: "POST",
      headers: { authorization: `Bearer ${stack().adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ seal: true }),
    });
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("dashboard in a browser: happy", () => {
  it("renders the landing page and /docs with the network cut", async () => {
    await page.goto(url("/"));
    for (const name of ["Dashboard", "API reference", "OpenAPI document", "JWKS"]) await expect(page.getByRole("link", { name }).count()).resolves.toBeGreaterThan(0);
    await shot("landing");
    await page.goto(url("/docs"));
    // The reference draws the document's operations once its script (this worker's asset) ran.
    await page.getByText("Liveness").first().waitFor({ timeout: 30_000 });
    await shot("docs");
    expect(offsite).toEqual([]);
  });

  it("signs in with the demo key and draws the tree with budget bars", async () => {
    await page.goto(url("/dashboard/sign-in"));
    await shot("sign-in");
    await signIn(demo.apiKey);
    const root = await agentWith("shopper");
    const child = await root.delegate({
      scopes: ["http:POST:payments.example.com/charge"],
      expiresIn: 1800,
      label: "sub-shopper",
      limits: { budgets: [{ asset: "USD", amount: "20000", period: "day" }] },
    });
    await root.authorize(PAY, { amount: { asset: "USD", value: 1250 } });
    await child.agent.authorize(PAY, { amount: { asset: "USD", value: 500 } });
    const session = (await root.session()).id;
    await page.goto(url(`/dashboard/sessions/${session}/tree`));
    await expect(page.getByRole("link", { name: "shopper", exact: true }).count()).resolves.toBe(1);
    await expect(page.getByRole("link", { name: "sub-shopper" }).count()).resolves.toBe(1);
    expect(await page.locator("svg.bar").count()).toBeGreaterThanOrEqual(2);
    await expect(page.getByRole("img", { name: /USD today: spent \$17\.50, held \$0\.00, remaining \$982\.50 of \$1,000\.00/ }).count()).resolves.toBe(1);
    await shot("tree");
  });

  it("shows a new approval request live; a click approves it and the agent's waiting call gets its receipt", async () => {
    const agent = await agentWith("big spender");
    await page.goto(url("/dashboard/approvals"));
    await page.getByText("Nothing is waiting.").waitFor();
    const waiting = agent.authorize(PAY, { amount: { asset: "USD", value: 7500 }, approval: { wait: true, timeoutMs: 60_000 } });
    // No reload: the queue's script brings it in.
    const card = page.locator("[data-approval]").filter({ hasText: "$75.00" });
    await card.waitFor({ timeout: 15_000 });
    await expect(card.getByText("$925.00 of $1,000.00 today").count()).resolves.toBe(1);
    await expect(page.locator("nav [data-pending-count]").textContent()).resolves.toMatch(/^1/);
    await shot("approvals");
    await card.getByLabel("Note (optional)").fill("fine by me");
    await card.getByRole("button", { name: "Approve" }).click();
    await page.getByText("Approved.").waitFor();
    const { receipt } = await waiting;
    expect(receipt.receipt).toMatchObject({ kind: "authorize", amount: "7500", approval: { note: "fine by me" } });
  });

  it("shows a session's receipts with their settlement stage, and verifies one in the browser against the chain", async () => {
    const agent = await agentWith("receipts");
    const { receipt } = await agent.authorize(PAY, { amount: { asset: "USD", value: 999 } });
    await agent.authorize(PAY, { amount: { asset: "USD", value: 1 } });
    await anchor(receipt.receipt.id);
    await page.goto(url(`/dashboard/sessions/${receipt.receipt.session}`));
    const row = page.locator(`tr[data-receipt="${receipt.receipt.id}"]`);
    await expect(row.getByText("$9.99").count()).resolves.toBe(1);
    await expect(row.locator(".stage-anchored").count()).resolves.toBe(1);
    await expect(page.getByRole("img", { name: /Spend today in USD: \$10\.00 of \$1,000\.00 over 2 receipts/ }).count()).resolves.toBe(1);
    expect(await page.locator("#rpc-url").inputValue()).toBe(new URL(stack().chain!.rpcUrl).origin);
    await row.getByRole("button", { name: "Verify" }).click();
    await row.getByText("verified: signature, leaf, batch, period and on-chain root").waitFor({ timeout: 30_000 });
    await shot("session");
  });

  it("the freeze switch, once confirmed, stops an agent's next request", async () => {
    const agent = await agentWith("freeze me");
    await agent.authorize(PAY, { amount: { asset: "USD", value: 100 } });
    await page.goto(url("/dashboard"));
    await expect(page.locator(".exposure[data-asset=USD]").count()).resolves.toBe(1);
    await shot("overview");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot("overview-phone");
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole("button", { name: "Freeze everything" }).click();
    await page.getByText("Frozen: every session of this principal is stopped.").waitFor();
    expect(await refusalCode(agent.authorize(PAY, { amount: { asset: "USD", value: 100 } }))).toMatch(/frozen/);
    await page.getByRole("button", { name: "Unfreeze" }).click();
    await page.getByText("Unfrozen.").waitFor();
    await agent.authorize(PAY, { amount: { asset: "USD", value: 100 } });
  });

  it("a bulk revoke shows its dry run first, then revokes exactly those sessions", async () => {
    const a = await agentWith("batch-7");
    const b = await agentWith("batch-7");
    const keep = await agentWith("batch-8");
    await page.goto(url("/dashboard/sessions"));
    await page.getByLabel("Label").fill("batch-7");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page.locator("tbody tr").count()).resolves.toBe(2);
    await shot("sessions");
    await page.getByRole("button", { name: "Revoke these…" }).click();
    await page.getByRole("heading", { name: "2 sessions would be revoked" }).waitFor();
    await shot("sessions-revoke-preview");
    // The preview revoked nothing.
    await a.authorize(PAY, { amount: { asset: "USD", value: 1 } });
    await page.getByRole("button", { name: "Revoke 2 sessions" }).click();
    await page.getByText("Revoked.").waitFor();
    expect(await refusalCode(a.authorize(PAY, { amount: { asset: "USD", value: 1 } }))).toBe("session-revoked");
    expect(await refusalCode(b.authorize(PAY, { amount: { asset: "USD", value: 1 } }))).toBe("session-revoked");
    await keep.authorize(PAY, { amount: { asset: "USD", value: 1 } });
  });

  it("lists, creates and switches trip-wires; shows webhook deliveries and anchors", async () => {
    await page.goto(url("/dashboard/tripwires"));
    await page.getByLabel("Metric").selectOption("count");
    await page.getByLabel("Threshold (major units for amount, e.g. 50.00)").fill("1000");
    await page.getByLabel("Window (seconds)").fill("60");
    await page.getByLabel("Mode").selectOption("shadow");
    await page.getByRole("button", { name: "Add" }).click();
    await page.getByText("Trip-wire added to every tree.").waitFor();
    await page.getByRole("button", { name: "Enforce" }).click();
    await page.getByText("The trip-wire now refuses what trips it.").waitFor();
    await expect(page.locator("[data-tripwire] .status-enforce").count()).resolves.toBe(1);
    await shot("tripwires");
    await principal.webhookEndpoints.create({ url: "http://127.0.0.1:9/hooks", events: ["*"] });
    await (await agentWith("hooked")).authorize(PAY, { amount: { asset: "USD", value: 1 } });
    await page.goto(url("/dashboard/webhooks"));
    await expect(page.getByRole("heading", { name: "http://127.0.0.1:9/hooks" }).count()).resolves.toBe(1);
    await shot("webhooks");
    await page.goto(url("/dashboard/anchors"));
    await expect(page.locator("tr[data-period]").count()).resolves.toBeGreaterThan(0);
    await shot("anchors");
    expect(offsite).toEqual([]);
  });
});

describe("dashboard in a browser: security", () => {
  it("refuses a POST without the CSRF token", async () => {
    const r = await page.request.post(url("/dashboard/freeze"), { form: { nothing: "here" }, headers: { origin: stack().url }, maxRedirects: 0 });
    expect(r.status()).toBe(403);
    expect((await principal.apiKeys.list()).length).toBeGreaterThan(0);
    await page.goto(url("/dashboard"));
    await expect(page.getByRole("button", { name: "Freeze everything" }).count()).resolves.toBe(1);
  });

  it("refuses a read_only key's approve, and shows it no button for it", async () => {
    const created = await principal.apiKeys.create({ role: "read_only", label: "auditor" });
    const agent = await agentWith("watched");
    const pending = await agent.authorize(PAY, { amount: { asset: "USD", value: 6000 }, approval: {} });
    const id = "approval" in pending ? pending.approval.id : "";
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(created.api_key!);
    await page.goto(url("/dashboard/approvals"));
    await page.locator(`[data-approval="${id}"]`).waitFor();
    await expect(page.getByRole("button", { name: "Approve" }).count()).resolves.toBe(0);
    const csrf = await page.locator('form.sign-out input[name="csrf"]').inputValue();
    const r = await page.request.post(url(`/dashboard/approvals/${id}/approve`), { form: { csrf }, headers: { origin: stack().url }, maxRedirects: 0 });
    expect(r.status()).toBe(403);
    expect(await r.text()).toContain("read_only");
    expect((await principal.approvals.get(id)).status).toBe("pending");
  });

  it("signing out ends the cookie: the same cookie opens nothing afterwards", async () => {
    await page.goto(url("/dashboard"));
    const before = (await context.cookies(url("/dashboard"))).filter((c) => c.name.includes("remit_dashboard"));
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/dashboard\/sign-in/);
    await context.addCookies(before);
    await page.goto(url("/dashboard"));
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    expect(offsite).toEqual([]);
  });
});
