import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
it("works", async () => {
  const stub = (env as any).SESSION_TREE.get((env as any).SESSION_TREE.idFromName("x"));
  expect(await stub.inc()).toBe(1);
  expect(await stub.inc()).toBe(2);
  const r = await (exports as any).default.fetch("http://x/");
  expect(await r.text()).toBe("ok");
});
