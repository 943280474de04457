/**
 * Offline verification (invariant 7) with the SDK and the CLI: a receipt signed by
 * the real worker, its inclusion proof, the period root anchored on a real anvil.
 *
 * The proof and the anchor are made here (one batch, one period) rather than by the
 * service's settlement cron, so the test pins what a verifier checks, whatever the
 * schedule: the CLI reads the proof through a small proxy that answers
 * GET /v1/receipts/{id}/proof and forwards everything else to the worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, createWalletClient, defineChain, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hex } from "../../src/core/encoding";
import { ANCHOR_ABI } from "../../src/core/receipts/anchor-artifact";
import { MerkleTree } from "../../src/core/receipts/merkle";
import { periodTree, receiptProof } from "../../src/core/receipts/period";
import { receiptLeaf } from "../../src/core/receipts/receipt";
import { fs, os, path } from "../../cli/src/node";
import {
  generateAgentKey,
  RemitOperator,
  RemitPrincipal,
  verifyReceipt,
  type AnchoredProof,
  type Jwks,
  type ReceiptProof,
  type ReceiptProofResponse,
  type SignedReceipt,
} from "@remit/sdk";
import { useStack } from "../support/stack";

interface HttpModule {
  createServer(handler: (req: IncomingLike, res: ServerResponseLike) => void): {
    listen(port: number, host: string, cb: () => void): void;
    close(cb?: () => void): void;
    address(): { port: number } | string | null;
  };
}
interface IncomingLike {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  on(event: "data", fn: (c: Uint8Array) => void): void;
  on(event: "end", fn: () => void): void;
}
interface ServerResponseLike {
  writeHead(status: number, headers: Record<string, string>): void;
  end(body?: string | Uint8Array): void;
}
interface ChildProcessModule {
  spawn(
    command: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string | undefined>; stdio?: unknown },
  ): {
    stdout: { on(event: "data", fn: (chunk: unknown) => void): void };
    stderr: { on(event: "data", fn: (chunk: unknown) => void): void };
    on(event: "close", fn: (code: number | null) => void): void;
  };
}
const nodeHttp = (await import("node:http" as string)) as HttpModule;
const childProcess = (await import("node:child_process" as string)) as ChildProcessModule;
const nodeProcess = (globalThis as unknown as { process: { execPath: string; env: Record<string, string | undefined> } }).process;
const BIN = path.resolve(new URL("../../cli/bin/remit.mjs", (import.meta as unknown as { url: string }).url).pathname);

const stack = useStack({ withChain: true });

/** Anchors `root` for `period` on the stack's anvil, as the contract's owner. */
async function anchorOnChain(period: number, root: Uint8Array, count: number): Promise<void> {
  const chain = stack().chain!;
  const c = defineChain({
    id: chain.chainId,
    name: "anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [chain.rpcUrl] } },
  });
  const wallet = createWalletClient({ account: privateKeyToAccount(chain.privateKey), chain: c, transport: http(chain.rpcUrl) });
  const hash = await wallet.writeContract({
    address: chain.contract,
    abi: ANCHOR_ABI,
    functionName: "anchor",
    args: [BigInt(period), `0x${hex(root)}` as Hex, BigInt(count)],
  });
  const receipt = await createPublicClient({ chain: c, transport: http(chain.rpcUrl) }).waitForTransactionReceipt({ hash, pollingInterval: 100 });
  expect(receipt.status).toBe("success");
}

let principal: RemitPrincipal;
let apiKey = "";
let signed: SignedReceipt[] = [];
let proof: ReceiptProof;
const PERIOD = 4_000_000_000 + Math.floor(Math.random() * 1_000_000);

beforeAll(async () => {
  const p = await stack().createPrincipal("Verifier");
  apiKey = p.apiKey;
  principal = new RemitPrincipal({ baseUrl: stack().url, apiKey });
  const { agent } = await principal.grant({
    agentKey: generateAgentKey(),
    scopes: ["http:GET:api.example.com/*"],
    expiresIn: 3600,
    limits: { budgets: [{ asset: "USD", amount: "1000" }] },
  });
  signed = [];
  for (const value of ["100", "200", "300"]) signed.push((await agent!.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value } })).receipt);
  // One batch of three receipts, alone in its period.
  const batch = new MerkleTree(signed.map((s) => receiptLeaf(s.bytes)));
  const period = periodTree([batch.root]);
  proof = receiptProof({ batch, leafIndex: 1, periodTree: period, batchIndex: 0, period: PERIOD });
  await anchorOnChain(PERIOD, period.root, signed.length);
}, 60_000);

describe("verifyReceipt", () => {
  it("verifies a real receipt against the root on chain", async () => {
    const chain = stack().chain!;
    const result = await verifyReceipt(signed[1]!, proof, {
      jwksUrl: `${stack().url}/.well-known/jwks.json`,
      rpcUrl: chain.rpcUrl,
      contract: chain.contract,
    });
    expect(result).toEqual({ ok: true, checks: { signature: true, leaf: true, batch: true, period: true, chain: true } });
  });

  it("takes the contract from a proof response, and the JWKS as given", async () => {
    const chain = stack().chain!;
    const jwks = (await (await fetch(`${stack().url}/.well-known/jwks.json`)).json()) as Jwks;
    const anchored: AnchoredProof = { ...proof, contract: chain.contract, chain_id: chain.chainId, tx_hash: "0x", block_number: 1 };
    expect((await verifyReceipt(signed[1]!, anchored, { jwks, rpcUrl: chain.rpcUrl })).ok).toBe(true);
    const response = { object: "receipt_proof", status: "anchored", stage: "anchored", proof: anchored } as ReceiptProofResponse;
    expect((await verifyReceipt(signed[1]!, response, { jwks, rpcUrl: chain.rpcUrl })).ok).toBe(true);
  });

  it("fails the right check for a tampered receipt, another receipt's proof, or an unanchored period", async () => {
    const chain = stack().chain!;
    const opts = { jwksUrl: `${stack().url}/.well-known/jwks.json`, rpcUrl: chain.rpcUrl, contract: chain.contract };
    const tampered = { ...signed[1]!, receipt: { ...signed[1]!.receipt, amount: "1" } };
    const t = await verifyReceipt(tampered, proof, opts);
    expect(t.ok).toBe(false);
    expect(t.checks.signature).toBe(false);

    const wrong = await verifyReceipt(signed[0]!, proof, opts);
    expect(wrong.ok).toBe(false);
    expect(wrong.checks).toMatchObject({ signature: true, leaf: true, batch: false });

    const unanchored = await verifyReceipt(signed[1]!, { ...proof, period: PERIOD + 1 }, opts);
    expect(unanchored.ok).toBe(false);
    expect(unanchored.checks).toMatchObject({ signature: true, batch: true, period: true, chain: false });
    expect(unanchored.reason).toMatch(/not anchored/);
  });

  it("needs a contract and a proof", async () => {
    await expect(verifyReceipt(signed[1]!, proof, { rpcUrl: stack().chain!.rpcUrl, jwksUrl: `${stack().url}/.well-known/jwks.json` })).rejects.toThrow(/contract/);
    const pending = { object: "receipt_proof", status: "pending", stage: "sealed", proof: null } as ReceiptProofResponse;
    await expect(verifyReceipt(signed[1]!, pending, { rpcUrl: "http://x", contract: "0x0" })).rejects.toThrow(/not anchored/);
  });
});

describe("remit receipt verify", () => {
  let proxyUrl = "";
  let close: () => Promise<void> = async () => {};
  let dir = "";

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "remit-verify-"));
    const proofs = new Map(signed.map((s, i) => [s.receipt.id, i]));
    const server = nodeHttp.createServer((req, res) => {
      const chunks: Uint8Array[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", async () => {
        const m = /^\/v1\/receipts\/(rcp_[0-9a-z]{26})\/proof$/.exec(req.url ?? "");
        if (req.method === "GET" && m) {
          const i = proofs.get(m[1]!);
          const chain = stack().chain!;
          const body =
            i === 1
              ? {
                  object: "receipt_proof",
                  id: m[1],
                  status: "anchored",
                  stage: "anchored",
                  receipt: signed[1],
                  proof: { ...proof, contract: chain.contract, chain_id: chain.chainId, tx_hash: "0x", block_number: 1 },
                }
              : { object: "receipt_proof", id: m[1], status: "pending", stage: "sealed", receipt: signed[i ?? 0], proof: null, anchor: null };
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "connection") headers[k] = v;
        const upstream = await fetch(stack().url + (req.url ?? "/"), {
          method: req.method ?? "GET",
          headers,
          ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        });
        res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
        res.end(new Uint8Array(await upstream.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    proxyUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  function remit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const clean = Object.fromEntries(Object.entries(nodeProcess.env).filter(([k]) => !k.startsWith("REMIT_")));
    return new Promise((resolve) => {
      const child = childProcess.spawn(nodeProcess.execPath, [BIN, ...args], {
        cwd: dir,
        env: { ...clean, HOME: dir, REMIT_CONFIG: path.join(dir, "config.json"), REMIT_URL: proxyUrl, REMIT_API_KEY: apiKey },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += String(c)));
      child.stderr.on("data", (c) => (stderr += String(c)));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  it("exits 0 and shows every check for an anchored receipt", async () => {
    const r = await remit(["receipt", "verify", signed[1]!.receipt.id, "--rpc-url", stack().chain!.rpcUrl]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${signed[1]!.receipt.id} verifies`);
    for (const check of ["signature", "leaf", "batch", "period", "chain"]) expect(r.stdout).toContain(`✓ ${check}`);

    const json = await remit(["--json", "receipt", "verify", signed[1]!.receipt.id, "--rpc-url", stack().chain!.rpcUrl]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, checks: { chain: true } });
  });

  it("exits 4 for a receipt that is not anchored, 1 without an RPC URL", async () => {
    const r = await remit(["receipt", "verify", signed[0]!.receipt.id, "--rpc-url", stack().chain!.rpcUrl]);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("not anchored yet");
    const usage = await remit(["receipt", "verify", signed[1]!.receipt.id]);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain("--rpc-url");
  });

  it("--wait shows the stage and a countdown to expected_by, then exits 4 if the period is not anchored in time", async () => {
    // Against the service itself (its proof route computes expected_by), not the proxy above.
    const remit = (args: string[]) => remitDirect(args, apiKey);
    const r = await remit(["receipt", "verify", signed[0]!.receipt.id, "--rpc-url", stack().chain!.rpcUrl, "--wait", "2"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      new RegExp(`${signed[0]!.receipt.id}: (outbox|ledger|sealed|anchoring), (expected in \\d+ s|overdue by \\d+ s) \\(its signature already verifies on its own\\)`),
    );
    expect(r.stdout).toMatch(/not anchored yet \(stage: \w+, expected by \S+\); its signature verifies on its own meanwhile/);
    const json = await remit(["--json", "receipt", "verify", signed[0]!.receipt.id, "--rpc-url", stack().chain!.rpcUrl, "--wait", "1"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, reason: "not anchored yet", expected_by: expect.any(String), overdue: expect.any(Boolean) });
  });
});

describe("through the service's own settlement", () => {
  it("the settlement anchors a receipt; its proof verifies with the SDK and the CLI", async () => {
    const operator = new RemitOperator({ baseUrl: stack().url, adminToken: stack().adminToken });
    const created = await operator.createPrincipal({ name: "Settled" });
    const p = new RemitPrincipal({ baseUrl: stack().url, apiKey: created.api_key });
    const { agent } = await p.grant({
      agentKey: generateAgentKey(),
      scopes: ["http:GET:api.example.com/*"],
      expiresIn: 3600,
      limits: { budgets: [{ asset: "USD", amount: "1000" }] },
    });
    const { receipt } = await agent!.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "42" } });
    const id = receipt.receipt.id;

    // Run the settlement (as the cron would) until the receipt's period is anchored.
    let answer = await p.receiptProof(id);
    const stages = [answer.stage];
    for (let i = 0; i < 60 && !answer.proof; i++) {
      await operator.settle();
      answer = await p.receiptProof(id);
      if (stages.at(-1) !== answer.stage) stages.push(answer.stage);
      if (!answer.proof) await new Promise((r) => setTimeout(r, 250));
    }
    expect(answer.proof, `stuck at stage ${answer.stage}: ${stages.join(" → ")}`).not.toBeNull();
    expect(answer).toMatchObject({ status: "anchored", stage: "anchored", receipt: { leaf_hash: receipt.leaf_hash } });
    expect(answer.proof!.contract.toLowerCase()).toBe(stack().chain!.contract.toLowerCase());

    const result = await verifyReceipt(receipt, answer, { jwksUrl: `${stack().url}/.well-known/jwks.json`, rpcUrl: stack().chain!.rpcUrl });
    expect(result).toEqual({ ok: true, checks: { signature: true, leaf: true, batch: true, period: true, chain: true } });

    // The agent may read the proof too.
    expect((await agent!.receiptProof(id)).proof).toEqual(answer.proof);

    const anchors = await p.anchors();
    expect(anchors.map((a) => a.period)).toContain(answer.proof!.period);
    expect(await p.anchor(answer.proof!.period)).toMatchObject({ status: "anchored", root: `0x${answer.proof!.period_root}` });

    const cli = await remitDirect(["receipt", "verify", id, "--rpc-url", stack().chain!.rpcUrl], created.api_key);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`${id} verifies`);
    const listed = await remitDirect(["--json", "anchors"], created.api_key);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).map((a: { period: number }) => a.period)).toContain(answer.proof!.period);
  });
});

/** `remit …` straight against the worker. */
async function remitDirect(args: string[], key: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "remit-direct-"));
  const clean = Object.fromEntries(Object.entries(nodeProcess.env).filter(([k]) => !k.startsWith("REMIT_")));
  try {
    return await new Promise((resolve) => {
      const child = childProcess.spawn(nodeProcess.execPath, [BIN, ...args], {
        cwd: dir,
        env: { ...clean, HOME: dir, REMIT_CONFIG: path.join(dir, "config.json"), REMIT_URL: stack().url, REMIT_API_KEY: key },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += String(c)));
      child.stderr.on("data", (c) => (stderr += String(c)));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
