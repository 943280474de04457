/** The process around `run`: exit with its code once stdout and stderr have drained. */
import { run } from "./main";
import { proc } from "./node";

const code = await run(proc.argv);
// Pipes drain asynchronously: wait, then leave at once (idle keep-alive sockets must not hold the process).
await new Promise<void>((resolve) => (proc.stdout as unknown as { write(s: string, cb: () => void): boolean }).write("", () => resolve()));
await new Promise<void>((resolve) => (proc.stderr as unknown as { write(s: string, cb: () => void): boolean }).write("", () => resolve()));
proc.exit(code);
