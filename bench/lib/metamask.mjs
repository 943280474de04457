// Their side of bench/onchain.mjs: the MetaMask Delegation Framework, deployed on a
// local anvil from its published package (@metamask/smart-accounts-kit's
// deploySmartAccountsEnvironment, bytecode from @metamask/delegation-abis), driven the
// way its documentation describes:
//
//   delegator  a HybridDeleGator smart account (counterfactual address from the kit,
//              deployed through the framework's SimpleFactory), holding BenchToken
//   depth 1    delegator → agent 1, scope erc20PeriodTransfer (the kit's scope: a
//              ValueLteEnforcer(0) caveat + an ERC20PeriodTransferEnforcer caveat)
//   depth 2    agent 1 → agent 2, the parent's authority + its own, smaller period limit
//   depth 3    agent 2 → agent 3, likewise
//   spend      the leaf agent (an EOA) calls DelegationManager.redeemDelegations with the
//              chain (leaf first) and one ERC-20 transfer execution: every caveat of every
//              delegation in the chain runs its hooks on chain, then the delegator executes
//   disable    the delegator calls DelegationManager.disableDelegation(root delegation);
//              a DeleGator is an ERC-4337 account, so it does so through a user operation
//              (EntryPoint.handleOps sent by an EOA standing in for a bundler). The bare
//              call's gas (eth_estimateGas from the account's address) is reported too.
//
// Intermediate delegators are EOAs: DelegationManager checks an EOA delegator's
// signature with ECDSA and a contract's with ERC-1271, and only the root delegator
// executes. The kit's analytics are off (DO_NOT_TRACK=1): nothing leaves loopback.
process.env.DO_NOT_TRACK = "1";

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createPublicClient, createWalletClient, defineChain, encodeFunctionData, http, parseEther } from "viem";
import { entryPoint07Abi, toPackedUserOperation } from "viem/account-abstraction";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { ROOT } from "./paths.mjs";

const kit = await import("@metamask/smart-accounts-kit");
const kitUtils = await import("@metamask/smart-accounts-kit/utils");
const kitContracts = await import("@metamask/smart-accounts-kit/contracts");
const { Implementation, ExecutionMode, ScopeType, createDelegation, createExecution, signDelegation } = kit;
const { DelegationManager } = kitContracts;

/** Versions of what this side ran, from node_modules. */
export function versions() {
  const require = createRequire(join(ROOT, "package.json"));
  const v = (name) => {
    try {
      return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
    } catch {
      // Packages whose exports hide package.json: read it beside the resolved entry's package root.
      try {
        return JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
      } catch {
        return null;
      }
    }
  };
  const names = [
    "@metamask/smart-accounts-kit",
    "@metamask/delegation-abis",
    "@metamask/delegation-core",
    "@metamask/delegation-deployments",
    "viem",
    "@foundry-rs/anvil",
    "solc",
  ];
  return Object.fromEntries(names.map((n) => [n, v(n)]));
}

const TOKEN_ABI = [
  {
    type: "function",
    name: "transfer",
    stateMutability: "nonpayable",
    inputs: [
      { name: "to", type: "address" },
      { name: "value", type: "uint256" },
    ],
    outputs: [{ type: "bool" }],
  },
  { type: "function", name: "balanceOf", stateMutability: "view", inputs: [{ name: "a", type: "address" }], outputs: [{ type: "uint256" }] },
];

let tokenArtifact = null;
/** BenchToken.sol compiled with the solc package (the project's compiler for RemitAnchor). */
function compileToken() {
  if (tokenArtifact) return tokenArtifact;
  const require = createRequire(join(ROOT, "package.json"));
  const solc = require("solc");
  const source = "bench/lib/BenchToken.sol";
  const input = {
    language: "Solidity",
    sources: { [source]: { content: readFileSync(join(ROOT, source), "utf8") } },
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun", outputSelection: { [source]: { BenchToken: ["abi", "evm.bytecode.object"] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const c = out.contracts[source].BenchToken;
  tokenArtifact = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, solc: solc.version() };
  return tokenArtifact;
}

async function rpc(url, method, params = []) {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = await r.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Anvil's mining mode: instant (one block per transaction) or a block every `seconds`. */
export async function setMining(rpcUrl, seconds) {
  if (seconds == null) await rpc(rpcUrl, "evm_setAutomine", [true]);
  else {
    await rpc(rpcUrl, "evm_setAutomine", [false]);
    await rpc(rpcUrl, "evm_setIntervalMining", [seconds]);
  }
}

/**
 * Deploys the framework, a token, a funded HybridDeleGator, and a delegation chain of
 * depth 3 (each level with its own erc20PeriodTransfer scope). Runs on instant mining.
 */
export async function setup(rpcUrl, { log = () => {} } = {}) {
  const transport = http(rpcUrl, { retryCount: 0 });
  const chainId = await createPublicClient({ transport }).getChainId();
  const chain = defineChain({
    id: chainId,
    name: `anvil ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
  const keyOf = async () => {
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    await rpc(rpcUrl, "anvil_setBalance", [account.address, `0x${parseEther("100").toString(16)}`]);
    return { key, account, wallet: createWalletClient({ account, chain, transport }) };
  };
  const deployer = await keyOf();
  const t0 = performance.now();
  const environment = await kitUtils.deploySmartAccountsEnvironment(deployer.wallet, publicClient, chain);
  const deployMs = performance.now() - t0;
  log(`MetaMask Delegation Framework deployed (${Object.keys(environment.caveatEnforcers).length} enforcers) in ${(deployMs / 1000).toFixed(1)}s`);

  // The delegator: a HybridDeleGator whose owner is an EOA key.
  const owner = await keyOf();
  const delegator = await kit.toMetaMaskSmartAccount({
    client: publicClient,
    implementation: Implementation.Hybrid,
    deployParams: [owner.account.address, [], [], []],
    deploySalt: "0x",
    signer: { account: owner.account },
    environment,
  });
  const { factory, factoryData } = await delegator.getFactoryArgs();
  await waitOk(publicClient, await deployer.wallet.sendTransaction({ to: factory, data: factoryData }), "HybridDeleGator deployment");
  await rpc(rpcUrl, "anvil_setBalance", [delegator.address, `0x${parseEther("10").toString(16)}`]);

  const { abi, bytecode, solc } = compileToken();
  const supply = 10n ** 18n;
  const tokenReceipt = await waitOk(publicClient, await deployer.wallet.deployContract({ abi, bytecode, args: [delegator.address, supply] }), "BenchToken deployment");
  const token = tokenReceipt.contractAddress;

  // The chain: delegator → a1 → a2 → a3, each with a period limit (daily), narrower as it goes.
  const agents = [await keyOf(), await keyOf(), await keyOf()];
  const block = await publicClient.getBlock();
  const startDate = Number(block.timestamp) - 60;
  const limits = [1_000_000_000n, 100_000_000n, 10_000_000n];
  const scope = (periodAmount) => ({ type: ScopeType.Erc20PeriodTransfer, tokenAddress: token, periodAmount, periodDuration: 86_400, startDate });
  const chainOf = [];
  let parent = null;
  for (let level = 0; level < 3; level++) {
    const from = level === 0 ? delegator.address : agents[level - 1].account.address;
    const d = createDelegation({
      environment,
      from,
      to: agents[level].account.address,
      scope: scope(limits[level]),
      ...(parent ? { parentDelegation: parent } : {}),
    });
    d.signature =
      level === 0
        ? await delegator.signDelegation({ delegation: d })
        : await signDelegation({ privateKey: agents[level - 1].key, delegation: d, delegationManager: environment.DelegationManager, chainId });
    chainOf.push(d);
    parent = d;
  }
  const recipient = privateKeyToAccount(generatePrivateKey()).address;

  // For reference: the same transfer as a plain ERC-20 transaction from an EOA holding the
  // same token contract (no delegation), steady state (the recipient already holds some).
  const plain = (await waitOk(publicClient, await deployer.wallet.deployContract({ abi, bytecode, args: [deployer.account.address, supply] }), "BenchToken deployment"))
    .contractAddress;
  const plainRecipient = privateKeyToAccount(generatePrivateKey()).address;
  const plainGas = [];
  for (let i = 0; i < 2; i++) {
    const hash = await deployer.wallet.writeContract({ address: plain, abi: TOKEN_ABI, functionName: "transfer", args: [plainRecipient, 1n] });
    plainGas.push(Number((await waitOk(publicClient, hash, "plain transfer")).gasUsed));
  }
  return {
    rpcUrl,
    chain,
    chainId,
    publicClient,
    environment,
    deployer,
    owner,
    delegator,
    token,
    agents,
    delegations: chainOf,
    limits,
    recipient,
    deployMs,
    solc,
    plainTransferGas: { first: plainGas[0], steady: plainGas[1] },
    scope,
  };
}

async function waitOk(publicClient, hash, what) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== "success") throw new Error(`${what} reverted (${hash})`);
  return receipt;
}

/** The calldata of a redemption at `depth` (1–3): chain leaf first, one ERC-20 transfer. */
function redeemData(ctx, depth, amount) {
  const chainLeafFirst = ctx.delegations.slice(0, depth).reverse();
  const execution = createExecution({
    target: ctx.token,
    value: 0n,
    callData: encodeFunctionData({ abi: TOKEN_ABI, functionName: "transfer", args: [ctx.recipient, amount] }),
  });
  return DelegationManager.encode.redeemDelegations({ delegations: [chainLeafFirst], modes: [ExecutionMode.SingleDefault], executions: [[execution]] });
}

/**
 * One spend by the leaf agent at `depth`, as a wallet sends it (viem's sendTransaction:
 * gas estimate, nonce, fees, sign, send), then wait for its receipt. Wall time is send → receipt.
 */
export async function redeem(ctx, depth, amount = 1n) {
  const agent = ctx.agents[depth - 1];
  const data = redeemData(ctx, depth, amount);
  const t0 = performance.now();
  const hash = await agent.wallet.sendTransaction({ to: ctx.environment.DelegationManager, data });
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  const ms = performance.now() - t0;
  if (receipt.status !== "success") throw new Error(`redemption at depth ${depth} reverted (${hash})`);
  return { gasUsed: Number(receipt.gasUsed), ms, block: Number(receipt.blockNumber) };
}

/** Does a redemption at `depth` of `amount` revert on chain (eth_call)? The reason, or null if it would pass. */
export async function redeemRefusal(ctx, depth, amount) {
  const agent = ctx.agents[depth - 1];
  try {
    await ctx.publicClient.call({ account: agent.account.address, to: ctx.environment.DelegationManager, data: redeemData(ctx, depth, amount) });
    return null;
  } catch (e) {
    const decoded = kitUtils.decodeRevertReason?.(e);
    if (decoded) return decoded.errorName === "Error" ? decoded.message : decoded.errorName;
    return (e.shortMessage || e.message).split("\n")[0];
  }
}

/**
 * Another root delegation like the chain's (delegator → agent 1, same scope, fresh salt):
 * signed off chain, costs nothing until disabled. More disable samples than one chain gives.
 */
export async function anotherRootDelegation(ctx) {
  const d = createDelegation({
    environment: ctx.environment,
    from: ctx.delegator.address,
    to: ctx.agents[0].account.address,
    scope: ctx.scope(ctx.limits[0]),
    salt: generatePrivateKey(),
  });
  d.signature = await ctx.delegator.signDelegation({ delegation: d });
  return d;
}

/**
 * The delegator disables its root delegation (depth 1: every chain below it dies too).
 * Through EntryPoint.handleOps, sent by an EOA as a bundler would; wall time is the
 * user operation's signing + send → receipt. Also the bare call's estimate.
 */
export async function disable(ctx, delegation = ctx.delegations[0]) {
  const { delegator, environment, publicClient } = ctx;
  const data = DelegationManager.encode.disableDelegation({ delegation });
  let bareGas = null;
  try {
    bareGas = Number(await publicClient.estimateGas({ account: delegator.address, to: environment.DelegationManager, data }));
  } catch {
    bareGas = null; // a node that refuses calls from an address with code
  }
  const t0 = performance.now();
  const fees = await publicClient.estimateFeesPerGas();
  const userOp = {
    sender: delegator.address,
    nonce: await delegator.getNonce(),
    callData: await delegator.encodeCalls([{ to: environment.DelegationManager, data, value: 0n }]),
    callGasLimit: 200_000n,
    verificationGasLimit: 200_000n,
    preVerificationGas: 50_000n,
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    signature: "0x",
  };
  userOp.signature = await delegator.signUserOperation({ ...userOp, chainId: ctx.chainId });
  const hash = await ctx.deployer.wallet.writeContract({
    address: environment.EntryPoint,
    abi: entryPoint07Abi,
    functionName: "handleOps",
    args: [[toPackedUserOperation(userOp)], ctx.deployer.account.address],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  const ms = performance.now() - t0;
  if (receipt.status !== "success") throw new Error(`handleOps(disableDelegation) reverted (${hash})`);
  // handleOps does not revert when the inner call fails: the DelegationManager's own record says.
  const disabled = await kitContracts.DelegationManager.read.disabledDelegations({
    client: publicClient,
    contractAddress: environment.DelegationManager,
    delegationHash: kitUtils.hashDelegation(delegation),
  });
  if (!disabled) throw new Error("the user operation ran but the delegation is not disabled");
  return { gasUsed: Number(receipt.gasUsed), bareGas, ms };
}
