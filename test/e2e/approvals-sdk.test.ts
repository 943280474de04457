/**
 * Approvals through the SDK against the real worker: an agent that waits for a person,
 * a principal (and an approver key) that decides, and the typed ends.
 */
import { describe, expect, it } from "vitest";
import {
  ApprovalAlreadyVotedError,
  ApprovalClosedError,
  ApprovalDeniedError,
  ApprovalExpiredError,
  ApprovalRequiredError,
  ApprovalTimeoutError,
  ForbiddenError,
  generateAgentKey,
  isRemitError,
  RemitAgent,
  RemitPrincipal,
  type RemitError,
} from "@remit/sdk";
import { useStack } from "../support/stack";

const stack = useStack({ withChain: false });
const PAY = "http:POST:payments.example.com/charge";

async function gated(approval: Record<string, unknown> = {}) {
  const p = await stack().createPrincipal("Acme");
  const principal = new RemitPrincipal({ baseUrl: stack().url, apiKey: p.apiKey });
  const key = generateAgentKey();
  const grant = await principal.grant({
    agentKey: key,
    scopes: ["http:POST:payments.example.com/*"],
    expiresIn: 3600,
    label: "buyer",
    limits: { budgets: [{ asset: "USD", amount: "100000" }], approval: { over: [{ asset: "USD", amount: "10000" }], ...approval } },
  });
  const agent = new RemitAgent({ baseUrl: stack().url, token: grant.token, key });
  return { principal, agent };
}

async function refusal(promise: Promise<unknown>): Promise<RemitError> {
  try {
    await promise;
  } catch (err) {
    if (isRemitError(err)) return err;
    throw err;
  }
  throw new Error("expected a refusal, got success");
}

const nextPending = async (principal: RemitPrincipal) => {
  for (;;) {
    const page = await principal.approvals.list({ status: "pending" });
    if (page.data[0]) return page.data[0];
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("SDK approvals: happy", () => {
  it("authorize with approval.wait resolves with the receipt once a person approves", async () => {
    const { principal, agent } = await gated();
    const waiting = agent.authorize(PAY, { amount: { asset: "USD", value: 20000 }, approval: { wait: true, timeoutMs: 20_000 } });
    const pending = await nextPending(principal);
    expect(pending).toMatchObject({ label: "buyer", amount: "20000", status: "pending" });
    const decided = await principal.approvals.approve(pending.id, { note: "ok" });
    expect(decided.status).toBe("approved");
    const { receipt, session } = await waiting;
    expect(receipt.receipt).toMatchObject({ kind: "authorize", amount: "20000", approval: { id: pending.id, note: "ok" } });
    expect(session.counters.budgets[0]).toMatchObject({ spent: "20000", held: "0" });
  });

  it("without wait it returns the pending approval; an approver key decides; get reads it", async () => {
    const { principal, agent } = await gated();
    const answer = await agent.authorize(PAY, { amount: { asset: "USD", value: 20000 }, approval: {} });
    expect("approval" in answer && answer.approval.status).toBe("pending");
    const id = "approval" in answer ? answer.approval.id : "";
    const approverKey = await principal.apiKeys.create({ role: "approver" });
    expect(approverKey.role).toBe("approver");
    const approver = new RemitPrincipal({ baseUrl: stack().url, apiKey: approverKey.api_key! });
    expect((await approver.approvals.approve(id)).status).toBe("approved");
    expect((await agent.approval(id)).receipt?.receipt.kind).toBe("authorize");
    expect((await principal.approvals.get(id)).status).toBe("approved");
  });
});

describe("SDK approvals: error", () => {
  it("a denial throws ApprovalDeniedError carrying the denial receipt", async () => {
    const { principal, agent } = await gated();
    const waiting = refusal(agent.authorize(PAY, { amount: { asset: "USD", value: 20000 }, approval: { wait: true, timeoutMs: 20_000 } }));
    await principal.approvals.deny((await nextPending(principal)).id, { reason: "no" });
    const err = await waiting;
    expect(err).toBeInstanceOf(ApprovalDeniedError);
    expect((err as ApprovalDeniedError).receipt?.receipt).toMatchObject({ kind: "denial", reason: "approval-denied" });
  });

  it("expiry throws ApprovalExpiredError: a timeout is never a yes", async () => {
    const { agent } = await gated({ expires_in: 10 });
    const err = await refusal(agent.authorize(PAY, { amount: { asset: "USD", value: 20000 }, approval: { wait: true, timeoutMs: 25_000 } }));
    expect(err).toBeInstanceOf(ApprovalExpiredError);
  }, 30_000);

  it("the caller's own timeout throws ApprovalTimeoutError and leaves it pending to cancel", async () => {
    const { agent } = await gated();
    const err = await refusal(agent.authorize(PAY, { amount: { asset: "USD", value: 20000 }, approval: { wait: true, timeoutMs: 1_000 } }));
    expect(err).toBeInstanceOf(ApprovalTimeoutError);
    const id = (err as ApprovalTimeoutError).approval.id;
    expect((await agent.cancelApproval(id)).status).toBe("canceled");
    const closed = await refusal(agent.cancelApproval(id));
    expect(closed).toBeInstanceOf(ApprovalClosedError);
    expect((closed as ApprovalClosedError).approvalStatus).toBe("canceled");
    expect(closed.status).toBe(409); // the HTTP status, not the approval's
  });

  it("a call that did not opt into approvals gets ApprovalRequiredError, not a surprise shape", async () => {
    const { agent } = await gated();
    expect(await refusal(agent.authorize(PAY, { amount: { asset: "USD", value: 20000 } }))).toBeInstanceOf(ApprovalRequiredError);
  });

  it("a second vote by the same key, and a read_only key's vote, are typed refusals", async () => {
    const { principal, agent } = await gated({ approvers: 2 });
    await agent.authorize(PAY, { amount: { asset: "USD", value: 20000 }, approval: {} });
    const id = (await nextPending(principal)).id;
    await principal.approvals.approve(id);
    expect(await refusal(principal.approvals.approve(id))).toBeInstanceOf(ApprovalAlreadyVotedError);
    const reader = new RemitPrincipal({ baseUrl: stack().url, apiKey: (await principal.apiKeys.create({ role: "read_only" })).api_key! });
    expect(await refusal(reader.approvals.approve(id))).toBeInstanceOf(ForbiddenError);
  });
});
