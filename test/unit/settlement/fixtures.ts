import type { Receipt } from "../../../src/core/receipts/receipt";

/** A well-formed receipt for tests. */
export function sampleReceipt(overrides: Partial<Receipt> = {}): Receipt {
  return {
    v: 1,
    id: "rcp_01hzy3k8q6v9w2x4c5d7e8f9g0",
    kind: "authorize",
    tree: "tre_01hzy3k8q6v9w2x4c5d7e8f9g0",
    session: "ses_child",
    path: ["ses_root", "ses_child"],
    principal: "prn_01hzy3k8q6v9w2x4c5d7e8f9g0",
    scope: "http:GET:api.example.com/v1/*",
    asset: "usd",
    amount: "1250",
    request_digest: "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
    reason: null,
    hold: null,
    seq: 42,
    at: "2026-11-26T03:18:00.123Z",
    kid: "k1",
    ...overrides,
  };
}
