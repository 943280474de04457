/** Webhook endpoints and each one's delivery log (status, attempts, last answer), with redeliver. */
import type { DeliveryView, EndpointView } from "../../contract/wire-types";
import { PostForm, Status } from "../components";

/** An endpoint as it comes over RPC (its `events` tuple widened to an array). */
type Endpoint = Omit<EndpointView, "events"> & { events: readonly string[] };

export function WebhooksPage(props: { endpoints: { endpoint: Endpoint; deliveries: DeliveryView[]; has_more: boolean }[]; csrf: string; canRedeliver: boolean }) {
  if (props.endpoints.length === 0) return <p class="muted">No webhook endpoint. Add one with POST /v1/webhook-endpoints or `remit webhooks add`.</p>;
  return (
    <>
      {props.endpoints.map(({ endpoint: e, deliveries, has_more }) => (
        <section class="card" aria-labelledby={`ep-${e.id}`}>
          <h2 id={`ep-${e.id}`}>
            <code>{e.url}</code> {e.disabled ? <Status status="disabled" /> : <Status status="enabled" />}
          </h2>
          <p class="small muted">
            {e.description ?? "no description"} · events: {e.events.join(", ")}
          </p>
          {deliveries.length === 0 ? (
            <p class="muted">No delivery yet.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="sr-only">Deliveries to {e.url}, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Last answer</th>
                    <th scope="col">When</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {deliveries.map((d) => {
                    const lastAttempt = d.attempt_log.at(-1);
                    return (
                      <tr data-delivery={d.id}>
                        <th scope="row">
                          {d.event_type}
                          <div class="small muted">
                            <code>{d.id.slice(0, 12)}…</code>
                          </div>
                        </th>
                        <td>
                          <Status status={d.status} />
                        </td>
                        <td>{d.attempts}</td>
                        <td>{lastAttempt ? (lastAttempt.status_code ?? lastAttempt.error ?? "—") : "—"}</td>
                        <td>{d.created_at.replace("T", " ").slice(0, 19)}</td>
                        <td>
                          {props.canRedeliver ? (
                            <PostForm action={`/dashboard/webhook-deliveries/${d.id}/redeliver`} csrf={props.csrf} label={`Redeliver ${d.event_type}`}>
                              <button type="submit" class="small-button">
                                Redeliver
                              </button>
                            </PostForm>
                          ) : null}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {has_more ? <p class="small muted">Older deliveries: GET /v1/webhook-endpoints/{e.id}/deliveries.</p> : null}
        </section>
      ))}
    </>
  );
}
