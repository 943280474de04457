/** Trip-wires: the principal's velocity rules, a form to add one, and a switch between shadow (watch) and enforce. */
import type { TripwireView } from "../../contract/wire-types";
import { TRIPWIRE_ACTIONS, TRIPWIRE_METRICS, TRIPWIRE_PERS } from "../../core/policy/tripwires";
import type { DecimalsTable } from "../../core/policy/money";
import { money, PostForm, Status } from "../components";

function describe(t: TripwireView, table: DecimalsTable): string {
  const what =
    t.metric === "amount" && t.asset
      ? `more than ${money(t.asset, t.threshold, table)} spent`
      : t.metric === "count"
        ? `more than ${t.threshold} actions`
        : `more than ${t.threshold} denials`;
  return `${what} per ${t.per} in ${t.window} s${t.scope ? ` under ${t.scope}` : ""} → ${t.action.replace(/_/g, " ")}`;
}

export function TripwiresPage(props: { tripwires: TripwireView[]; table: DecimalsTable; csrf: string; canEdit: boolean }) {
  return (
    <>
      <section aria-labelledby="rules-title">
        <h2 id="rules-title">Rules</h2>
        {props.tripwires.length === 0 ? <p class="muted">No trip-wire.</p> : null}
        <ul class="plain">
          {props.tripwires.map((t) => (
            <li class="card" data-tripwire={t.id}>
              <div class="row-head">
                <strong>{describe(t, props.table)}</strong> <Status status={t.mode} />
              </div>
              <div class="small muted">
                <code>{t.id}</code> · updated {t.updated_at.replace("T", " ").slice(0, 19)}
              </div>
              {props.canEdit ? (
                <div class="row-head">
                  <PostForm
                    action={`/dashboard/tripwires/${t.id}/mode`}
                    csrf={props.csrf}
                    label={`Switch ${t.id} to ${t.mode === "enforce" ? "shadow" : "enforce"}`}
                    {...(t.mode === "shadow" ? { confirm: `Enforce this rule? Decisions that trip it will be refused (${t.action.replace(/_/g, " ")}).` } : {})}
                  >
                    <input type="hidden" name="mode" value={t.mode === "enforce" ? "shadow" : "enforce"} />
                    <button type="submit" class="small-button">
                      {t.mode === "enforce" ? "Switch to shadow" : "Enforce"}
                    </button>
                  </PostForm>
                  <PostForm
                    action={`/dashboard/tripwires/${t.id}/reset`}
                    csrf={props.csrf}
                    label={`Reset ${t.id}`}
                    confirm="Reset this rule? Its freezes end and its counts start afresh."
                  >
                    <button type="submit" class="small-button">
                      Reset
                    </button>
                  </PostForm>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      </section>
      {props.canEdit ? (
        <section class="card" aria-labelledby="new-title">
          <h2 id="new-title">Add a trip-wire</h2>
          <PostForm action="/dashboard/tripwires" csrf={props.csrf} class="filters" label="Add a trip-wire">
            <label>
              Metric
              <select name="metric">
                {TRIPWIRE_METRICS.map((m) => (
                  <option value={m}>{m}</option>
                ))}
              </select>
            </label>
            <label>
              Asset (for amount)
              <input name="asset" placeholder="USD" />
            </label>
            <label>
              Threshold (major units for amount, e.g. 50.00)
              <input name="threshold" required />
            </label>
            <label>
              Window (seconds)
              <input name="window" type="number" min="10" max="2678400" value="3600" required />
            </label>
            <label>
              Scope (optional)
              <input name="scope" placeholder="http:POST:api.example.com/*" />
            </label>
            <label>
              Per
              <select name="per">
                {TRIPWIRE_PERS.map((m) => (
                  <option value={m}>{m}</option>
                ))}
              </select>
            </label>
            <label>
              Action
              <select name="action">
                {TRIPWIRE_ACTIONS.map((m) => (
                  <option value={m}>{m.replace(/_/g, " ")}</option>
                ))}
              </select>
            </label>
            <label>
              Mode
              <select name="mode">
                <option value="shadow">shadow (watch only)</option>
                <option value="enforce">enforce</option>
              </select>
            </label>
            <button type="submit" class="primary">
              Add
            </button>
          </PostForm>
        </section>
      ) : null}
    </>
  );
}
