// Specification of wrangler.toml's deploy-time shape: Durable Object migrations, bindings in
// every environment, per-environment queues, crons and vars, observability. Wrangler itself
// (4.x, workers-utils config validation) treats `migrations`, `triggers` and `observability` as
// inheritable and `vars`, `durable_objects` and `queues` as not inherited, so migrations live at
// the top level only and every environment repeats its bindings.
//
// To check another copy (e.g. to see a check fail): WRANGLER_TOML=/tmp/x/wrangler.toml
// WORKER_INDEX=/tmp/x/index.ts npx vitest run --project node test/node/wrangler-config.test.ts
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { isWebhookQueue } from "../../src/core/webhooks/queue";

const file = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const TOML_PATH = process.env.WRANGLER_TOML ?? file("../../wrangler.toml");
const INDEX_PATH = process.env.WORKER_INDEX ?? file("../../src/index.ts");
const SNAPSHOT_PATH = file("./migrations.snapshot.json");

interface Migration {
  tag: string;
  new_classes?: string[];
  new_sqlite_classes?: string[];
  renamed_classes?: { from: string; to: string }[];
  deleted_classes?: string[];
  transferred_classes?: { from: string; from_script: string; to: string }[];
}
interface DoBinding {
  name: string;
  class_name: string;
  script_name?: string;
}
interface Queues {
  producers?: { binding: string; queue: string }[];
  consumers?: { queue: string; dead_letter_queue?: string; max_retries?: number }[];
}
interface Section {
  name?: string;
  migrations?: Migration[];
  durable_objects?: { bindings?: DoBinding[] };
  queues?: Queues;
  triggers?: { crons?: string[] };
  vars?: Record<string, string>;
  observability?: { enabled?: boolean };
}
interface Config extends Section {
  env?: Record<string, Section>;
}

const config = parse(readFileSync(TOML_PATH, "utf8")) as unknown as Config;
const envNames = Object.keys(config.env ?? {});
/** Every deployable section: the top level (local/dev) and each [env.*]. */
const sections: [string, Section][] = [["top level", config], ...envNames.map((n): [string, Section] => [`env.${n}`, config.env![n]!])];
const migrations = config.migrations ?? [];

/** Classes src/index.ts exports by name: `export { X } from …` and `export class X`. All of them are Durable Objects. */
function exportedClasses(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/^export\s*\{([^}]*)\}\s*from\s*["'][^"']+["']/gm))
    for (const part of m[1]!.split(",")) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()!
        .trim();
      if (name && name !== "default") names.push(name);
    }
  for (const m of source.matchAll(/^export\s+class\s+(\w+)/gm)) names.push(m[1]!);
  return names.sort();
}
const exported = exportedClasses(readFileSync(INDEX_PATH, "utf8"));

/** How many times each class is created by the migration list (a new SQLite class, or the target of a rename). */
function creations(list: Migration[]): Map<string, number> {
  const count = new Map<string, number>();
  const add = (name: string) => count.set(name, (count.get(name) ?? 0) + 1);
  for (const m of list) {
    for (const c of m.new_sqlite_classes ?? []) add(c);
    for (const c of m.new_classes ?? []) add(c);
    for (const r of m.renamed_classes ?? []) add(r.to);
    for (const t of m.transferred_classes ?? []) add(t.to);
  }
  return count;
}

describe("Durable Object migrations", () => {
  it("finds the classes the worker exports", () => {
    expect(exported).toEqual(expect.arrayContaining(["Ledger", "Principal", "SessionTree", "Settlement"]));
  });

  it("declares every exported class exactly once, as a SQLite class", () => {
    const created = creations(migrations);
    const sqlite = new Set(migrations.flatMap((m) => m.new_sqlite_classes ?? []));
    const problems = exported.flatMap((c) => {
      const n = created.get(c) ?? 0;
      if (n === 0) return [`${c} is exported but no migration creates it: add a [[migrations]] entry with new_sqlite_classes = ["${c}"]`];
      if (n > 1) return [`${c} is created by ${n} migrations`];
      if (!sqlite.has(c)) return [`${c} is not created with new_sqlite_classes (the SQLite backend, with PITR)`];
      return [];
    });
    expect(problems).toEqual([]);
  });

  it("creates no class with the key-value backend", () => {
    expect(migrations.flatMap((m) => m.new_classes ?? [])).toEqual([]);
  });

  it("creates no class the worker does not export, unless a later migration deletes or renames it", () => {
    const gone = new Set(migrations.flatMap((m) => [...(m.deleted_classes ?? []), ...(m.renamed_classes ?? []).map((r) => r.from)]));
    const orphans = [...creations(migrations).keys()].filter((c) => !exported.includes(c) && !gone.has(c));
    expect(orphans).toEqual([]);
  });

  it("uses each tag once", () => {
    const tags = migrations.map((m) => m.tag);
    expect(new Set(tags).size).toBe(tags.length);
  });

  it("only appends: the committed list (test/node/migrations.snapshot.json) is an unchanged prefix", () => {
    // Deployed migrations are never rewritten or reordered; when a tag is added, append it to the
    // snapshot by hand in the same change.
    const snapshot = (JSON.parse(readFileSync(SNAPSHOT_PATH, "utf8")) as { migrations: Migration[] }).migrations;
    expect(migrations.length).toBeGreaterThanOrEqual(snapshot.length);
    expect(migrations.slice(0, snapshot.length)).toEqual(snapshot);
  });

  it("keeps migrations at the top level, where every environment inherits them", () => {
    // An environment's own list would replace the inherited one for that worker alone.
    expect(envNames.filter((n) => config.env![n]!.migrations !== undefined)).toEqual([]);
  });
});

describe("environments", () => {
  it("defines staging and production beside the top level", () => {
    expect(envNames.sort()).toEqual(["production", "staging"]);
  });

  it("gives each environment its own worker name", () => {
    const names = sections.map(([, s]) => s.name);
    expect(names.every((n) => typeof n === "string" && n.length > 0)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(sections)("binds, in %s, only classes the worker exports, of this worker", (_where, section) => {
    const bindings = section.durable_objects?.bindings ?? [];
    expect(bindings.filter((b) => !exported.includes(b.class_name)).map((b) => `${b.name} → ${b.class_name}`)).toEqual([]);
    expect(bindings.filter((b) => b.script_name !== undefined).map((b) => b.name)).toEqual([]);
  });

  it.each(sections)("binds, in %s, every exported class under the top level's binding names", (_where, section) => {
    const pairs = (s: Section) => (s.durable_objects?.bindings ?? []).map((b) => `${b.name}=${b.class_name}`).sort();
    expect(pairs(section)).toEqual(pairs(config));
    expect([...new Set((section.durable_objects?.bindings ?? []).map((b) => b.class_name))].sort()).toEqual(exported);
  });

  it.each(sections)("gives %s the same queue producer bindings, on queues the worker's consumer recognises", (_where, section) => {
    const producers = section.queues?.producers ?? [];
    expect(producers.map((p) => p.binding).sort()).toEqual((config.queues?.producers ?? []).map((p) => p.binding).sort());
    expect(producers.filter((p) => !isWebhookQueue(p.queue)).map((p) => p.queue)).toEqual([]);
    const dlq = producers.find((p) => p.binding === "WEBHOOKS_DLQ")!.queue;
    expect(dlq.endsWith("-dlq")).toBe(true);
    // Each consumer's dead-letter queue is this environment's own, and consumed too.
    const consumers = section.queues?.consumers ?? [];
    expect(consumers.map((c) => c.queue).sort()).toEqual(producers.map((p) => p.queue).sort());
    expect(consumers.filter((c) => c.dead_letter_queue !== undefined).map((c) => c.dead_letter_queue)).toEqual([dlq]);
  });

  it("uses no queue in two environments", () => {
    const queues = sections.flatMap(([, s]) => (s.queues?.producers ?? []).map((p) => p.queue));
    expect(new Set(queues).size).toBe(queues.length);
  });

  it("keeps the top-level queue names that vitest.config.ts's queueConsumers override", () => {
    expect((config.queues?.producers ?? []).map((p) => p.queue).sort()).toEqual(["remit-webhooks", "remit-webhooks-dlq"]);
  });

  it.each(sections)("runs the settlement cron in %s and declares every top-level var there", (_where, section) => {
    expect(section.triggers?.crons?.length ?? 0).toBeGreaterThan(0);
    const missing = Object.keys(config.vars ?? {}).filter((k) => !(k in (section.vars ?? {})));
    expect(missing).toEqual([]);
  });

  it("anchors staging on Base Sepolia and settles it every minute", () => {
    expect(config.env!.staging!.vars?.ANCHOR_CHAIN_ID).toBe("84532");
    expect(config.env!.staging!.triggers?.crons).toEqual(["* * * * *"]);
  });

  it("settles production every five minutes", () => {
    expect(config.env!.production!.triggers?.crons).toEqual(["*/5 * * * *"]);
  });

  it("turns observability on for every environment (inherited from the top level, never turned off)", () => {
    expect(config.observability?.enabled).toBe(true);
    expect(envNames.filter((n) => config.env![n]!.observability?.enabled === false)).toEqual([]);
  });
});
