/** `remit exposure`: the most the principal can still lose, per asset and horizon, who holds it, and what to look at. */
import type { Command } from "commander";
import type { Exposure } from "@remit/sdk";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";

const COLUMNS = ["now", "next_hour", "next_day", "next_week", "until_expiry", "held"] as const;

export function renderExposure(e: Exposure): string {
  const head = ["asset", ...COLUMNS];
  const rows = e.assets.map((a) => [a.unbounded ? `${a.asset} (unbounded)` : a.asset, ...COLUMNS.map((c) => a[c])]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [`${e.trees.live} live of ${e.trees.total} trees, as of ${e.as_of}`, "", line(head), ...rows.map(line)];
  if (e.assets.length === 0) out.push("(no budgets: nothing can be spent)");
  for (const a of e.assets) if (a.unbounded) out.push(`  ${a.asset}: unbounded in trees ${a.unbounded_trees.join(", ")}`);
  if (e.holders.length) {
    out.push("", "holders (they overlap: siblings share their ancestors' budgets)");
    for (const h of e.holders)
      out.push(`  ${h.asset} ${h.reach.padStart(12)}  ${h.session}  depth ${h.depth}  ${h.label ?? ""}  key ${h.agent_jkt.slice(0, 12)}…  expires ${h.expires_at}`);
  }
  if (e.findings.length) {
    out.push("", "findings");
    for (const f of e.findings)
      out.push(`  ${f.kind} (${f.count}): ${f.description}${f.sessions.length ? ` — ${f.sessions.slice(0, 5).join(", ")}${f.count > 5 ? ", …" : ""}` : ""}`);
  }
  return out.join("\n");
}

export function registerExposure(program: Command): void {
  program
    .command("exposure")
    .description("the most that can still be lost per asset: now, next hour, day, week, until expiry; holders and findings")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const e = await (await principalFrom(g)).governance.exposure();
      new Output(!!g.json).result(renderExposure(e), e);
    });
}
