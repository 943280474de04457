/** One place decides human text versus --json, so every command answers scripts the same way. */
import { proc } from "./node";

/** What a command writes: the human text, or the JSON value with --json. */
export class Output {
  constructor(readonly json: boolean) {}
  result(human: string, value: unknown): void {
    proc.stdout.write(this.json ? JSON.stringify(value, null, 2) + "\n" : human.endsWith("\n") ? human : human + "\n");
  }
  note(text: string): void {
    if (!this.json) proc.stderr.write(text + "\n");
  }
}
