/**
 * "Verify" on a receipt: the SDK's offline verification, run here in the browser — the receipt
 * and its proof from the dashboard, the keys from this service's receipt-keys document (each
 * checked against the receipt's kid), and the root read from the chain's RPC, which the person
 * may change. The service is trusted for nothing the chain and the signature do not confirm.
 */
import { verifyReceipt } from "../../../sdk/src/verify";
import type { ReceiptProofResponse } from "../../../sdk/src/types";

export async function run(doc: Document, button: HTMLButtonElement): Promise<void> {
  const id = button.dataset.verify!;
  const out = doc.getElementById(`verify-${id}`);
  const rpcUrl = doc.querySelector<HTMLInputElement>("#rpc-url")?.value.trim() ?? "";
  const say = (text: string, state: "ok" | "bad" | "busy") => {
    if (!out) return;
    out.textContent = text;
    out.dataset.state = state;
  };
  if (!rpcUrl) {
    say("enter the chain's RPC URL above", "bad");
    return;
  }
  button.disabled = true;
  say("verifying…", "busy");
  try {
    const res = await fetch(`/dashboard/receipts/${encodeURIComponent(id)}/proof`, { credentials: "same-origin" });
    if (!res.ok) throw new Error(`the proof could not be read (HTTP ${res.status})`);
    const proof = (await res.json()) as ReceiptProofResponse;
    const result = await verifyReceipt(proof.receipt, proof, { baseUrl: location.origin, rpcUrl });
    if (result.ok) say("verified: signature, leaf, batch, period and on-chain root", "ok");
    else {
      const failed = Object.entries(result.checks)
        .filter(([, good]) => !good)
        .map(([name]) => name);
      say(`NOT verified (${failed.join(", ")}): ${result.reason ?? ""}`, "bad");
    }
  } catch (e) {
    say(`could not verify: ${e instanceof Error ? e.message : String(e)}`, "bad");
  } finally {
    button.disabled = false;
  }
}
