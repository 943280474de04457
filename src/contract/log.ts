/** The shape of the worker's structured log lines: what operators query and what a test holds free of secrets. */
export interface RequestLogLine {
  msg: "request";
  level: "info" | "warn" | "error";
  request_id: string;
  method: string;
  /** The route pattern that answered, or null when none matched (404/405). */
  route: string | null;
  status: number;
  decision: "allowed" | "refused";
  /** For a refusal: the problem's name, the last segment of its `type` URL (e.g. `budget-exceeded`). */
  problem?: string;
  principal?: string;
  session?: string;
  latency_ms: number;
}
