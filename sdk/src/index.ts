/**
 * @remit/sdk — bounded authority for agents.
 *
 *   const agent = new RemitAgent({ baseUrl, token, key });
 *   const { receipt } = await agent.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "250" } });
 *
 * Runs wherever there is fetch and WebCrypto (Node ≥ 22, browsers, Workers).
 */
export { RemitAgent } from "./agent";
export type { AuthorizeOptions, Delegation, DelegateOptions, HoldOptions, RemitAgentOptions, SessionClaims } from "./agent";
export { RemitPrincipal } from "./principal";
export type { DeliveryListOptions, Grant, GrantOptions, RemitPrincipalOptions, WebhookEndpointInput, WebhookEndpointPatch } from "./principal";
export { RemitClient } from "./public";
export { RemitOperator } from "./operator";
export type { NewPrincipal, RemitOperatorOptions, SettlementRun } from "./operator";
export { amountString, rfc3339 } from "./common";
export type { Amount, AmountValue, SessionBounds, TimeInput } from "./common";
export { DEFAULTS as RETRY_DEFAULTS } from "./http";
export type { CallOptions, ClientOptions, FetchLike, RetryInfo } from "./http";
export { generateAgentKey, loadAgentKey, agentKeyFromSeed, jwkThumbprint } from "./keys";
export type { AgentKey } from "./keys";
export { createProof } from "./dpop";
export type { ProofOptions } from "./dpop";
export { verifyReceipt } from "./verify";
export type { VerifyChecks, VerifyReceiptOptions, VerifyResult } from "./verify";
export { guardExecute, guardTool, refusalText } from "./guard";
export type { GuardedCall, GuardOptions, RefusalResult } from "./guard";
export { httpScope, remitFetch } from "./fetch";
export type { FetchedCall, RemitFetchOptions } from "./fetch";
export { httpRequestDigest, toolCallDigest } from "./digest";
export type { HttpRequestDigestInput } from "./digest";
export { verifyReceiptSignature } from "./receipt-signature";
export type { KeySetLike, ReceiptSignatureOptions, ReceiptSignatureResult } from "./receipt-signature";
export type { DeletedTripwire, Tripwire, TripwireChange, TripwireInput, TripwirePatch, TripwireReset, TrippedView } from "./tripwires";
export * from "./errors";
export type * from "./types";
