/**
 * @remit/sdk — bounded authority for agents.
 *
 *   const agent = new RemitAgent({ baseUrl, token, key });
 *   const { receipt } = await agent.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "250" } });
 *
 * Runs wherever there is fetch and WebCrypto (Node ≥ 22, browsers, Workers).
 */
export { RemitAgent } from "./agent";
export type { AuthorizeOptions, Delegation, DelegationToKey, DelegateOptions, HoldOptions, RemitAgentOptions, SessionClaims } from "./agent";
export { RemitPrincipal } from "./principal";
export type { DeliveryListOptions, Grant, GrantToKey, GrantOptions, RemitPrincipalOptions, WebhookEndpointInput, WebhookEndpointPatch } from "./principal";
export { RemitClient } from "./public";
export type { AssetInfo } from "./public";
export { RemitGovernance, isoDuration, sessionFilterWire } from "./governance";
export type { BulkRevocation, Exposure, PageOptions, ReceiptFilter, ReceiptList, SessionFilter, SessionList } from "./governance";
export { RemitOperator } from "./operator";
export type { NewPrincipal, RemitOperatorOptions, SettlementRun } from "./operator";
export { amountString, decimalsOf, formatMoney, ISO_4217_EXPONENTS, parseAssetDecimals, parseMoney, rfc3339, toAmount } from "./common";
export type { Amount, AmountValue, BudgetInput, DecimalsTable, LimitsInput, MoneyInput, SessionBounds, TimeInput } from "./common";
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
export {
  ApprovalCanceledError,
  ApprovalDeniedError,
  ApprovalEndedError,
  ApprovalExpiredError,
  ApprovalRequiredError,
  ApprovalTimeoutError,
} from "./approvals";
export type { Approval, ApprovalStatus, ApprovalWait, PendingApproval } from "./approvals";
export type * from "./types";
