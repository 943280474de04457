/**
 * `remit tripwire …`: the principal's trip-wires — add, list, show, change, delete, reset.
 *
 *   remit tripwire add --metric count --window 1m --threshold 5 --per tree --action freeze_tree
 *   remit tripwire reset trw_…
 */
import type { Command } from "commander";
import type { Tripwire, TripwireChange, TripwireInput } from "@remit/sdk";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";
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

/** The flags given, as a rule's fields (the service validates them and names any error). */
function fieldsOf(o: RuleFlags): Partial<TripwireInput> {
  return {
    ...(o.metric !== undefined ? { metric: o.metric as TripwireInput["metric"] } : {}),
    ...(o.asset !== undefined ? { asset: o.asset } : {}),
    ...(o.scope !== undefined ? { scope: o.scope } : {}),
    ...(o.window !== undefined ? { window: windowSeconds(o.window) } : {}),
    ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
    ...(o.per !== undefined ? { per: o.per as TripwireInput["per"] } : {}),
    ...(o.action !== undefined ? { action: o.action as TripwireInput["action"] } : {}),
    ...(o.mode !== undefined ? { mode: o.mode as TripwireInput["mode"] } : {}),
  };
}

export function describeTripwire(t: Tripwire): string {
  const what = t.metric === "amount" ? `${t.asset} amount` : t.metric === "count" ? `actions${t.asset ? ` in ${t.asset}` : ""}` : "refusals";
  return `${t.id}  ${what} per ${t.per} over ${t.window}s > ${t.threshold} → ${t.action}${t.mode === "shadow" ? " (shadow)" : ""}${t.scope ? `  scope ${t.scope}` : ""}`;
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
    .option("--threshold <n>", "minor units (amount) or a count; the decision that goes over it trips")
    .option("--per <per>", "session | tree")
    .option("--action <action>", "deny | freeze_session | freeze_tree | freeze_principal")
    .option("--mode <mode>", "enforce (default) | shadow");
}

export function registerTripwires(program: Command): void {
  const tw = program.command("tripwire").description("the principal's trip-wires: velocity rules that deny or freeze when crossed");

  ruleOptions(tw.command("add").description("add a trip-wire to every tree, present and future")).action(async (o: RuleFlags, cmd: Command) => {
    const g = globals(cmd);
    for (const flag of ["metric", "window", "threshold", "per", "action"] as const) if (o[flag] === undefined) throw new UsageError(`--${flag} is required`);
    const r = await (await principalFrom(g)).tripwires.create(fieldsOf(o) as TripwireInput);
    new Output(!!g.json).result(changed("added", r), r);
  });

  tw.command("list")
    .description("the principal's trip-wires")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const rules = await (await principalFrom(g)).tripwires.list();
      new Output(!!g.json).result(rules.length ? rules.map(describeTripwire).join("\n") : "no trip-wires", rules);
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
    const r = await (await principalFrom(g)).tripwires.update(id, fieldsOf(o));
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
