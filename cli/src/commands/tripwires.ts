/**
 * `remit tripwire …`: the principal's trip-wires — add, list, show, change, delete, reset.
 *
 *   remit tripwire add --metric count --window 1m --threshold 5 --per tree --action freeze_tree
 *   remit tripwire reset trw_…
 */
import type { Command } from "commander";
import { parseMoney, type DecimalsTable, type Tripwire, type TripwireChange, type TripwireInput } from "@remit/sdk";
import { decimalsTable, globals, principalFrom } from "../globals";
import { Output } from "../output";
import { money } from "../render";
import { parseDuration, UsageError } from "../parse";

interface RuleFlags {
  metric?: string;
  asset?: string;
  scope?: string;
  window?: string;
  threshold?: string;
  per?: string;
  action?: string;
  mode?: string;
}

function windowSeconds(text: string): number {
  const s = parseDuration(text) ?? (/^\d+$/.test(text) ? Number(text) : null);
  if (s === null) throw new UsageError(`--window "${text}": expected seconds or a duration (90s, 1m, 1h, 1d)`);
  return s;
}

/** An amount threshold in major units with its asset (`50.00USD`) becomes minor units and names the asset; a bare number is sent as it is. */
function thresholdOf(o: RuleFlags, table: DecimalsTable): { threshold?: string; asset?: string } {
  if (o.threshold === undefined || /^\d+$/.test(o.threshold)) return o.threshold === undefined ? {} : { threshold: o.threshold };
  let m: { asset: string; value: bigint };
  try {
    m = parseMoney(o.threshold, table);
  } catch (e) {
    throw new UsageError(`--threshold "${o.threshold}": ${(e as Error).message} (a count, or an amount such as 50.00USD)`);
  }
  if (o.asset !== undefined && o.asset.toUpperCase() !== m.asset) throw new UsageError(`--threshold is in ${m.asset} but --asset is ${o.asset}`);
  return { threshold: m.value.toString(), asset: m.asset };
}

/** The flags given, as a rule's fields (the service validates them and names any error). */
function fieldsOf(o: RuleFlags, table: DecimalsTable = {}): Partial<TripwireInput> {
  const t = thresholdOf(o, table);
  return {
    ...(o.metric !== undefined ? { metric: o.metric as TripwireInput["metric"] } : {}),
    ...(o.asset !== undefined ? { asset: o.asset } : t.asset ? { asset: t.asset } : {}),
    ...(o.scope !== undefined ? { scope: o.scope } : {}),
    ...(o.window !== undefined ? { window: windowSeconds(o.window) } : {}),
    ...(t.threshold !== undefined ? { threshold: t.threshold } : {}),
    ...(o.per !== undefined ? { per: o.per as TripwireInput["per"] } : {}),
    ...(o.action !== undefined ? { action: o.action as TripwireInput["action"] } : {}),
    ...(o.mode !== undefined ? { mode: o.mode as TripwireInput["mode"] } : {}),
  };
}

export function describeTripwire(t: Tripwire, table: DecimalsTable = {}): string {
  const limit = t.metric === "amount" && t.asset ? money(t.asset, t.threshold, table) : t.threshold;
  const what = t.metric === "amount" ? `${t.asset} amount` : t.metric === "count" ? `actions${t.asset ? ` in ${t.asset}` : ""}` : "refusals";
  return `${t.id}  ${what} per ${t.per} over ${t.window}s > ${limit} → ${t.action}${t.mode === "shadow" ? " (shadow)" : ""}${t.scope ? `  scope ${t.scope}` : ""}`;
}

function changed(verb: string, r: TripwireChange): string {
  const pending = r.pending_trees.length ? `\nnot yet reached: ${r.pending_trees.join(", ")}` : "";
  return `${verb} ${describeTripwire(r.tripwire)}${pending}`;
}

function ruleOptions(cmd: Command): Command {
  return cmd
    .option("--metric <metric>", "amount | count | denials")
    .option("--asset <asset>", "the asset an amount trip-wire sums (required for amount)")
    .option("--scope <pattern>", "only actions whose scope this pattern covers count")
    .option("--window <duration>", "trailing window: seconds or 90s, 1m, 1h, 1d (10 s to 31 d)")
    .option("--threshold <n>", "a count, or an amount: 50.00USD (or minor units with --asset); the decision that goes over it trips")
    .option("--per <per>", "session | tree")
    .option("--action <action>", "deny | freeze_session | freeze_tree | freeze_principal")
    .option("--mode <mode>", "enforce (default) | shadow");
}

export function registerTripwires(program: Command): void {
  const tw = program.command("tripwire").alias("tripwires").description("the principal's trip-wires: velocity rules that deny or freeze when crossed");

  ruleOptions(tw.command("add").description("add a trip-wire to every tree, present and future")).action(async (o: RuleFlags, cmd: Command) => {
    const g = globals(cmd);
    for (const flag of ["metric", "window", "threshold", "per", "action"] as const) if (o[flag] === undefined) throw new UsageError(`--${flag} is required`);
    const principal = await principalFrom(g);
    const r = await principal.tripwires.create(fieldsOf(o, await decimalsTable(principal.baseUrl)) as TripwireInput);
    new Output(!!g.json).result(changed("added", r), r);
  });

  tw.command("list")
    .description("the principal's trip-wires")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const principal = await principalFrom(g);
      const rules = await principal.tripwires.list();
      const table = await decimalsTable(principal.baseUrl);
      new Output(!!g.json).result(rules.length ? rules.map((t) => describeTripwire(t, table)).join("\n") : "no trip-wires", rules);
    });

  tw.command("show")
    .description("one trip-wire")
    .argument("<id>", "trip-wire id, trw_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const r = await (await principalFrom(g)).tripwires.get(id);
      new Output(!!g.json).result(describeTripwire(r), r);
    });

  ruleOptions(tw.command("set").description("change a trip-wire").argument("<id>", "trip-wire id, trw_…")).action(async (id: string, o: RuleFlags, cmd: Command) => {
    const g = globals(cmd);
    const principal = await principalFrom(g);
    const r = await principal.tripwires.update(id, fieldsOf(o, await decimalsTable(principal.baseUrl)));
    new Output(!!g.json).result(changed("changed", r), r);
  });

  tw.command("delete")
    .description("delete a trip-wire; what it froze acts again")
    .argument("<id>", "trip-wire id, trw_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const r = await (await principalFrom(g)).tripwires.delete(id);
      new Output(!!g.json).result(`deleted ${r.id}${r.pending_trees.length ? `\nnot yet reached: ${r.pending_trees.join(", ")}` : ""}`, r);
    });

  tw.command("reset")
    .description("clear what the trip-wire froze (the principal's unfreeze does not)")
    .argument("<id>", "trip-wire id, trw_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const r = await (await principalFrom(g)).tripwires.reset(id);
      new Output(!!g.json).result(
        `reset ${r.id}: ${r.cleared} trip${r.cleared === 1 ? "" : "s"} cleared${r.pending_trees.length ? `\nnot yet reached: ${r.pending_trees.join(", ")}` : ""}`,
        r,
      );
    });
}
