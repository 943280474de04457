/**
 * The anchoring client: small I/O functions over the RemitAnchor contract (viem,
 * fetch transport only, so it runs inside a Worker). Transactions are signed
 * locally with an explicit nonce, gas and EIP-1559 fees, so the caller can persist
 * the hash and the raw bytes *before* broadcasting and re-send exactly the same
 * transaction after a crash. The decisions live in `settle.ts`.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  keccak256,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ANCHOR_ABI } from "../../src/core/receipts/anchor-artifact";
import { anchorPublicClient, readAnchoredRoot, toPeriod, type AnchoredRoot } from "../../src/core/receipts/anchor-read";
import type { AnchorClientConfig } from "../../src/core/settlement-config";
export type { AnchorClientConfig } from "../../src/core/settlement-config";

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export interface PreparedTx extends Fees {
  hash: Hex;
  nonce: number;
  gas: bigint;
  /** The signed transaction: broadcasting it again is harmless. */
  raw: Hex;
}

export type TxStatus =
  | { state: "pending" }
  | { state: "mined"; block: bigint; confirmations: number; gasUsed: bigint }
  | { state: "reverted"; block: bigint; gasUsed: bigint }
  | { state: "dropped" };

export interface PrepareOptions {
  nonce?: number;
  fees?: Fees;
  gas?: bigint;
}

/** The contract refused the call (found by simulation): `name` is the custom error. */
export class AnchorRevertError extends Error {
  constructor(
    readonly errorName: string,
    readonly args: readonly unknown[],
  ) {
    super(`RemitAnchor reverted: ${errorName}(${args.map(String).join(", ")})`);
    this.name = "AnchorRevertError";
  }
}

/** The node refused a raw transaction for a reason that is not the network's fault. */
export class BroadcastRefusedError extends Error {
  constructor(
    readonly reason: "nonce-too-low" | "underpriced" | "insufficient-funds",
    message: string,
  ) {
    super(message);
    this.name = "BroadcastRefusedError";
  }
}

export interface AnchorClient {
  readonly account: Address;
  readonly contract: Address;
  readonly confirmations: number;
  readonly publicClient: PublicClient;
  chainId(): Promise<number>;
  blockNumber(): Promise<bigint>;
  readRoot(period: number | bigint): Promise<AnchoredRoot | null>;
  /** Suggested fees: 2 × base fee + priority fee. */
  suggestFees(): Promise<Fees>;
  /** The account's nonces: mined (`latest`) and including its pool transactions (`pending`). */
  nonces(): Promise<{ latest: number; pending: number }>;
  /** Simulates (throws AnchorRevertError), then signs. Sends nothing. */
  prepare(period: number | bigint, root: Hex, count: number | bigint, options?: PrepareOptions): Promise<PreparedTx>;
  /** Sends a signed transaction; "already known" counts as sent. Returns its hash. */
  broadcast(raw: Hex): Promise<Hex>;
  /** prepare + broadcast. */
  submit(period: number | bigint, root: Hex, count: number | bigint, options?: PrepareOptions): Promise<PreparedTx>;
  checkTransaction(hash: Hex): Promise<TxStatus>;
  /** The transaction that anchored `period`, from the `Anchored` event, searching from `fromBlock`. */
  findAnchorTx(period: number | bigint, fromBlock: bigint): Promise<{ hash: Hex; block: bigint } | null>;
}

export function createAnchorClient(config: AnchorClientConfig): AnchorClient {
  const publicClient = anchorPublicClient(config.rpcUrl, { timeoutMs: config.timeoutMs });
  const account = privateKeyToAccount(config.privateKey);
  const contract = config.contract;
  let chainIdPromise: Promise<number> | null = config.chainId === undefined ? null : Promise.resolve(config.chainId);

  const chainId = (): Promise<number> => {
    chainIdPromise ??= publicClient.getChainId().catch((err: unknown) => {
      chainIdPromise = null;
      throw err;
    });
    return chainIdPromise;
  };

  const blockNumber = (): Promise<bigint> => publicClient.getBlockNumber({ cacheTime: 0 });

  async function suggestFees(): Promise<Fees> {
    const [block, tip] = await Promise.all([publicClient.getBlock({ blockTag: "latest" }), publicClient.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n)]);
    const base = block.baseFeePerGas ?? 0n;
    return { maxFeePerGas: base * 2n + tip, maxPriorityFeePerGas: tip };
  }

  async function nonces(): Promise<{ latest: number; pending: number }> {
    const [latest, pending] = await Promise.all([
      publicClient.getTransactionCount({ address: account.address, blockTag: "latest" }),
      publicClient.getTransactionCount({ address: account.address, blockTag: "pending" }),
    ]);
    return { latest, pending };
  }

  async function prepare(period: number | bigint, root: Hex, count: number | bigint, options: PrepareOptions = {}): Promise<PreparedTx> {
    const args = [toPeriod(period), root, BigInt(count)] as const;
    let gas = options.gas;
    if (gas === undefined) {
      try {
        const estimate = await publicClient.estimateContractGas({
          address: contract,
          abi: ANCHOR_ABI,
          functionName: "anchor",
          args,
          account,
        });
        gas = (estimate * 13n) / 10n; // headroom: estimates are tight
      } catch (err) {
        throw asRevert(err) ?? err;
      }
    }
    const [id, nonce, fees] = await Promise.all([
      chainId(),
      options.nonce === undefined ? nonces().then((n) => n.pending) : Promise.resolve(options.nonce),
      options.fees === undefined ? suggestFees() : Promise.resolve(options.fees),
    ]);
    const raw = await account.signTransaction({
      type: "eip1559",
      chainId: id,
      to: contract,
      data: encodeFunctionData({ abi: ANCHOR_ABI, functionName: "anchor", args }),
      nonce,
      gas,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      value: 0n,
    });
    return { hash: keccak256(raw), nonce, gas, raw, ...fees };
  }

  async function broadcast(raw: Hex): Promise<Hex> {
    const hash = keccak256(raw);
    try {
      await publicClient.sendRawTransaction({ serializedTransaction: raw });
    } catch (err) {
      const refused = classifyRefusal(err);
      if (refused === "known") return hash;
      if (refused) throw new BroadcastRefusedError(refused, errorText(err));
      throw err;
    }
    return hash;
  }

  async function checkTransaction(hash: Hex): Promise<TxStatus> {
    const receipt = await publicClient.getTransactionReceipt({ hash }).catch((err: unknown) => {
      if (err instanceof TransactionReceiptNotFoundError) return null;
      throw err;
    });
    if (receipt) {
      if (receipt.status !== "success") return { state: "reverted", block: receipt.blockNumber, gasUsed: receipt.gasUsed };
      const head = await blockNumber();
      const confirmations = head >= receipt.blockNumber ? Number(head - receipt.blockNumber) + 1 : 0;
      return { state: "mined", block: receipt.blockNumber, confirmations, gasUsed: receipt.gasUsed };
    }
    const tx = await publicClient.getTransaction({ hash }).catch((err: unknown) => {
      if (err instanceof TransactionNotFoundError) return null;
      throw err;
    });
    return tx ? { state: "pending" } : { state: "dropped" };
  }

  async function findAnchorTx(period: number | bigint, fromBlock: bigint): Promise<{ hash: Hex; block: bigint } | null> {
    const logs = await publicClient.getContractEvents({
      address: contract,
      abi: ANCHOR_ABI,
      eventName: "Anchored",
      args: { period: toPeriod(period) },
      fromBlock,
      toBlock: "latest",
    });
    const log = logs[0];
    return log?.transactionHash && log.blockNumber !== null ? { hash: log.transactionHash, block: log.blockNumber } : null;
  }

  return {
    account: account.address,
    contract,
    confirmations: config.confirmations,
    publicClient,
    chainId,
    blockNumber,
    readRoot: (period) => readAnchoredRoot(publicClient, contract, period),
    suggestFees,
    nonces,
    prepare,
    broadcast,
    async submit(period, root, count, options) {
      const tx = await prepare(period, root, count, options);
      await broadcast(tx.raw);
      return tx;
    },
    checkTransaction,
    findAnchorTx,
  };
}

/** Fees for a replacement: at least `percent` above the old ones (nodes want ≥ 10 %) and at least today's. */
export function bumpFees(old: Fees, suggested: Fees, percent = 25): Fees {
  const up = (x: bigint): bigint => (x * BigInt(100 + percent) + 99n) / 100n;
  const maxPriorityFeePerGas = max(up(old.maxPriorityFeePerGas), suggested.maxPriorityFeePerGas);
  const maxFeePerGas = max(up(old.maxFeePerGas), suggested.maxFeePerGas, maxPriorityFeePerGas);
  return { maxFeePerGas, maxPriorityFeePerGas };
}

function max(...xs: bigint[]): bigint {
  return xs.reduce((a, b) => (b > a ? b : a));
}

function asRevert(err: unknown): AnchorRevertError | null {
  if (!(err instanceof BaseError)) return null;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return null;
  const name = reverted.data?.errorName ?? reverted.reason ?? "unknown";
  return new AnchorRevertError(name, reverted.data?.args ?? []);
}

function errorText(err: unknown): string {
  if (err instanceof BaseError) return `${err.shortMessage} ${err.details ?? ""}`.trim();
  return err instanceof Error ? err.message : String(err);
}

function classifyRefusal(err: unknown): "known" | BroadcastRefusedError["reason"] | null {
  const text = errorText(err).toLowerCase();
  if (/already known|already imported|known transaction|already exists/.test(text)) return "known";
  if (/nonce too low|nonce has already been used|invalid nonce/.test(text)) return "nonce-too-low";
  if (/underpriced|fee too low|gas price too low|max fee per gas less than block base fee/.test(text)) return "underpriced";
  if (/insufficient funds/.test(text)) return "insufficient-funds";
  return null; // network trouble or something unforeseen: the caller retries
}
