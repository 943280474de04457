/** The listing's filters as flags, shared by `remit sessions` and `remit revoke --…` (bulk). */
import type { Command } from "commander";
import type { SessionFilter } from "@remit/sdk";
import { parseCount, parseDuration, parseWhen, UsageError } from "../parse";

export interface FilterFlags {
  status?: string;
  roots?: boolean;
  label?: string;
  agent?: string;
  createdBefore?: string;
  createdAfter?: string;
  expiresBefore?: string;
  expiresAfter?: string;
  idleFor?: string;
  depth?: string;
}

const STATUSES = ["active", "revoked", "expired", "frozen", "pending"];

export function filterOptions(cmd: Command): Command {
  return cmd
    .option("--status <status>", `only sessions in this status (${STATUSES.join(", ")})`)
    .option("--roots", "only root sessions")
    .option("--label <label>", "only sessions with this label")
    .option("--agent <jkt>", "only sessions of this agent key (its thumbprint)")
    .option("--created-before <when>", "created before (RFC 3339, or a duration ago: 7d)")
    .option("--created-after <when>", "created after (RFC 3339, or a duration ago: 7d)")
    .option("--expires-before <when>", "expiring before (RFC 3339, or a duration from now: 2h)")
    .option("--expires-after <when>", "expiring after (RFC 3339, or a duration from now: 2h)")
    .option("--idle-for <duration>", "no authorization or hold for this long (30m, 7d)")
    .option("--depth <n>", "only sessions at this depth (0: roots)");
}

/** A time flag: an RFC 3339 date-time, or a duration counted back (created) or forward (expires) from now. */
function when(text: string, flag: string, back: boolean, now = Date.now()): Date {
  const seconds = parseDuration(text);
  if (seconds !== null) return new Date(now + (back ? -seconds : seconds) * 1000);
  return parseWhen(text, flag, now);
}

export function filterOf(o: FilterFlags): SessionFilter {
  if (o.status !== undefined && !STATUSES.includes(o.status)) throw new UsageError(`--status "${o.status}": expected one of ${STATUSES.join(", ")}`);
  let idleFor: number | undefined;
  if (o.idleFor !== undefined) {
    const seconds = parseDuration(o.idleFor);
    if (seconds === null || seconds <= 0) throw new UsageError(`--idle-for "${o.idleFor}": expected a duration (30m, 2h, 7d)`);
    idleFor = seconds;
  }
  const f: SessionFilter = {
    ...(o.status ? { status: o.status as SessionFilter["status"] } : {}),
    ...(o.roots ? { root: true } : {}),
    ...(o.label !== undefined ? { label: o.label } : {}),
    ...(o.agent !== undefined ? { agent: o.agent } : {}),
    ...(o.createdBefore ? { createdBefore: when(o.createdBefore, "--created-before", true) } : {}),
    ...(o.createdAfter ? { createdAfter: when(o.createdAfter, "--created-after", true) } : {}),
    ...(o.expiresBefore ? { expiresBefore: when(o.expiresBefore, "--expires-before", false) } : {}),
    ...(o.expiresAfter ? { expiresAfter: when(o.expiresAfter, "--expires-after", false) } : {}),
    ...(idleFor !== undefined ? { idleFor } : {}),
    ...(o.depth !== undefined ? { depth: parseCount(o.depth, "--depth") } : {}),
  };
  return f;
}

export const hasFilter = (f: SessionFilter) => Object.keys(f).length > 0;
