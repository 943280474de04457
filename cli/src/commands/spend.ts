/**
 * `remit authorize`, `remit hold`, `remit capture`, `remit void`: what an agent does with
 * its session, from the shell. The session is REMIT_TOKEN + REMIT_AGENT_KEY (or
 * --token/--key). Human output is the one id a script wants next (the receipt's, or
 * the hold's), a sentence on stderr; --json the whole answer.
 */
import type { Command } from "commander";
import type { DecimalsTable } from "@remit/sdk";
import { agentFrom, globals, type AgentFlags } from "../globals";
import { Output } from "../output";
import { parseAmountFlag } from "../parse";
import { money } from "../render";

interface SpendFlags extends AgentFlags {
  amount?: string;
  minor?: boolean;
  requestDigest?: string;
  expiresIn?: string;
}

const agentOptions = (cmd: Command): Command =>
  cmd
    .option("--token <token>", "the agent's session token (or @file; default REMIT_TOKEN)")
    .option("--key <file>", "the agent's private JWK file (default REMIT_AGENT_KEY)");

function amountOf(table: DecimalsTable, o: SpendFlags): { asset: string; value: string } | undefined {
  return o.amount === undefined ? undefined : parseAmountFlag(o.amount, !!o.minor, table);
}

export function registerSpend(program: Command): void {
  agentOptions(
    program
      .command("authorize")
      .description("as an agent, authorize one action (and its spend); prints the receipt id")
      .argument("<scope>", "resource:action:target, e.g. http:GET:api.example.com/v1/quotes")
      .option("--amount <amount>", "what it spends, in major units with the asset: 12.50USD")
      .option("--minor", "--amount is integer minor units: 1250USD")
      .option("--request-digest <hex>", "SHA-256 of the request, recorded in the receipt"),
  ).action(async (scope: string, o: SpendFlags, cmd: Command) => {
    const g = globals(cmd);
    const { agent, table } = await agentFrom(g, o);
    const amount = amountOf(table, o);
    const r = await agent.authorize(scope, { ...(amount ? { amount } : {}), ...(o.requestDigest ? { requestDigest: o.requestDigest } : {}) });
    const out = new Output(!!g.json);
    out.result(r.receipt.receipt.id, r);
    out.note(`authorized ${scope}${amount ? ` for ${money(amount.asset, amount.value, table)}` : ""}`);
  });

  agentOptions(
    program
      .command("hold")
      .description("as an agent, reserve an amount against every budget up the tree; prints the hold id")
      .argument("<scope>", "resource:action:target")
      .requiredOption("--amount <amount>", "what to reserve, in major units with the asset: 12.50USD")
      .option("--minor", "--amount is integer minor units: 1250USD")
      .option("--expires-in <seconds>", "seconds until the hold lapses by itself (default 900)"),
  ).action(async (scope: string, o: SpendFlags, cmd: Command) => {
    const g = globals(cmd);
    const { agent, table } = await agentFrom(g, o);
    const amount = amountOf(table, o)!;
    const h = await agent.hold(scope, amount, o.expiresIn !== undefined ? { expiresIn: Number(o.expiresIn) } : {});
    const out = new Output(!!g.json);
    out.result(h.id, h);
    out.note(`held ${money(amount.asset, amount.value, table)} on ${scope} until ${h.expires_at}`);
  });

  agentOptions(
    program
      .command("capture")
      .description("as an agent, capture a hold (all of it, or --amount); prints the receipt id")
      .argument("<hold>", "hold id, hld_…")
      .option("--amount <amount>", "capture only this much, in major units with the asset: 7.50USD")
      .option("--minor", "--amount is integer minor units: 750USD"),
  ).action(async (id: string, o: SpendFlags, cmd: Command) => {
    const g = globals(cmd);
    const { agent, table } = await agentFrom(g, o);
    const amount = amountOf(table, o);
    const r = await agent.capture(id, amount);
    const out = new Output(!!g.json);
    out.result(r.receipt.receipt.id, r);
    out.note(`captured ${id}${r.receipt.receipt.amount && r.receipt.receipt.asset ? `: ${money(r.receipt.receipt.asset, r.receipt.receipt.amount, table)}` : ""}`);
  });

  agentOptions(program.command("void").description("as an agent, release a hold; prints the receipt id").argument("<hold>", "hold id, hld_…")).action(
    async (id: string, o: SpendFlags, cmd: Command) => {
      const g = globals(cmd);
      const r = await (await agentFrom(g, o)).agent.void(id);
      const out = new Output(!!g.json);
      out.result(r.receipt.receipt.id, r);
      out.note(`released ${id}`);
    },
  );
}
