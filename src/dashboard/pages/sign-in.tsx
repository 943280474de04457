/** The sign-in form: an API key in, a cookie out (src/dashboard/session.ts). */
import { Document } from "../layout";

export function SignInPage(props: { nonce: string; token: string; next: string; error?: string }) {
  return (
    <Document title="Sign in" nonce={props.nonce}>
      <main id="main" class="narrow">
        <h1>Sign in to the dashboard</h1>
        <p>Use one of your principal's API keys. Its role limits what you can do here: an approver decides approvals, a read-only key only looks.</p>
        {props.error ? (
          <p class="error" role="alert" id="sign-in-error">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/dashboard/sign-in" class="stack">
          <input type="hidden" name="token" value={props.token} />
          <input type="hidden" name="next" value={props.next} />
          <label for="api_key">API key</label>
          <input
            id="api_key"
            name="api_key"
            type="password"
            autocomplete="off"
            required
            spellcheck={false}
            placeholder="rmt_…"
            aria-describedby={props.error ? "sign-in-error" : undefined}
          />
          <button type="submit">Sign in</button>
        </form>
        <p class="small muted">The sign-in lasts 12 hours, until you sign out, or until the key is deleted.</p>
      </main>
    </Document>
  );
}
