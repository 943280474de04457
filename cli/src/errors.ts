/** How a failure reaches stderr, human or --json, so every command reports errors alike. */
import type { RemitError } from "@remit/sdk";
import { formatMoney } from "@remit/sdk";
import { proc } from "./node";

export function printProblem(err: RemitError, json: boolean): void {
  if (json) {
    proc.stderr.write(JSON.stringify({ error: err.problem }) + "\n");
    return;
  }
  const lines = [`error: ${err.title} (${err.code || err.type}, HTTP ${err.status})`];
  if (err.detail) lines.push(`  ${err.detail}`);
  for (const f of err.errors) lines.push(`  - ${f.field}: ${f.message} [${f.rule}]`);
  // What remains and where, from the exact fields (the detail says it in words too).
  const asset = err.member<string>("asset");
  const remaining = err.member<string>("remaining");
  if (err.code === "budget-exceeded" && typeof asset === "string" && typeof remaining === "string" && /^[0-9]+$/.test(remaining))
    lines.push(`  remaining: ${formatMoney(asset, remaining)}${typeof err.member("session") === "string" ? ` in ${err.member<string>("session")}` : ""}`);
  const retryAfter = err.retryAfter;
  if (retryAfter !== undefined) lines.push(`  retry after ${retryAfter} s`);
  proc.stderr.write(lines.join("\n") + "\n");
}

export function printError(title: string, detail: string, json: boolean): void {
  proc.stderr.write(json ? JSON.stringify({ error: { title, detail } }) + "\n" : `error: ${detail}\n`);
}
