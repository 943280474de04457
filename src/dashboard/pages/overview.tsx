/**
 * The overview: pending approvals (with their count), and the freeze switch, whose confirmation
 * names what it stops. Exposure per asset, live sessions and the trip-wires of the last day come
 * from the governance routes (GET /v1/exposure, GET /v1/sessions, /v1/tripwires).
 */
import type { ApprovalView, PrincipalView } from "../../contract/wire-types";
import type { DecimalsTable } from "../../core/policy/money";
import { Countdown, money, PostForm } from "../components";

export interface OverviewProps {
  principal: PrincipalView;
  pending: ApprovalView[];
  table: DecimalsTable;
  csrf: string;
  canFreeze: boolean;
}

export function OverviewPage(props: OverviewProps) {
  return (
    <div class="grid">
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
      <FreezeSwitch {...props} />
    </div>
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
