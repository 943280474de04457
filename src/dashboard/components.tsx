/**
 * The pieces every dashboard page is drawn with: money in major units, budget bars, countdowns,
 * status badges, the spend chart and forms that carry the CSRF token. Bars and charts are SVG
 * (presentation attributes, no inline style: the CSP allows no inline style), each with a text
 * equivalent for screen readers.
 */
import type { Child } from "hono/jsx";
import type { BudgetCounterView, SessionView } from "../contract/wire-types";
import { type DecimalsTable, decimalsOf, formatMoney } from "../core/policy/money";
import { describeLeft } from "../core/time-left";

/** `1550` USD → `$15.50`. */
export function money(asset: string, minor: string | bigint, table: DecimalsTable): string {
  return formatMoney(asset, minor, decimalsOf(asset, table));
}

/** A whole-number percentage of `part` in `whole`, 0…100, bigint-safe. */
export function percent(part: bigint, whole: bigint): number {
  if (whole <= 0n) return part > 0n ? 100 : 0;
  const p = Number((part * 1000n) / whole) / 10;
  return Math.max(0, Math.min(100, p));
}

const WINDOW_WORDS: Record<string, string> = { hour: "this hour", day: "today", week: "this week", month: "this month" };

export function windowName(period: string | null): string {
  return period ? (WINDOW_WORDS[period] ?? period) : "lifetime";
}

/** Spent, held and remaining of one budget: a bar and the figures, in major units. */
export function BudgetBar(props: { budget: BudgetCounterView; table: DecimalsTable }) {
  const b = props.budget;
  const limit = BigInt(b.limit);
  const spent = percent(BigInt(b.spent), limit);
  const held = Math.min(100 - spent, percent(BigInt(b.held), limit));
  const m = (v: string) => money(b.asset, v, props.table);
  const words = `${b.asset} ${windowName(b.period)}: spent ${m(b.spent)}, held ${m(b.held)}, remaining ${m(b.remaining)} of ${m(b.limit)}`;
  return (
    <div class="budget">
      <div class="budget-head">
        <span class="budget-name">
          {b.asset} · {windowName(b.period)}
        </span>
        <span class="budget-figures">
          <span class="spent">spent {m(b.spent)}</span> · <span class="held">held {m(b.held)}</span> · <span class="remaining">remaining {m(b.remaining)}</span> of{" "}
          {m(b.limit)}
        </span>
      </div>
      <svg class="bar" role="img" aria-label={words} viewBox="0 0 100 6" preserveAspectRatio="none" width="100%" height="12">
        <rect class="bar-track" x="0" y="0" width="100" height="6" />
        <rect class="bar-spent" x="0" y="0" width={String(spent)} height="6" />
        <rect class="bar-held" x={String(spent)} y="0" width={String(held)} height="6" />
      </svg>
      {b.resets_at ? (
        <div class="muted small">
          resets <Countdown until={b.resets_at} />
        </div>
      ) : null}
    </div>
  );
}

/** Exposure of one asset, as a single bar against the largest figure of the row. */
export function ExposureBar(props: { label: string; value: bigint; max: bigint }) {
  const width = percent(props.value, props.max);
  return (
    <svg class="bar" role="img" aria-label={props.label} viewBox="0 0 100 6" preserveAspectRatio="none" width="100%" height="12">
      <rect class="bar-track" x="0" y="0" width="100" height="6" />
      <rect class="bar-spent" x="0" y="0" width={String(width)} height="6" />
    </svg>
  );
}

/** Time left until `until`, counted down in the browser; the server's figure without script. */
export function Countdown(props: { until: string; now?: number }) {
  const left = Date.parse(props.until) - (props.now ?? Date.now());
  return (
    <time datetime={props.until} data-countdown="" title={props.until}>
      {describeLeft(left)}
    </time>
  );
}

export function Status(props: { status: string }) {
  return <span class={`badge status-${props.status}`}>{props.status}</span>;
}

/** A POST form with the sign-in's CSRF token; `confirm` is asked before it is sent. */
export function PostForm(props: { action: string; csrf: string; confirm?: string; class?: string; children?: Child; label?: string }) {
  return (
    <form method="post" action={props.action} class={props.class ?? "inline"} data-confirm={props.confirm} aria-label={props.label}>
      <input type="hidden" name="csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}

/** Calls used / limit and the rate, as words. */
export function callsAndRate(s: SessionView): string {
  const parts: string[] = [];
  const calls = s.counters.calls;
  parts.push(calls ? `${calls.used} of ${calls.limit} calls` : `calls unlimited`);
  const rate = s.counters.rate;
  if (rate) parts.push(`rate ${rate.requests - rate.remaining}/${rate.requests} per ${rate.per_seconds} s`);
  return parts.join(" · ");
}

export interface SpendPoint {
  at: number;
  /** Committed amount of this receipt, minor units. */
  amount: bigint;
}

/**
 * Spend over the budget's current window: a step line of the cumulative committed amount from
 * the window's start to now (or the session's life for a lifetime budget), against its limit.
 */
export function SpendChart(props: { budget: BudgetCounterView; points: SpendPoint[]; from: number; to: number; table: DecimalsTable }) {
  const { budget, table } = props;
  const W = 300;
  const H = 80;
  const limit = BigInt(budget.limit);
  const total = props.points.reduce((s, p) => s + p.amount, 0n);
  const top = limit > total ? limit : total;
  const span = Math.max(1, props.to - props.from);
  const x = (t: number) => ((Math.min(Math.max(t, props.from), props.to) - props.from) / span) * W;
  const y = (v: bigint) => H - (percent(v, top) / 100) * H;
  let running = 0n;
  let d = `M0,${H}`;
  for (const p of [...props.points].sort((a, b) => a.at - b.at)) {
    d += ` H${x(p.at).toFixed(1)}`;
    running += p.amount;
    d += ` V${y(running).toFixed(1)}`;
  }
  d += ` H${W}`;
  const title = `Spend ${windowName(budget.period)} in ${budget.asset}: ${money(budget.asset, total, table)} of ${money(budget.asset, budget.limit, table)} over ${props.points.length} receipts`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" height="90" preserveAspectRatio="none" role="img" aria-label={title}>
        <title>{title}</title>
        <line class="chart-limit" x1="0" x2={String(W)} y1={y(limit).toFixed(1)} y2={y(limit).toFixed(1)} />
        <path class="chart-line" d={d} />
      </svg>
      <figcaption class="small muted">
        {budget.asset} · {windowName(budget.period)}: {money(budget.asset, total, table)} of {money(budget.asset, budget.limit, table)} (dashed line: the limit)
      </figcaption>
    </figure>
  );
}
