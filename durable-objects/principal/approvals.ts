/**
 * The principal's side of approvals: API key roles (checked at authentication, the one
 * place roles are enforced), and the approval queue.
 *
 * The queue fans out to the principal's trees rather than keeping an index fed by the
 * trees' `approval.requested` events: the outbox reaches the principal only on the tree's
 * alarm, so an index would lag (an approval just answered 202 would not be listed yet)
 * and could disagree with the tree about a state the tree alone decides. Each tree
 * answers its newest approvals from an index of its own; the principal merges them.
 * The cost is one RPC per tree per page, fine for the tree counts of today; an index
 * (fed by the events, corrected by the tree's answer) is the way past that.
 */
import type { Env } from "../../src/contract/env";
import type { KeyProof } from "../../src/contract/principal";
import type { ApprovalPage, ApprovalStatus, ApprovalView } from "../../src/contract/wire/approvals";
import { allows } from "../../src/core/auth/roles";
import { ok, problem, refused, type Outcome } from "../../src/core/errors";
import { treeIds, treeStub } from "./trees";

/** Keys made before roles existed are admins. Idempotent: runs on every start. */
export function migrateRoles(sql: SqlStorage): void {
  const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('api_keys')").toArray();
  if (!columns.some((c) => c.name === "role")) sql.exec("ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'");
}

/** The refusal of a key outside its role, or null when the role allows what the route needs. */
export function roleRefusal(sql: SqlStorage, proof: KeyProof): Outcome<never> | null {
  const need = proof.need ?? "admin";
  const role = sql.exec<{ role: string }>("SELECT role FROM api_keys WHERE id = ?", proof.keyId).toArray()[0]?.role ?? "";
  if (allows(role, need)) return null;
  return refused(
    problem("forbidden", `this key's role (${role}) may not do this: it needs ${need === "decide" ? "approver or admin" : need === "admin" ? "admin" : "any role"}`, {
      role,
      needs: need,
    }),
  );
}

/** The principal's approvals across its trees, newest first, cursor-paginated by approval id. */
export async function listApprovals(
  sql: SqlStorage,
  env: Env,
  principal: string,
  query: { status?: ApprovalStatus; limit: number; startingAfter?: string },
): Promise<Outcome<ApprovalPage>> {
  let before: { createdAt: number; id: string } | undefined;
  if (query.startingAfter) {
    const cursor = await treeStub(env, query.startingAfter).approvalForPrincipal(principal, query.startingAfter);
    if (!cursor.ok)
      return refused(
        problem("validation-failed", `starting_after: no approval ${query.startingAfter}`, {
          errors: [{ field: "starting_after", rule: "unknown_cursor", message: "must be the id of one of your approvals" }],
        }),
      );
    before = { createdAt: Date.parse(cursor.value.created_at), id: cursor.value.id };
  }
  const ask = { ...(query.status ? { status: query.status } : {}), ...(before ? { before } : {}), limit: query.limit + 1 };
  const pages = await Promise.all(treeIds(sql).map((t) => treeStub(env, t.id).listApprovals(principal, ask)));
  const all = pages.flat().sort((a, b) => (a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1));
  return ok({ data: all.slice(0, query.limit), has_more: all.length > query.limit });
}

export async function getApproval(env: Env, principal: string, id: string): Promise<Outcome<ApprovalView>> {
  return treeStub(env, id).approvalForPrincipal(principal, id);
}

export async function decideApproval(
  env: Env,
  principal: string,
  keyId: string,
  id: string,
  decision: { verdict: "approve" | "deny"; text: string | null },
): Promise<Outcome<ApprovalView>> {
  return treeStub(env, id).decideApproval(principal, id, { ...decision, keyId });
}
