/**
 * Read-only access to the RemitAnchor contract over JSON-RPC (viem, fetch transport):
 * shared by the anchoring client and offline verification. No keys, no Node APIs.
 */
import { createPublicClient, http, type Address, type Hex, type PublicClient } from "viem";
import { ANCHOR_ABI } from "./anchor-artifact";

export interface AnchoredRoot {
  root: Hex;
  count: bigint;
}

const ZERO = /^0x0{64}$/;

/** A public client over HTTP. `retryCount` 0 by default: callers decide how to retry. */
export function anchorPublicClient(rpcUrl: string, options: { timeoutMs?: number; retryCount?: number } = {}): PublicClient {
  return createPublicClient({
    transport: http(rpcUrl, { timeout: options.timeoutMs ?? 10_000, retryCount: options.retryCount ?? 0 }),
  });
}

export function toPeriod(period: number | bigint): bigint {
  const p = BigInt(period);
  if (p < 0n || p >= 1n << 64n) throw new RangeError(`period ${period} is not a uint64`);
  return p;
}

/** The root anchored for `period`, or null when the period has none. */
export async function readAnchoredRoot(client: PublicClient, contract: Address, period: number | bigint): Promise<AnchoredRoot | null> {
  const p = toPeriod(period);
  const root = await client.readContract({ address: contract, abi: ANCHOR_ABI, functionName: "rootOf", args: [p] });
  if (ZERO.test(root)) return null;
  // Root and count are written together, once: read after the root, the count is final.
  const count = await client.readContract({ address: contract, abi: ANCHOR_ABI, functionName: "countOf", args: [p] });
  return { root: root.toLowerCase() as Hex, count };
}
