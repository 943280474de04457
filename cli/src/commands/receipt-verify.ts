/**
 * `remit receipt verify`: checks a receipt without trusting the service, against its
 * published key (the receipt-keys document, every key that ever signed a receipt, each
 * checked against its kid) and the root anchored on chain; the one command with its own exit code.
 */
import type { Command } from "commander";
import { EXIT, type RunState } from "../exit";
import { globals, principalFrom } from "../globals";
import { localChain } from "../local";
import { proc } from "../node";
import { Output } from "../output";
import { UsageError } from "../parse";

export function registerReceiptVerify(receipt: Command, state: RunState): void {
  receipt
    .command("verify")
    .description("verify a receipt offline: signature, Merkle inclusion, and the root anchored on chain")
    .argument("<id>", "receipt id, rcp_…")
    .option("--rpc-url <url>", "JSON-RPC endpoint of the anchor chain (default REMIT_RPC_URL, else the local stack's .dev/chain.json)")
    .option("--contract <address>", "the RemitAnchor contract (default: as the proof names it)")
    .option("--wait [seconds]", "wait for anchoring (default up to 600 s), showing the stage and a countdown to expected_by")
    .action(async (id: string, o: { rpcUrl?: string; contract?: string; wait?: string | boolean }, cmd: Command) => {
      const g = globals(cmd);
      const out = new Output(!!g.json);
      const rpcUrl = o.rpcUrl ?? proc.env.REMIT_RPC_URL ?? (await localChain())?.rpc_url;
      if (!rpcUrl) throw new UsageError("no chain RPC URL: pass --rpc-url, set REMIT_RPC_URL, or run where `npm start` wrote .dev/chain.json");
      const principal = await principalFrom(g);
      // The proof answer carries the signed receipt too; ask for the receipt itself all the same
      // (the same call a third party would make).
      const [signed, first] = await Promise.all([principal.receipt(id), principal.receiptProof(id)]);
      let proof = first;
      if (!proof?.proof && o.wait !== undefined && o.wait !== false) {
        const { waitForAnchor, NotAnchoredYetError } = await import("@remit/sdk/verify");
        const seconds = o.wait === true ? 600 : Number(o.wait);
        if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError("--wait takes a number of seconds");
        const show = (p: typeof proof) => {
          const left = p?.expected_by ? Math.round((Date.parse(p.expected_by) - Date.now()) / 1000) : null;
          const when = left === null ? "" : left >= 0 ? `, expected in ${left} s` : `, overdue by ${-left} s`;
          proc.stderr.write(`\r${id}: ${p?.stage ?? "pending"}${when} (its signature already verifies on its own)   `);
        };
        try {
          proof = await waitForAnchor(id, { timeoutMs: seconds * 1000, onStage: show, proof: () => principal.receiptProof(id) });
          proc.stderr.write("\n");
        } catch (err) {
          proc.stderr.write("\n");
          if (!(err instanceof NotAnchoredYetError)) throw err;
        }
      }
      if (!proof?.proof) {
        const stage = proof?.stage ?? "pending";
        const expected = proof?.expected_by ? `, expected by ${proof.expected_by}${proof.overdue ? ", overdue" : ""}` : "";
        out.result(`${id} is not anchored yet (stage: ${stage}${expected}); its signature verifies on its own meanwhile`, {
          ok: false,
          reason: "not anchored yet",
          stage,
          expected_by: proof?.expected_by ?? null,
          overdue: proof?.overdue ?? false,
        });
        state.code = EXIT.UNVERIFIED;
        return;
      }
      // viem is heavy: loaded only for this command.
      const { verifyReceipt } = await import("@remit/sdk/verify");
      let result;
      try {
        // The receipt-keys document: every key that ever signed a receipt (not only today's JWKS).
        result = await verifyReceipt(signed, proof, { baseUrl: principal.baseUrl, rpcUrl, ...(o.contract ? { contract: o.contract } : {}) });
      } catch (err) {
        if (err instanceof TypeError) throw new UsageError(err.message);
        throw new Error(`chain ${rpcUrl}: ${err instanceof Error ? err.message : String(err)}`);
      }
      // The chain's own errors do not say which endpoint they were about.
      if (result.reason && /^chain\b/i.test(result.reason) && !result.reason.includes(rpcUrl)) result = { ...result, reason: `${result.reason} (RPC ${rpcUrl})` };
      const mark = (b: boolean) => (b ? "✓" : "✗");
      const lines = [
        `${id} ${result.ok ? "verifies" : "does NOT verify"} against ${rpcUrl}`,
        ...Object.entries(result.checks).map(([k, v]) => `  ${mark(v)} ${k}`),
        ...(result.reason ? [`  ${result.reason}`] : []),
      ];
      lines.push(`verified ${result.ok}`);
      out.result(lines.join("\n"), result);
      if (!result.ok) state.code = EXIT.UNVERIFIED;
    });
}
