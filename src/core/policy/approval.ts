/**
 * Human approval: a session's `limits.approval` draws a line above which an action waits
 * for people. An action needs approval when its amount is strictly greater than the line
 * for its asset (`amount > over.amount`: a spend exactly on the line goes through), or
 * when its scope is covered by one of `approval.scopes`. The rule of every level of the
 * chain applies, so a child can never escape an ancestor's line: the strictest of them
 * all (most approvers, shortest wait) is what the action waits for.
 *
 * A child may only tighten its parent's approval: a lower line (and lines in more
 * assets), more scopes, more approvers, a shorter wait.
 */
import { parseAmount } from "./amounts";
import { coveredByAny } from "./scopes";

export interface ApprovalLine {
  asset: string;
  /** Decimal string of minor units: amounts strictly above it need approval. */
  amount: string;
}

export interface ApprovalPolicy {
  over: ApprovalLine[];
  scopes?: string[];
  /** Distinct approving keys it takes, 1–5; default 1. */
  approvers?: number;
  /** Seconds an approval waits, 10–86,400; default 600 (and never past the session's end). */
  expires_in?: number;
}

export const DEFAULT_APPROVERS = 1;
export const DEFAULT_APPROVAL_SECONDS = 600;
export const MAX_APPROVERS = 5;
export const MIN_APPROVAL_SECONDS = 10;
export const MAX_APPROVAL_SECONDS = 86_400;

export interface ApprovalNeed {
  /** The strictest quorum of the chain. */
  approvers: number;
  /** The shortest wait of the chain, in seconds. */
  expiresIn: number;
  /** Which session's rule asked for it, and why. */
  because: { session: string; rule: "over" | "scope" }[];
}

const approversOf = (p: ApprovalPolicy): number => p.approvers ?? DEFAULT_APPROVERS;
const waitOf = (p: ApprovalPolicy): number => p.expires_in ?? DEFAULT_APPROVAL_SECONDS;

function lineValue(line: ApprovalLine): bigint {
  const parsed = parseAmount(line.amount);
  if (!parsed.ok) throw new RangeError(`approval line ${line.asset} is malformed: ${parsed.message}`);
  return parsed.value;
}

/** Whether one policy asks for approval of this action. */
export function asksApproval(policy: ApprovalPolicy, scope: string, amount?: { asset: string; value: bigint }): "over" | "scope" | null {
  if (amount && policy.over.some((l) => l.asset === amount.asset && amount.value > lineValue(l))) return "over";
  if (policy.scopes && coveredByAny(policy.scopes, scope)) return "scope";
  return null;
}

/** What the chain (root first) asks of this action, or null when no level draws a line it crosses. */
export function approvalNeeded(
  chain: readonly { id: string; limits: { approval?: ApprovalPolicy } }[],
  scope: string,
  amount?: { asset: string; value: bigint },
): ApprovalNeed | null {
  let need: ApprovalNeed | null = null;
  for (const s of chain) {
    const p = s.limits.approval;
    if (!p) continue;
    const rule = asksApproval(p, scope, amount);
    if (!rule) continue;
    need ??= { approvers: 0, expiresIn: Number.POSITIVE_INFINITY, because: [] };
    need.approvers = Math.max(need.approvers, approversOf(p));
    need.expiresIn = Math.min(need.expiresIn, waitOf(p));
    need.because.push({ session: s.id, rule });
  }
  return need;
}

export type ApprovalWideningRule = "missing" | "exceeds_parent" | "below_parent" | "scope_not_kept" | "invalid";

export interface ApprovalWidening {
  field: string;
  rule: ApprovalWideningRule;
  message: string;
}

/** Every way `child` would loosen `parent`; empty when it keeps or tightens every part. */
export function approvalWidenings(parent: ApprovalPolicy | undefined, child: ApprovalPolicy | undefined): ApprovalWidening[] {
  const out: ApprovalWidening[] = [];
  const base = "limits.approval";
  if (child) {
    child.over.forEach((l, i) => {
      if (!parseAmount(l.amount).ok) out.push({ field: `${base}.over.${i}.amount`, rule: "invalid", message: "must be a decimal string of minor units" });
    });
    if (child.approvers !== undefined && !(Number.isSafeInteger(child.approvers) && child.approvers >= 1 && child.approvers <= MAX_APPROVERS))
      out.push({ field: `${base}.approvers`, rule: "invalid", message: `approvers is a whole number from 1 to ${MAX_APPROVERS}` });
    if (
      child.expires_in !== undefined &&
      !(Number.isSafeInteger(child.expires_in) && child.expires_in >= MIN_APPROVAL_SECONDS && child.expires_in <= MAX_APPROVAL_SECONDS)
    )
      out.push({ field: `${base}.expires_in`, rule: "invalid", message: `expires_in is ${MIN_APPROVAL_SECONDS} to ${MAX_APPROVAL_SECONDS} seconds` });
    if (out.length > 0) return out;
  }
  if (!parent) return out;
  if (!child) {
    out.push({ field: base, rule: "missing", message: "the parent requires approval; the child must keep it" });
    return out;
  }
  for (const line of parent.over) {
    const mine = child.over.map((l, i) => ({ l, i })).filter(({ l }) => l.asset === line.asset);
    if (mine.length === 0) {
      out.push({ field: `${base}.over`, rule: "missing", message: `the parent's line of ${line.amount} ${line.asset} must be kept` });
      continue;
    }
    const limit = lineValue(line);
    for (const { l, i } of mine)
      if (lineValue(l) > limit)
        out.push({ field: `${base}.over.${i}.amount`, rule: "exceeds_parent", message: `${l.amount} ${l.asset} is above the parent's line of ${line.amount}` });
  }
  for (const s of parent.scopes ?? []) {
    if (!coveredByAny(child.scopes ?? [], s))
      out.push({ field: `${base}.scopes`, rule: "scope_not_kept", message: `the parent's approval scope ${JSON.stringify(s)} must stay covered` });
  }
  if (approversOf(child) < approversOf(parent))
    out.push({ field: `${base}.approvers`, rule: "below_parent", message: `${approversOf(child)} approvers is fewer than the parent's ${approversOf(parent)}` });
  if (waitOf(child) > waitOf(parent))
    out.push({ field: `${base}.expires_in`, rule: "exceeds_parent", message: `${waitOf(child)} s is longer than the parent's ${waitOf(parent)} s` });
  return out;
}
