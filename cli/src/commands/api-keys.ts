/** `remit api-keys`: the principal's keys; `create --role approver` makes a key that can only read and decide approvals. */
import type { Command } from "commander";
import { globals, principalFrom } from "../globals";
import { Output } from "../output";
import { UsageError } from "../parse";

const ROLES = ["admin", "approver", "read_only"] as const;

export function registerApiKeys(program: Command): void {
  const keys = program.command("api-keys").description("the principal's API keys");
  keys
    .command("create")
    .description("create a key (its secret is shown once)")
    .option("--role <role>", `${ROLES.join(", ")} (default admin)`)
    .option("--label <label>", "a label to recognise it by")
    .action(async (o: { role?: string; label?: string }, cmd: Command) => {
      const g = globals(cmd);
      if (o.role !== undefined && !(ROLES as readonly string[]).includes(o.role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
      const k = await (await principalFrom(g)).apiKeys.create({
        ...(o.role ? { role: o.role as (typeof ROLES)[number] } : {}),
        ...(o.label ? { label: o.label } : {}),
      });
      new Output(!!g.json).result(`${k.id} (${k.role})\n${k.api_key ?? ""}\nkeep the key: it is not shown again`, k);
    });
  keys
    .command("list")
    .description("the keys, with their roles (never their secrets)")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const list = await (await principalFrom(g)).apiKeys.list();
      new Output(!!g.json).result(list.map((k) => `${k.id}  ${k.role.padEnd(9)}  ${k.label ?? ""}${k.revoked_at ? "  revoked" : ""}`).join("\n"), list);
    });
}
