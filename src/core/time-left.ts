/** How long until a moment, as a person reads it on a countdown ("in 2h 5m", "passed"); shared by the dashboard's server render and its script. */
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
