/** `remit anchors`: the public record of anchored roots, readable without logging in. */
import type { Command } from "commander";
import { RemitClient } from "@remit/sdk";
import { clientDefaults, globals, serviceUrl } from "../globals";
import { Output } from "../output";
import { renderAnchors } from "../render";

export function registerAnchors(program: Command): void {
  program
    .command("anchors")
    .description("anchored period roots and their transactions")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const client = new RemitClient({ ...clientDefaults, baseUrl: await serviceUrl(g) });
      const anchors = await client.anchors();
      new Output(!!g.json).result(renderAnchors(anchors), anchors);
    });
}
