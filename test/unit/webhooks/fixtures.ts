import { newId } from "../../../src/core/ids";
import type { EventData, EventType } from "../../../src/core/webhooks/events";

export const NOW = Date.UTC(2026, 10, 17, 10, 0, 0);
export const ISO = new Date(NOW).toISOString();
export const PRN = newId("prn");
const ses = newId("ses");
const tre = newId("tre");
const apr = newId("apr");
const jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

const TRIP = {
  rule: "trw_01j9zq3x4m5n6p7r8s9t0v1w2x",
  tree: tre,
  session: ses,
  metric: "count",
  per: "tree",
  action: "freeze_tree",
  scope: null,
  asset: null,
  window: 60,
  threshold: "5",
  total: "6",
  at: ISO,
} as const;

/** A valid `data` for every event type. */
export const SAMPLE_DATA: { [T in EventType]: EventData<T> } = {
  "session.granted": { session: ses, tree: tre, agent_jkt: jkt, scopes: ["http:GET:api.example.com/*"], not_before: ISO, expires_at: ISO, parent: null },
  "session.delegated": {
    session: newId("ses"),
    tree: tre,
    agent_jkt: jkt,
    scopes: ["http:GET:api.example.com/v1/*"],
    not_before: ISO,
    expires_at: ISO,
    parent: ses,
    depth: 1,
  },
  "session.revoked": { session: ses, tree: tre, revoked_root: ses, revoked_at: ISO },
  "session.expiring": { session: ses, tree: tre, expires_at: ISO, lead_seconds: 3600 },
  "session.expired": { session: ses, tree: tre, expired_at: ISO },
  "budget.threshold": {
    session: ses,
    tree: tre,
    asset: "usd",
    period: "day",
    threshold: 80,
    limit: "10000",
    spent: "7000",
    held: "1000",
    window_start: ISO,
  },
  "hold.expired": { hold: newId("hld"), session: ses, tree: tre, asset: "usd", amount: "250", expired_at: ISO },
  "approval.requested": {
    approval: apr,
    session: ses,
    tree: tre,
    label: "buyer",
    path: [ses],
    kind: "authorize",
    scope: "http:POST:payments.example.com/charge",
    asset: "usd",
    amount: "20000",
    approvers_needed: 2,
    expires_at: ISO,
    remaining: [{ session: ses, asset: "usd", period: null, remaining: "80000" }],
  },
  "approval.approved": { approval: apr, session: ses, tree: tre, decided_by: [newId("key")], receipt: newId("rcp"), hold: null },
  "approval.denied": { approval: apr, session: ses, tree: tre, decided_by: [newId("key")], reason: "too much", receipt: newId("rcp") },
  "approval.expired": { approval: apr, session: ses, tree: tre, expired_at: ISO, receipt: newId("rcp") },
  "approval.canceled": { approval: apr, session: ses, tree: tre, cause: "agent", receipt: newId("rcp") },
  "principal.frozen": { frozen_at: ISO },
  "principal.unfrozen": { unfrozen_at: ISO },
  "settlement.anchored": {
    period: "2026-11-17T10",
    root: `0x${"ab".repeat(32)}`,
    count: 42,
    tx_hash: `0x${"cd".repeat(32)}`,
    chain_id: 31337,
    contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  },
  "settlement.failed": { period: "2026-11-17T10", reason: "rpc unavailable" },
  "settlement.delayed": { period: "3", late_seconds: 420, expected_by: "2026-11-17T10:05:10.000Z", stage: "sent" },
  "tripwire.tripped": { ...TRIP, receipt: "rcp_01j9zq3x4m5n6p7r8s9t0v1w2x" },
  "tripwire.shadow": TRIP,
};
