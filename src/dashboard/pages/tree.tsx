/** A delegation tree as nested rows: per session its budgets (spent, held, remaining), calls and rate, expiry countdown, status and a revoke button. */
import type { SessionTreeView, SessionView } from "../../contract/wire-types";
import type { DecimalsTable } from "../../core/policy/money";
import { BudgetBar, callsAndRate, Countdown, PostForm, Status } from "../components";

export interface TreeProps {
  tree: SessionTreeView;
  table: DecimalsTable;
  csrf: string;
  canRevoke: boolean;
}

export function TreePage(props: TreeProps) {
  const all = [props.tree.session, ...props.tree.descendants];
  const children = new Map<string, SessionView[]>();
  for (const s of props.tree.descendants) {
    const list = children.get(s.parent ?? "") ?? [];
    list.push(s);
    children.set(s.parent ?? "", list);
  }
  const known = new Set(all.map((s) => s.id));
  // A descendant whose parent is on another page still gets drawn, at the top level.
  const orphans = props.tree.descendants.filter((s) => s.parent && !known.has(s.parent));
  return (
    <section aria-label="Delegation tree">
      <p class="muted">
        {all.length} session{all.length === 1 ? "" : "s"} shown, depth first. A session's spent and held include its descendants': every spend debits the whole chain.{" "}
        {props.tree.has_more && props.tree.next_cursor ? <a href={`?starting_after=${props.tree.next_cursor}`}>Next page</a> : null}
      </p>
      <ul class="tree">
        <Row session={props.tree.session} kids={children} {...props} />
        {orphans.map((s) => (
          <Row session={s} kids={children} {...props} />
        ))}
      </ul>
    </section>
  );
}

function Row(props: TreeProps & { session: SessionView; kids: Map<string, SessionView[]> }) {
  const s = props.session;
  const below = props.kids.get(s.id) ?? [];
  return (
    <li class="tree-row" data-session={s.id}>
      <div class="row-card">
        <div class="row-head">
          <a href={`/dashboard/sessions/${s.id}`} class="session-name">
            {s.label ?? s.id}
          </a>
          <Status status={s.status} />
          <span class="small muted">
            depth {s.depth} · expires <Countdown until={s.expires_at} />
          </span>
          {props.canRevoke && (s.status === "active" || s.status === "pending" || s.status === "frozen") ? (
            <PostForm
              action={`/dashboard/sessions/${s.id}/revoke`}
              csrf={props.csrf}
              confirm={`Revoke ${s.label ?? s.id} and every session below it? Their next request will be refused.`}
              label={`Revoke ${s.label ?? s.id}`}
            >
              <input type="hidden" name="back" value={`/dashboard/sessions/${props.tree.session.id}/tree`} />
              <button type="submit" class="danger small-button">
                Revoke
              </button>
            </PostForm>
          ) : null}
        </div>
        <div class="small">{callsAndRate(s)}</div>
        <div class="budgets">
          {s.counters.budgets.length === 0 ? <span class="muted small">no budget</span> : s.counters.budgets.map((b) => <BudgetBar budget={b} table={props.table} />)}
        </div>
      </div>
      {below.length > 0 ? (
        <ul class="tree">
          {below.map((c) => (
            <Row {...props} session={c} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}
