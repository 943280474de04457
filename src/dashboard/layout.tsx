/** The dashboard's page shell: header, navigation (with the pending-approvals badge), sign-out, the one script and stylesheet. */
import type { Child } from "hono/jsx";
import type { DashboardSessionView } from "../contract/principal";

export const NAV = [
  { href: "/dashboard", name: "Overview" },
  { href: "/dashboard/sessions", name: "Sessions" },
  { href: "/dashboard/approvals", name: "Approvals" },
  { href: "/dashboard/tripwires", name: "Trip-wires" },
  { href: "/dashboard/webhooks", name: "Webhooks" },
  { href: "/dashboard/anchors", name: "Anchors" },
] as const;

export function Document(props: { title: string; nonce: string; children?: Child; bodyClass?: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · Remit</title>
        <link rel="stylesheet" href="/static/dashboard.css" />
        <script type="module" src="/static/dashboard/main.js" nonce={props.nonce} />
      </head>
      <body class={props.bodyClass}>{props.children}</body>
    </html>
  );
}

export function Layout(props: { title: string; nonce: string; signIn: DashboardSessionView; current: string; pending: number; children?: Child }) {
  const { principal, key } = props.signIn;
  return (
    <Document title={props.title} nonce={props.nonce}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <a href="/dashboard">Remit</a>
          <span class="who">
            {principal.name} · key {key.prefix}… ({key.role.replace("_", " ")})
          </span>
          {principal.frozen ? (
            <span class="badge status-frozen" role="status">
              frozen
            </span>
          ) : null}
        </div>
        <nav aria-label="Dashboard">
          <ul>
            {NAV.map((n) => (
              <li>
                <a href={n.href} aria-current={props.current === n.href ? "page" : undefined}>
                  {n.name}
                  {n.href === "/dashboard/approvals" && props.pending > 0 ? (
                    <span class="count" data-pending-count="">
                      {props.pending}
                      <span class="sr-only"> pending</span>
                    </span>
                  ) : null}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <form method="post" action="/dashboard/sign-out" class="sign-out">
          <input type="hidden" name="csrf" value={props.signIn.csrf} />
          <button type="submit">Sign out</button>
        </form>
      </header>
      <main id="main" tabindex={-1}>
        <h1>{props.title}</h1>
        {props.children}
      </main>
      <footer class="small muted">
        <a href="/docs">API reference</a> · <a href="/openapi.json">OpenAPI</a> · <a href="/.well-known/jwks.json">JWKS</a>
      </footer>
    </Document>
  );
}

/** A page that says what went wrong, in words, and where to go. */
export function ErrorPage(props: { nonce: string; status: number; message: string }) {
  return (
    <Document title={`Error ${props.status}`} nonce={props.nonce}>
      <main id="main" class="narrow">
        <h1>{props.status === 403 ? "Refused" : props.status === 401 ? "Signed out" : "Something went wrong"}</h1>
        <p role="alert">{props.message}</p>
        <p>
          <a href="/dashboard">Back to the dashboard</a> · <a href="/dashboard/sign-in">Sign in</a>
        </p>
      </main>
    </Document>
  );
}
