/**
 * Server-sent events (the WHATWG `text/event-stream` format), both ways: frames the
 * edge writes for `GET /v1/events/stream`, and the incremental parser the SDK reads
 * them with. Pure: strings in, strings out.
 */

export interface SseMessage {
  /** The `id:` field; `undefined` when the message had none. */
  id?: string;
  /** The `event:` field; `"message"` when absent. */
  event: string;
  data: string;
  /** A `retry:` field in the same block, in ms. */
  retry?: number;
}

/** One message: `id:`, `event:`, then `data:` (one line per line of `data`), then a blank line. */
export function sseFrame(message: { id?: string; event?: string; data: string; retry?: number }): string {
  let out = "";
  if (message.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(message.retry))}\n`;
  if (message.id !== undefined) out += `id: ${message.id.replace(/[\r\n]/g, "")}\n`;
  if (message.event !== undefined) out += `event: ${message.event.replace(/[\r\n]/g, "")}\n`;
  for (const line of message.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A comment line (ignored by clients; keeps proxies from closing an idle stream). */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, " ")}\n\n`;
}

/**
 * Feed it text as it arrives; it returns the messages completed so far. Comments are
 * dropped, fields other than id/event/data/retry ignored, as the format says.
 */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | undefined;
  private retry: number | undefined;
  private sawField = false;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!match || (match[0] === "\r" && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === "") {
      if (!this.sawField) return null;
      const message: SseMessage = { event: this.event || "message", data: this.data.join("\n") };
      if (this.id !== undefined) message.id = this.id;
      if (this.retry !== undefined) message.retry = this.retry;
      this.data = [];
      this.event = "";
      this.id = undefined;
      this.retry = undefined;
      this.sawField = false;
      return message;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
    else return null;
    this.sawField = true;
    return null;
  }
}
