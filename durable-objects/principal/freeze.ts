/**
 * The kill switch: the flag is set here first, then on every indexed tree, and the
 * call returns only once every tree has it, so nothing under the principal succeeds
 * afterwards. A change (not a repeat) is announced as a webhook. Calls run one at a
 * time (index.ts `oneFreezeAtATime`), and each answers the state it wrote, read in the
 * same synchronous step as the write, never re-read after the fan-out.
 */
import type { Env } from "../../src/contract/env";
import { ok, type Outcome } from "../../src/core/errors";
import type { PrincipalView } from "../../src/contract/principal";
import { principalRow, principalView } from "./profile";
import { treeIds, treeStub } from "./trees";
import type { PrincipalWebhooks } from "./webhooks";

export async function setFrozen(sql: SqlStorage, env: Env, webhooks: PrincipalWebhooks, frozen: boolean): Promise<Outcome<PrincipalView & { trees: number }>> {
  const changed = principalRow(sql)!.frozen !== (frozen ? 1 : 0);
  sql.exec("UPDATE principal SET frozen = ?", frozen ? 1 : 0);
  const view = principalView(sql)!;
  const trees = treeIds(sql);
  await Promise.all(trees.map((t) => treeStub(env, t.id).setFrozen(frozen)));
  if (changed) {
    const at = new Date().toISOString();
    await (frozen ? webhooks.emit("principal.frozen", { frozen_at: at }) : webhooks.emit("principal.unfrozen", { unfrozen_at: at }));
  }
  return ok({ ...view, trees: trees.length }) as Outcome<PrincipalView & { trees: number }>;
}
