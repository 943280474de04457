#!/usr/bin/env node
// Local chain for development and tests: start anvil, deploy RemitAnchor.
//
//   node scripts/anvil.mjs [--port 8545] [--block-time 1] [--data-dir .dev/anvil]
//
// starts anvil, deploys the contract with the default account 0 and prints
// `ANCHOR_RPC_URL=…` / `ANCHOR_CONTRACT=…` until Ctrl-C. Imported, it exports
// `startAnvil` and `deployAnchor` (test/support/anvil.ts types them).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createPublicClient, createWalletClient, defineChain, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HOST = "127.0.0.1";

/** Keys of anvil's default mnemonic ("test test … junk"), accounts 0 and 1. */
export const ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
export const ANVIL_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/** The platform binary itself, so that stopping it needs no signal forwarding; else the npm wrapper. */
function anvilBinary() {
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch];
  const exe = process.platform === "win32" ? "anvil.exe" : "anvil";
  if (arch) {
    try {
      const require = createRequire(join(ROOT, "package.json"));
      const bin = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/${exe}`);
      if (existsSync(bin)) return bin;
    } catch {
      // fall through
    }
  }
  return join(ROOT, "node_modules", ".bin", exe);
}

/** A fresh directory for `dataDir` under the system temp dir. */
export function tempDataDir(prefix = "remit-anvil-") {
  return mkdtemp(join(tmpdir(), prefix));
}

export function removeDataDir(dir) {
  return rm(dir, { recursive: true, force: true });
}

export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

async function chainIdAnswers(rpcUrl) {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    if (!res.ok) return false;
    const body = await res.json();
    return typeof body?.result === "string";
  } catch {
    return false;
  }
}

/**
 * Starts anvil on 127.0.0.1 and resolves once `eth_chainId` answers.
 * @param {{ port?: number, blockTime?: number, dataDir?: string, chainId?: number, timeoutMs?: number }} [options]
 *   `dataDir`: keep the chain in `<dataDir>/anvil-state.json` (`--state`; loaded at start, dumped every
 *   second and on exit). Without `blockTime`, anvil mines one block per transaction.
 */
export async function startAnvil(options = {}) {
  const port = options.port ?? (await freePort());
  const args = ["--host", HOST, "--port", String(port)];
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  if (options.chainId !== undefined) args.push("--chain-id", String(options.chainId));
  if (options.dataDir) {
    const dir = resolve(options.dataDir);
    await mkdir(dir, { recursive: true });
    args.push("--state", join(dir, "anvil-state.json"), "--state-interval", "1");
  }
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  const output = [];
  const keep = (chunk) => {
    output.push(...String(chunk).split("\n").filter(Boolean));
    if (output.length > 60) output.splice(0, output.length - 60);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) ok();
    else child.once("exit", () => ok());
  });
  let spawnError = null;
  child.once("error", (err) => (spawnError = err));

  const rpcUrl = `http://${HOST}:${port}`;
  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`anvil did not start (${spawnError?.message ?? `exit ${child.exitCode ?? child.signalCode}`}):\n${output.join("\n")}`);
    }
    if (await chainIdAnswers(rpcUrl)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`anvil did not answer on ${rpcUrl}:\n${output.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { rpcUrl, port, stop, process: child, output };
}

/**
 * Deploys RemitAnchor from `privateKey` (its owner) and waits for the receipt.
 * @param {string} rpcUrl
 * @param {`0x${string}`} privateKey
 * @returns {Promise<`0x${string}`>} the contract address
 */
export async function deployAnchor(rpcUrl, privateKey) {
  // The artifact is TypeScript with erasable syntax only: Node ≥ 22.18 and vitest load it as is.
  const { ANCHOR_ABI, ANCHOR_BYTECODE } = await import("../src/core/receipts/anchor-artifact.ts");
  const transport = http(rpcUrl);
  const id = await createPublicClient({ transport }).getChainId();
  const chain = defineChain({
    id,
    name: `chain ${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport });
  const wallet = createWalletClient({ account: privateKeyToAccount(privateKey), chain, transport });
  const hash = await wallet.deployContract({ abi: ANCHOR_ABI, bytecode: ANCHOR_BYTECODE });
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`RemitAnchor deployment failed (${hash})`);
  return receipt.contractAddress;
}

function flag(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const port = Number(flag("--port") ?? process.env.ANVIL_PORT ?? 8545);
  const blockTime = flag("--block-time");
  const anvil = await startAnvil({
    port,
    blockTime: blockTime === undefined ? undefined : Number(blockTime),
    dataDir: flag("--data-dir"),
  });
  const contract = await deployAnchor(anvil.rpcUrl, ANVIL_KEY_0);
  console.log(`ANCHOR_RPC_URL=${anvil.rpcUrl}`);
  console.log(`ANCHOR_CONTRACT=${contract}`);
  console.log(`ANCHOR_PRIVATE_KEY=${ANVIL_KEY_0}  # anvil default account 0, development only`);
  const shutdown = () => anvil.stop().then(() => process.exit(0));
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
