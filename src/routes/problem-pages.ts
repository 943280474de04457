/**
 * `/problems` and `/problems/<name>`: the page each problem's `type` URL points at,
 * rendered from `PROBLEM_DOCS` (src/core/problem-docs.ts). HTML for people, the same
 * content as JSON for `Accept: application/json` (or `application/problem+json`). The
 * pages load nothing and run no script, so they take the app's strict page policy
 * (src/middleware/security-headers.ts) unchanged.
 */
import type { Context } from "hono";
import { accepts } from "hono/accepts";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { PROBLEMS, problemType, type ProblemName } from "../core/errors";
import { problemPage, type ProblemPage } from "../core/problem-docs";
import { baseUrl } from "../http";
import type { AppEnv } from "../middleware/auth";

const NAMES = Object.keys(PROBLEMS) as ProblemName[];
const PUBLIC = { "cache-control": "public, max-age=300", vary: "Accept" };

function wantsJson(c: Context<AppEnv>): boolean {
  const type = accepts(c, { header: "Accept", supports: ["text/html", "application/json", "application/problem+json"], default: "text/html" });
  return type !== "text/html";
}

/** Text with `code` in backticks, as escaped HTML with <code> elements. */
function inline(text: string): HtmlEscapedString[] {
  return text.split("`").map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : html`${part}`) as HtmlEscapedString);
}

/** A constant, so it goes into the page unescaped (escaping would break `"Segoe UI"`). */
const STYLE = `
  body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
  h1 { font-size: 1.6rem; margin-bottom: .25rem; } h2 { font-size: 1.1rem; margin-top: 1.8rem; }
  .meta { color: #59636e; margin-top: 0; }
  code, pre { font: .9em/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa; border-radius: 4px; }
  code { padding: .1em .3em; } pre { padding: .8rem 1rem; overflow-x: auto; } pre code { padding: 0; background: none; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d1d9e0; vertical-align: top; }
  a { color: #0969da; }
  @media (prefers-color-scheme: dark) { body { background: #0d1117; color: #e6edf3; } .meta { color: #9198a1; } code, pre { background: #161b22; } a { color: #4493f8; } td, th { border-color: #3d444d; } }
`;

function layout(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Remit</title><style>${raw(STYLE)}</style></head>
<body>${body}</body>
</html>`;
}

function page(p: ProblemPage) {
  return layout(
    p.title,
    html`<p><a href="/problems">All problem types</a></p>
<h1>${p.title}</h1>
<p class="meta"><code>${p.name}</code> · HTTP ${p.status} · <code>${p.type}</code></p>
<section id="meaning"><h2>What it means</h2><p>${inline(p.meaning)}</p></section>
<section id="causes"><h2>Common causes</h2><ul>${p.causes.map((c) => html`<li>${inline(c)}</li>`)}</ul></section>
<section id="fix"><h2>How to fix it</h2><ol>${p.fix.map((f) => html`<li>${inline(f)}</li>`)}</ol></section>
<section id="example"><h2>Example</h2><p>Served as <code>application/problem+json</code>:</p><pre><code>${JSON.stringify(p.example, null, 2)}</code></pre></section>`,
  );
}

export function problemIndex(c: Context<AppEnv>): Response | Promise<Response> {
  const base = baseUrl(c);
  const rows = NAMES.map((name) => ({ name, type: problemType(base, name), title: PROBLEMS[name].title, status: PROBLEMS[name].status }));
  if (wantsJson(c)) return c.json({ data: rows }, 200, PUBLIC);
  return c.html(
    layout(
      "Problem types",
      html`<h1>Problem types</h1>
<p>Every refusal of the API is an RFC 9457 problem document (<code>application/problem+json</code>) whose <code>type</code> is one of these pages.</p>
<table><thead><tr><th>Type</th><th>Status</th><th>Title</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td><a href="/problems/${r.name}"><code>${r.name}</code></a></td><td>${r.status}</td><td>${r.title}</td></tr>`)}
</tbody></table>`,
    ),
    200,
    PUBLIC,
  );
}

export function problemDetail(c: Context<AppEnv>): Response | Promise<Response> {
  const name = c.req.param("name") ?? "";
  // Own properties only: `constructor` or `__proto__` are not problem types.
  if (!Object.hasOwn(PROBLEMS, name)) return c.notFound();
  const p = problemPage(name as ProblemName, problemType(baseUrl(c), name as ProblemName));
  if (wantsJson(c)) return c.json(p, 200, PUBLIC);
  return c.html(page(p), 200, PUBLIC);
}
