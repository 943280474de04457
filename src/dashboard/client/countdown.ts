/** `<time data-countdown datetime="…">` elements count down to their time, once a second. */
export function describeLeft(ms: number): string {
  if (ms <= 0) return "passed";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `in ${d}d ${h}h`;
  if (h > 0) return `in ${h}h ${min}m`;
  if (min > 0) return `in ${min}m ${sec}s`;
  return `in ${sec}s`;
}

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
