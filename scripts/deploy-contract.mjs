// Deploys RemitAnchor to any EVM chain; the deploying key becomes the contract's
// owner, so it must be the ANCHOR_PRIVATE_KEY the worker sends anchors with.
//
//   ANCHOR_RPC_URL=https://… ANCHOR_PRIVATE_KEY=0x… npm run deploy:contract
//
// Prints the address and chain id to set as ANCHOR_CONTRACT / ANCHOR_CHAIN_ID.
import { createPublicClient, http } from "viem";
import { deployAnchor } from "./anvil.mjs";

const rpcUrl = process.env.ANCHOR_RPC_URL;
const privateKey = process.env.ANCHOR_PRIVATE_KEY;
if (!rpcUrl || !privateKey || !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
  console.error("set ANCHOR_RPC_URL and ANCHOR_PRIVATE_KEY (0x + 64 hex) in the environment");
  process.exit(1);
}
const chainId = await createPublicClient({ transport: http(rpcUrl) }).getChainId();
const address = await deployAnchor(rpcUrl, privateKey);
console.log(`ANCHOR_CONTRACT=${address}\nANCHOR_CHAIN_ID=${chainId}`);
