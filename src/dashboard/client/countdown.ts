/** `<time data-countdown datetime="…">` elements count down to their time, once a second. */
import { describeLeft } from "../../core/time-left";

export function tick(root: ParentNode, now = Date.now()): void {
  for (const el of root.querySelectorAll<HTMLTimeElement>("time[data-countdown]")) {
    const at = Date.parse(el.dateTime);
    if (Number.isFinite(at)) el.textContent = describeLeft(at - now);
  }
}

export function startCountdowns(doc: Document): void {
  tick(doc);
  setInterval(() => tick(doc), 1000);
}
