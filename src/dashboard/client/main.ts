/**
 * The dashboard's one script (bundled by scripts/build-assets.mjs, served from this origin):
 * countdowns, confirmations before forms that stop things, the live approval queue, and the
 * in-browser verification of receipts. Every page works without it; it only adds.
 */
import { startCountdowns } from "./countdown";
import { confirmForms } from "./confirm";
import { liveQueues } from "./live";

function start(): void {
  startCountdowns(document);
  confirmForms(document);
  liveQueues(document);
  // The verification (the SDK and a chain client) loads only when a button asks for it.
  for (const button of document.querySelectorAll<HTMLButtonElement>("button[data-verify]"))
    button.addEventListener("click", async () => (await import("./verify")).run(document, button));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
