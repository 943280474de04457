/** `remit receipt`: the group under which a receipt is fetched or verified. */
import type { Command } from "commander";
import type { RunState } from "../exit";
import { registerReceiptGet } from "./receipt-get";
import { registerReceiptVerify } from "./receipt-verify";

export function registerReceipt(program: Command, state: RunState): void {
  const receipt = program.command("receipt").description("signed receipts");
  registerReceiptGet(receipt);
  registerReceiptVerify(receipt, state);
}
