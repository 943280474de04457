/**
 * The overview: exposure per asset (now, next day, until expiry) as figures and bars, the live
 * sessions, pending approvals (with their count), the trip-wires tripped in the last day, and
 * the freeze switch, whose confirmation names what it stops.
 */
import type { ApprovalView, ExposureView, ListedSession, PrincipalView, SignedReceiptView } from "../../contract/wire-types";
import type { DecimalsTable } from "../../core/policy/money";
import { Countdown, ExposureBar, money, PostForm, Status } from "../components";

export interface OverviewProps {
  principal: PrincipalView;
  exposure: ExposureView;
  live: { data: ListedSession[]; has_more: boolean };
  /** Denial receipts of the last day with reason `tripwire`. */
  tripped: SignedReceiptView[];
  pending: ApprovalView[];
  table: DecimalsTable;
  csrf: string;
  canFreeze: boolean;
}

export function OverviewPage(props: OverviewProps) {
  return (
    <div class="grid">
      <Exposure {...props} />
      <section class="card" aria-labelledby="live-title">
        <h2 id="live-title">
          Live sessions <span class="muted small">({props.live.has_more ? `${props.live.data.length}+` : props.live.data.length})</span>
        </h2>
        {props.live.data.length === 0 ? (
          <p class="muted">No live session.</p>
        ) : (
          <ul class="plain">
            {props.live.data.map((s) => (
              <li>
                <a href={`/dashboard/sessions/${s.id}`}>{s.label ?? s.id}</a> <Status status={s.status} />{" "}
                <span class="small muted">
                  expires <Countdown until={s.expires_at} />
                </span>
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href="/dashboard/sessions?status=active">All live sessions</a>
        </p>
      </section>
      <section class="card" aria-labelledby="pending-title">
        <h2 id="pending-title">
          Pending approvals <span class="count">{props.pending.length}</span>
        </h2>
        {props.pending.length === 0 ? (
          <p class="muted">Nothing is waiting for a decision.</p>
        ) : (
          <ul class="plain">
            {props.pending.slice(0, 5).map((a) => (
              <li>
                {a.asset && a.amount ? money(a.asset, a.amount, props.table) : "no amount"} for <code class="scope">{a.scope}</code> — expires{" "}
                <Countdown until={a.expires_at} />
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href="/dashboard/approvals">Open the queue</a>
        </p>
      </section>
      <section class="card" aria-labelledby="tripped-title">
        <h2 id="tripped-title">Trip-wires tripped in the last day</h2>
        {props.tripped.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <ul class="plain">
            {props.tripped.map(({ receipt: r }) => (
              <li>
                <code>{r.tripwire}</code> refused <code class="scope">{r.scope ?? "—"}</code> of{" "}
                <a href={`/dashboard/sessions/${r.session}`}>{r.session.slice(0, 12)}…</a> <span class="small muted">{r.at.replace("T", " ").slice(0, 19)}</span>
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href="/dashboard/tripwires">Trip-wires</a>
        </p>
      </section>
      <FreezeSwitch {...props} />
    </div>
  );
}

function Exposure(props: OverviewProps) {
  const assets = props.exposure.assets;
  return (
    <section class="card wide" aria-labelledby="exposure-title">
      <h2 id="exposure-title">Exposure</h2>
      <p class="small muted">
        The most the live sessions together could spend: {props.exposure.trees.live} live of {props.exposure.trees.total} trees.
      </p>
      {assets.length === 0 ? <p class="muted">No live session has a budget.</p> : null}
      {assets.map((a) => {
        const max = [a.now, a.next_day, a.until_expiry].map((v) => BigInt(v)).reduce((m, v) => (v > m ? v : m), 0n);
        const rows = [
          ["now", a.now],
          ["next day", a.next_day],
          ["until expiry", a.until_expiry],
        ] as const;
        return (
          <div class="exposure" data-asset={a.asset}>
            <h3>
              {a.asset}
              {a.unbounded ? <span class="badge status-failed"> unbounded in {a.unbounded_trees.length} tree(s)</span> : null}
            </h3>
            <dl class="facts">
              {rows.map(([name, v]) => (
                <>
                  <dt>{name}</dt>
                  <dd>
                    {money(a.asset, v, props.table)}
                    <ExposureBar label={`${a.asset} ${name}: ${money(a.asset, v, props.table)}`} value={BigInt(v)} max={max} />
                  </dd>
                </>
              ))}
              <dt>held</dt>
              <dd>{money(a.asset, a.held, props.table)}</dd>
            </dl>
          </div>
        );
      })}
    </section>
  );
}

function FreezeSwitch(props: OverviewProps) {
  const frozen = props.principal.frozen;
  return (
    <section class={`card ${frozen ? "frozen" : ""}`} aria-labelledby="freeze-title">
      <h2 id="freeze-title">Freeze switch</h2>
      <p>
        {frozen
          ? "Frozen: every session of this principal is refused, and no new session can be granted."
          : "Stops every session of this principal at once: every agent's next request is refused, holds cannot be captured, and no session can be granted until you unfreeze."}
      </p>
      {props.canFreeze ? (
        frozen ? (
          <PostForm action="/dashboard/unfreeze" csrf={props.csrf} confirm="Unfreeze? Sessions that are still live may act again." label="Unfreeze">
            <button type="submit">Unfreeze</button>
          </PostForm>
        ) : (
          <PostForm
            action="/dashboard/freeze"
            csrf={props.csrf}
            confirm={`Freeze ${props.principal.name}? This stops every session and every agent under it: their next request is refused until you unfreeze.`}
            label="Freeze everything"
          >
            <button type="submit" class="danger">
              Freeze everything
            </button>
          </PostForm>
        )
      ) : (
        <p class="muted small">This key's role cannot use the switch.</p>
      )}
    </section>
  );
}
