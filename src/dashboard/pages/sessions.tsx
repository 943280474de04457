/**
 * The sessions of every tree, newest first, with the listing's filters (status, idle, label,
 * agent), and "revoke these": a dry run first shows what would go and the exposure that would
 * remain, then a second, confirmed form revokes exactly that filter.
 */
import type { BulkRevocation, ListedSession } from "../../contract/wire-types";
import type { DecimalsTable } from "../../core/policy/money";
import { BudgetBar, Countdown, money, PostForm, Status } from "../components";

/** The filters as the form carries them (query-string and hidden-field names). */
export interface FilterForm {
  status?: string;
  idle_for?: string;
  label?: string;
  agent?: string;
}

export const STATUSES = ["active", "frozen", "pending", "expired", "revoked"] as const;

export function FilterFields(props: { filter: FilterForm }) {
  const f = props.filter;
  return (
    <>
      <label>
        Status
        <select name="status">
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option value={s} selected={f.status === s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Idle for (ISO 8601, e.g. PT1H, P7D)
        <input name="idle_for" value={f.idle_for ?? ""} placeholder="PT1H" pattern="P.*" />
      </label>
      <label>
        Label
        <input name="label" value={f.label ?? ""} />
      </label>
      <label>
        Agent key thumbprint
        <input name="agent" value={f.agent ?? ""} spellcheck={false} />
      </label>
    </>
  );
}

const hidden = (f: FilterForm) =>
  Object.entries(f)
    .filter(([, v]) => v)
    .map(([k, v]) => <input type="hidden" name={k} value={v} />);

export function SessionsPage(props: {
  filter: FilterForm;
  list: { data: ListedSession[]; has_more: boolean; next_cursor: string | null };
  table: DecimalsTable;
  csrf: string;
  canRevoke: boolean;
  nextHref: string | null;
}) {
  const any = Object.values(props.filter).some(Boolean);
  return (
    <>
      <form method="get" action="/dashboard/sessions" class="filters" aria-label="Filter sessions">
        <FilterFields filter={props.filter} />
        <button type="submit">Filter</button>
        {any ? <a href="/dashboard/sessions">Clear</a> : null}
      </form>
      {props.canRevoke ? (
        any ? (
          <PostForm action="/dashboard/sessions/revoke" csrf={props.csrf} label="Revoke the sessions this filter matches">
            {hidden(props.filter)}
            <input type="hidden" name="dry_run" value="true" />
            <button type="submit" class="danger">
              Revoke these…
            </button>{" "}
            <span class="small muted">(shows what would be revoked first)</span>
          </PostForm>
        ) : (
          <p class="small muted">Choose a filter to revoke the sessions it matches.</p>
        )
      ) : null}
      {props.list.data.length === 0 ? (
        <p class="muted">No session matches.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Sessions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">Status</th>
                <th scope="col">Budgets</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {props.list.data.map((s) => (
                <tr data-session={s.id}>
                  <th scope="row">
                    <a href={`/dashboard/sessions/${s.id}`}>{s.label ?? s.id}</a>
                    <div class="small muted">
                      depth {s.depth} · <a href={`/dashboard/sessions/${s.id}/tree`}>tree</a>
                    </div>
                  </th>
                  <td>
                    <Status status={s.status} />
                  </td>
                  <td>
                    {s.counters.budgets.map((b) => (
                      <BudgetBar budget={b} table={props.table} />
                    ))}
                  </td>
                  <td>{s.last_used_at?.replace("T", " ").slice(0, 19) ?? "never"}</td>
                  <td>
                    <Countdown until={s.expires_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.nextHref ? (
        <nav class="pager" aria-label="Session pages">
          <a href={props.nextHref}>Next page</a>
        </nav>
      ) : null}
    </>
  );
}

/** The dry run's answer, and the form that revokes what it showed. */
export function RevokePreview(props: { filter: FilterForm; preview: BulkRevocation; table: DecimalsTable; csrf: string }) {
  const p = props.preview;
  return (
    <section class="card" aria-labelledby="preview-title">
      <h2 id="preview-title">
        {p.count} session{p.count === 1 ? "" : "s"} would be revoked
      </h2>
      <p class="small muted">Descendants included. Nothing has been revoked yet.</p>
      <ul class="plain preview-ids">
        {p.ids.slice(0, 50).map((id) => (
          <li>
            <a href={`/dashboard/sessions/${id}`}>
              <code>{id}</code>
            </a>
          </li>
        ))}
        {p.ids.length > 50 ? <li class="muted">… and {p.ids.length - 50} more</li> : null}
      </ul>
      {p.exposure ? (
        <>
          <h3>Exposure that would remain</h3>
          <ul class="plain">
            {p.exposure.assets.map((a) => (
              <li>
                {a.asset}: now {money(a.asset, a.now, props.table)}, until expiry {money(a.asset, a.until_expiry, props.table)}
              </li>
            ))}
            {p.exposure.assets.length === 0 ? <li class="muted">none</li> : null}
          </ul>
        </>
      ) : null}
      {p.count > 0 ? (
        <PostForm
          action="/dashboard/sessions/revoke"
          csrf={props.csrf}
          confirm={`Revoke ${p.count} sessions now? Their agents' next requests will be refused.`}
          label="Confirm the revocation"
        >
          {hidden(props.filter)}
          <input type="hidden" name="dry_run" value="false" />
          <button type="submit" class="danger">
            Revoke {p.count} session{p.count === 1 ? "" : "s"}
          </button>
        </PostForm>
      ) : null}{" "}
      <a href="/dashboard/sessions">Cancel</a>
    </section>
  );
}
