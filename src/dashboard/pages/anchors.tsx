/** Anchored periods, newest first: receipts covered, gas, transaction, block. */
import type { AnchorView } from "../../contract/wire-types";
import { Status } from "../components";

export function AnchorsPage(props: { anchors: AnchorView[]; has_more: boolean; before?: number }) {
  const last = props.anchors.at(-1)?.period;
  if (props.anchors.length === 0) return <p class="muted">No period anchored yet.</p>;
  return (
    <>
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Anchored periods, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Period</th>
              <th scope="col">Status</th>
              <th scope="col">Receipts</th>
              <th scope="col">Gas</th>
              <th scope="col">Transaction</th>
              <th scope="col">Block</th>
              <th scope="col">Anchored</th>
            </tr>
          </thead>
          <tbody>
            {props.anchors.map((a) => (
              <tr data-period={String(a.period)}>
                <th scope="row">{a.period}</th>
                <td>
                  <Status status={a.status} />
                </td>
                <td>{a.count}</td>
                <td>{a.gas_used ?? "—"}</td>
                <td>{a.tx ? <code title={a.tx}>{a.tx.slice(0, 18)}…</code> : "—"}</td>
                <td>{a.block ?? "—"}</td>
                <td>{a.anchored_at?.replace("T", " ").slice(0, 19) ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Anchor pages">
        {props.before ? <a href="/dashboard/anchors">Newest</a> : null}
        {props.has_more && last ? <a href={`/dashboard/anchors?before=${last}`}>Older</a> : null}
      </nav>
    </>
  );
}
