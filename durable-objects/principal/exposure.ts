/**
 * The principal's exposure: one RPC per tree of its index, all in flight at once; each
 * tree computes its own figures (durable-objects/session-tree/exposure-inputs.ts) and
 * this only adds them up per asset, merges the top holders and the findings.
 */
import type { Env } from "../../src/contract/env";
import type { FindingKind, TreeExposure } from "../../src/contract/governance";
import type { ExposureView, FindingView } from "../../src/contract/wire/governance";
import { sumFigures, topByReach, ZERO_FIGURES, type Figures } from "../../src/core/policy/exposure";
import { treeIds, treeStub } from "./trees";

export const HOLDERS_KEPT = 10;
const FINDINGS_KEPT = 100;

const FINDING_TEXT: Record<FindingKind, string> = {
  idle: "No authorization or hold for 7 days or more (or never, 7 days after the grant)",
  long_lived: "Granted for more than 30 days",
  no_rate_limit: "No rate limit on the session or any ancestor",
  depth_exhausted: "Delegated as deep as the root's max_depth allows",
  budgets_unused: "Has budgets that were never spent or held from",
};

export const HOLDERS_NOTE =
  "Holders overlap: siblings and descendants share their ancestors' budgets, so their reaches do not add up; the per-asset figures already count each tree once, bounded by its root.";

/** Every tree's part, in parallel (null for trees without a root yet). */
export async function treeExposures(sql: SqlStorage, env: Env, principal: string): Promise<TreeExposure[]> {
  const parts = await Promise.all(treeIds(sql).map((t) => treeStub(env, t.id).exposure(principal, { holders: HOLDERS_KEPT, findings: FINDINGS_KEPT })));
  return parts.flatMap((p) => (p === null ? [] : [p as TreeExposure]));
}

/** Adds the trees' figures per asset; a tree unbounded in an asset marks it and is named. */
export function combineExposure(parts: TreeExposure[], now: number): ExposureView {
  const assets = new Map<string, { figures: Figures; held: bigint; unbounded: string[] }>();
  for (const p of parts)
    for (const a of p.assets) {
      const acc = assets.get(a.asset) ?? assets.set(a.asset, { figures: ZERO_FIGURES, held: 0n, unbounded: [] }).get(a.asset)!;
      if (a.figures === null) acc.unbounded.push(p.tree);
      else acc.figures = sumFigures(acc.figures, a.figures);
      acc.held += BigInt(a.held);
    }
  const findings = new Map<FindingKind, FindingView>();
  for (const p of parts)
    for (const f of p.findings) {
      const acc = findings.get(f.kind) ?? findings.set(f.kind, { kind: f.kind, description: FINDING_TEXT[f.kind], count: 0, sessions: [] }).get(f.kind)!;
      acc.count += f.count;
      acc.sessions.push(...f.sessions.slice(0, FINDINGS_KEPT - acc.sessions.length));
    }
  return {
    object: "exposure",
    as_of: new Date(now).toISOString(),
    trees: { total: parts.length, live: parts.filter((p) => p.state === "live").length },
    assets: [...assets]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([asset, a]) => ({ asset, ...a.figures, held: a.held.toString(), unbounded: a.unbounded.length > 0, unbounded_trees: a.unbounded })),
    holders: topByReach(
      parts.flatMap((p) => p.holders),
      HOLDERS_KEPT,
    ),
    holders_overlap: true,
    holders_note: HOLDERS_NOTE,
    findings: [...findings.values()],
  };
}
