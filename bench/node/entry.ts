/**
 * The project's own code the Node side of the bench uses, bundled by esbuild into
 * bench/.build/node/remit-node.mjs: the SDK's DPoP proofs, keys and thumbprints (so
 * proofs are exactly what agents send, thumbprints exactly what the service computes)
 * and the settlement Merkle log (sealing micro-benchmark).
 */
export { createProof } from "@remit/sdk/dpop";
export { agentKeyFromSeed, generateAgentKey, jwkThumbprint } from "@remit/sdk/keys";
export { leafHash, MerkleLog, rootOf } from "../../src/core/receipts/merkle";
export { canonicalize } from "../../src/core/receipts/jcs";
export { b64urlDecode, b64urlEncode, hex, utf8 } from "../../src/core/encoding";
