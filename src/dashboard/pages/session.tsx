/**
 * One session: what it may do, its budgets with a chart of each one's current window, and its
 * receipts (paginated) with each one's way to the chain and a "verify" that runs the SDK's
 * offline verification in the browser against the chain's RPC.
 */
import type { ReceiptProofView, SessionView, SignedReceiptView } from "../../contract/wire-types";
import type { DecimalsTable } from "../../core/policy/money";
import { BudgetBar, callsAndRate, Countdown, money, PostForm, SpendChart, type SpendPoint, Status } from "../components";

export interface SessionPageProps {
  session: SessionView;
  receipts: { data: { signed: SignedReceiptView; proof: ReceiptProofView | null }[]; has_more: boolean };
  /** Per budget (same order as the session's), the committed receipts of its current window in the session's subtree. */
  charts: { points: SpendPoint[]; from: number; to: number; partial: boolean }[];
  table: DecimalsTable;
  csrf: string;
  canRevoke: boolean;
  rpcUrl: string;
  startingAfter?: string;
}

export function SessionPage(props: SessionPageProps) {
  const s = props.session;
  const last = props.receipts.data.at(-1)?.signed.receipt.id;
  return (
    <>
      <section class="card" aria-labelledby="about">
        <h2 id="about">
          {s.label ?? s.id} <Status status={s.status} />
        </h2>
        <dl class="facts">
          <dt>Id</dt>
          <dd>
            <code>{s.id}</code>
          </dd>
          <dt>Tree</dt>
          <dd>
            <a href={`/dashboard/sessions/${s.id}/tree`}>the tree below this session</a>
            {s.parent ? (
              <>
                {" "}
                · parent <a href={`/dashboard/sessions/${s.parent}`}>{s.parent}</a>
              </>
            ) : null}
          </dd>
          <dt>Scopes</dt>
          <dd>
            {s.scopes.map((x) => (
              <code class="scope">{x}</code>
            ))}
          </dd>
          <dt>Expires</dt>
          <dd>
            <Countdown until={s.expires_at} /> ({s.expires_at})
          </dd>
          <dt>Calls and rate</dt>
          <dd>{callsAndRate(s)}</dd>
        </dl>
        {props.canRevoke && (s.status === "active" || s.status === "pending" || s.status === "frozen") ? (
          <PostForm
            action={`/dashboard/sessions/${s.id}/revoke`}
            csrf={props.csrf}
            confirm={`Revoke ${s.label ?? s.id} and every session below it?`}
            label="Revoke this session"
          >
            <input type="hidden" name="back" value={`/dashboard/sessions/${s.id}`} />
            <button type="submit" class="danger">
              Revoke this session and its descendants
            </button>
          </PostForm>
        ) : null}
      </section>

      <section class="card" aria-labelledby="budgets">
        <h2 id="budgets">Budgets</h2>
        {s.counters.budgets.length === 0 ? <p class="muted">No budget.</p> : null}
        <div class="grid">
          {s.counters.budgets.map((b, i) => {
            const chart = props.charts[i];
            return (
              <div class="budget-cell">
                <BudgetBar budget={b} table={props.table} />
                {chart ? <SpendChart budget={b} points={chart.points} from={chart.from} to={chart.to} table={props.table} /> : null}
                {chart?.partial ? <p class="small muted">Drawn from the first receipts only (a large tree).</p> : null}
              </div>
            );
          })}
        </div>
      </section>

      <section class="card" aria-labelledby="receipts">
        <h2 id="receipts">Receipts</h2>
        <div class="verify-bar">
          <label for="rpc-url">Chain RPC URL for verification</label>
          <input id="rpc-url" type="url" value={props.rpcUrl} placeholder="https://…" />
        </div>
        {props.receipts.data.length === 0 ? (
          <p class="muted">No receipts yet.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Receipts of this session, oldest first</caption>
              <thead>
                <tr>
                  <th scope="col">Receipt</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Settlement</th>
                  <th scope="col">Verify</th>
                </tr>
              </thead>
              <tbody>
                {props.receipts.data.map(({ signed, proof }) => (
                  <ReceiptRow signed={signed} proof={proof} table={props.table} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav aria-label="Receipt pages" class="pager">
          {props.startingAfter ? <a href={`/dashboard/sessions/${s.id}`}>First page</a> : null}
          {props.receipts.has_more && last ? <a href={`/dashboard/sessions/${s.id}?starting_after=${last}`}>Next page</a> : null}
        </nav>
      </section>
    </>
  );
}

function outcomeOf(r: SignedReceiptView["receipt"]): string {
  if (r.kind === "denial") return `denied (${r.reason ?? "refused"})`;
  if (r.approval) return r.kind === "void" ? "approval closed" : "approved";
  return r.kind === "void" ? "released" : "allowed";
}

function ReceiptRow(props: { signed: SignedReceiptView; proof: ReceiptProofView | null; table: DecimalsTable }) {
  const r = props.signed.receipt;
  const p = props.proof;
  const anchor = p?.anchor;
  return (
    <tr data-receipt={r.id}>
      <th scope="row">
        <code title={r.at}>{r.id.slice(0, 12)}…</code>
        <div class="small muted">{r.at.replace("T", " ").slice(0, 19)}</div>
      </th>
      <td>{r.kind}</td>
      <td>{outcomeOf(r)}</td>
      <td>{r.asset && r.amount ? money(r.asset, r.amount, props.table) : "—"}</td>
      <td>
        <code class="scope">{r.scope ?? "—"}</code>
      </td>
      <td>
        <code title={r.request_digest ?? props.signed.leaf_hash}>{(r.request_digest ?? props.signed.leaf_hash).slice(0, 12)}…</code>
      </td>
      <td>
        <span class={`badge stage-${p?.stage ?? "unknown"}`}>{p ? stageWords(p.stage) : "unknown"}</span>
        {anchor?.tx ? (
          <div class="small">
            period {anchor.period} · tx <code title={anchor.tx}>{anchor.tx.slice(0, 10)}…</code>
            {anchor.block !== null ? ` · block ${anchor.block}` : ""}
          </div>
        ) : p?.expected_by ? (
          <div class="small muted">
            expected <Countdown until={p.expected_by} />
            {p.overdue ? " (overdue)" : ""}
          </div>
        ) : null}
      </td>
      <td>
        <button type="button" class="small-button" data-verify={r.id} disabled={p?.stage !== "anchored"} aria-describedby={`verify-${r.id}`}>
          Verify
        </button>
        <output id={`verify-${r.id}`} class="small verify-result" aria-live="polite">
          {p?.stage === "anchored" ? "" : "once anchored"}
        </output>
      </td>
    </tr>
  );
}

/** The proof's stages, as the issue names them: outbox (in the tree), sealed (in a ledger batch), anchored. */
function stageWords(stage: ReceiptProofView["stage"]): string {
  switch (stage) {
    case "outbox":
      return "outbox";
    case "ledger":
      return "outbox → ledger";
    case "sealed":
      return "sealed";
    case "anchoring":
      return "sealed → anchoring";
    case "anchored":
      return "anchored";
  }
}
