/** `/`: what this service is, and the ways in — the dashboard, the API reference, the OpenAPI document and the keys. */
import { Document } from "../layout";

export function LandingPage(props: { nonce: string; origin: string }) {
  return (
    <Document title="Bounded authority for AI agents" nonce={props.nonce}>
      <main id="main" class="narrow">
        <h1>Remit</h1>
        <p>Bounded authority for AI agents: sessions bound in time, scope and money, delegation trees, and signed receipts anchored on a chain.</p>
        <ul class="links">
          <li>
            <a href="/dashboard">Dashboard</a> — sign in with an API key to see and steer your sessions, approvals and receipts.
          </li>
          <li>
            <a href="/docs">API reference</a> — every route, browsable.
          </li>
          <li>
            <a href="/openapi.json">OpenAPI document</a> — <code>{props.origin}/openapi.json</code>
          </li>
          <li>
            <a href="/.well-known/jwks.json">JWKS</a> — the keys that sign session tokens (receipts: <a href="/.well-known/receipt-keys.json">receipt keys</a>).
          </li>
        </ul>
      </main>
    </Document>
  );
}
