/**
 * The approval queue with everything needed to decide: scope, amount, the session's path and
 * what remains of its budgets, the expiry countdown; approve (with a note) or deny (with a
 * reason). The list is live: the script polls its fragment and adds new requests in place.
 */
import type { ApprovalView, SessionView } from "../../contract/wire-types";
import type { DecimalsTable } from "../../core/policy/money";
import { Countdown, money, PostForm, Status, windowName } from "../components";

export interface QueueItem {
  approval: ApprovalView;
  /** The requesting session's view (its budgets), when it could be read. */
  session: SessionView | null;
}

export function ApprovalsPage(props: { queue: QueueItem[]; recent: ApprovalView[]; table: DecimalsTable; csrf: string; canDecide: boolean }) {
  return (
    <>
      <section aria-labelledby="queue-title">
        <h2 id="queue-title">Waiting for a decision</h2>
        {props.canDecide ? null : <p class="muted">This key is read-only: it sees the queue but cannot decide.</p>}
        <ApprovalQueue {...props} />
      </section>
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">Recently closed</h2>
        {props.recent.length === 0 ? (
          <p class="muted">None yet.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Approval</th>
                  <th scope="col">Status</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Decided</th>
                  <th scope="col">Note</th>
                </tr>
              </thead>
              <tbody>
                {props.recent.map((a) => (
                  <tr>
                    <th scope="row">
                      <code>{a.id.slice(0, 12)}…</code>
                    </th>
                    <td>
                      <Status status={a.status} />
                    </td>
                    <td>
                      <code class="scope">{a.scope}</code>
                    </td>
                    <td>{a.asset && a.amount ? money(a.asset, a.amount, props.table) : "—"}</td>
                    <td>{a.decided_at ?? "—"}</td>
                    <td>{a.note ?? a.reason ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

/** The live list (also served alone at /dashboard/approvals/live for the script). */
export function ApprovalQueue(props: { queue: QueueItem[]; table: DecimalsTable; csrf: string; canDecide: boolean }) {
  return (
    <ul
      id="approval-queue"
      class="queue"
      data-live="/dashboard/approvals/live"
      aria-live="polite"
      aria-relevant="additions removals"
      data-count={String(props.queue.length)}
    >
      {props.queue.length === 0 ? (
        <li class="muted empty" data-empty="">
          Nothing is waiting.
        </li>
      ) : null}
      {props.queue.map((item) => (
        <ApprovalCard item={item} table={props.table} csrf={props.csrf} canDecide={props.canDecide} />
      ))}
    </ul>
  );
}

function ApprovalCard(props: { item: QueueItem; table: DecimalsTable; csrf: string; canDecide: boolean }) {
  const a = props.item.approval;
  const s = props.item.session;
  const amount = a.asset && a.amount ? money(a.asset, a.amount, props.table) : "no amount";
  return (
    <li class="card approval" data-approval={a.id} aria-labelledby={`title-${a.id}`}>
      <h3 id={`title-${a.id}`}>
        {amount} for <code class="scope">{a.scope}</code>
      </h3>
      <dl class="facts">
        <dt>Session</dt>
        <dd>
          <a href={`/dashboard/sessions/${a.session}`}>{a.label ?? a.session}</a>
        </dd>
        <dt>Path</dt>
        <dd class="path">
          {a.path.map((id, i) => (
            <>
              {i > 0 ? " › " : ""}
              <a href={`/dashboard/sessions/${id}`}>
                <code>{id.slice(0, 12)}…</code>
              </a>
            </>
          ))}
        </dd>
        <dt>Kind</dt>
        <dd>
          {a.kind} · {a.approved_by.length} of {a.approvers_needed} approvals
        </dd>
        <dt>Expires</dt>
        <dd>
          <Countdown until={a.expires_at} />
        </dd>
        <dt>Remaining</dt>
        <dd>
          {s && s.counters.budgets.length > 0
            ? s.counters.budgets.map((b) => (
                <div>
                  {money(b.asset, b.remaining, props.table)} of {money(b.asset, b.limit, props.table)} {windowName(b.period)}
                </div>
              ))
            : "no budget"}
        </dd>
      </dl>
      {props.canDecide ? (
        <div class="decide">
          <PostForm action={`/dashboard/approvals/${a.id}/approve`} csrf={props.csrf} class="stack" label={`Approve ${amount} for ${a.scope}`}>
            <label for={`note-${a.id}`}>Note (optional)</label>
            <input id={`note-${a.id}`} name="text" maxlength={1000} />
            <button type="submit" class="primary">
              Approve
            </button>
          </PostForm>
          <PostForm action={`/dashboard/approvals/${a.id}/deny`} csrf={props.csrf} class="stack" label={`Deny ${amount} for ${a.scope}`}>
            <label for={`reason-${a.id}`}>Reason (optional)</label>
            <input id={`reason-${a.id}`} name="text" maxlength={1000} />
            <button type="submit" class="danger">
              Deny
            </button>
          </PostForm>
        </div>
      ) : null}
    </li>
  );
}
