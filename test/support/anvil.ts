/**
 * Typed face of scripts/anvil.mjs (the one implementation, shared with `npm start`):
 * start a local anvil, deploy RemitAnchor. Node only.
 */
import type { Hex } from "viem";
// @ts-expect-error TS7016: plain JavaScript without declarations (allowJs is off); typed below.
import * as impl from "../../scripts/anvil.mjs";

export interface AnvilOptions {
  /** Default: a free port. */
  port?: number;
  /** Seconds between blocks; default: one block per transaction (automine). */
  blockTime?: number;
  /** Persist the chain in `<dataDir>/anvil-state.json` (anvil `--state`). */
  dataDir?: string;
  chainId?: number;
  timeoutMs?: number;
}

/** The spawned anvil (a Node ChildProcess; typed minimally: this project has no @types/node). */
export interface AnvilProcess {
  readonly pid?: number;
  readonly exitCode: number | null;
  kill(signal?: string): boolean;
}

export interface Anvil {
  rpcUrl: string;
  port: number;
  stop(): Promise<void>;
  process: AnvilProcess;
  /** The last lines anvil printed. */
  output: string[];
}

/** anvil's default mnemonic, account 0 (the deployer / owner in tests). */
export const ANVIL_KEY_0: Hex = impl.ANVIL_KEY_0;
/** anvil's default mnemonic, account 1 (a stranger in tests). */
export const ANVIL_KEY_1: Hex = impl.ANVIL_KEY_1;

export const startAnvil: (options?: AnvilOptions) => Promise<Anvil> = impl.startAnvil;
export const deployAnchor: (rpcUrl: string, privateKey: Hex) => Promise<Hex> = impl.deployAnchor;
export const freePort: () => Promise<number> = impl.freePort;
/** A fresh directory under the system temp dir, for `dataDir`; and its removal. */
export const tempDataDir: (prefix?: string) => Promise<string> = impl.tempDataDir;
export const removeDataDir: (dir: string) => Promise<void> = impl.removeDataDir;

/** One JSON-RPC call (for anvil_* / evm_* methods viem does not wrap). */
export async function rpc<T = unknown>(rpcUrl: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}
