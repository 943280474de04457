/**
 * The dashboard (`/dashboard`) and the landing page (`/`): server-rendered Hono JSX pages, one
 * per file in ./pages. Each handler reads through the same object RPCs the JSON routes use
 * (the principal's object, the settlement singleton) with the sign-in's key proof, and writes
 * nothing itself: the objects decide, and enforce the key's role. Every page answers with a
 * strict policy: scripts only from this origin (with the page's nonce), no inline script or
 * style, no framing, forms only to this origin.
 */
import { Hono, type Context } from "hono";
import type { Child } from "hono/jsx";
import { settlementStub } from "../contract/stubs";
import type { PrincipalResult } from "../contract/principal";
import type { ReceiptProofView, SessionView, SignedReceiptView } from "../contract/wire-types";
import { DASHBOARD_SESSION_MS, formToken, newDashboardCookie, signDashboardCookie, signInHash } from "../core/auth/dashboard-cookie";
import { apiKeyChecksumKey, hashSecret, hasValidChecksum, parseApiKey } from "../core/auth/api-keys";
import { allows } from "../core/auth/roles";
import { b64urlEncode } from "../core/encoding";
import { PROBLEMS } from "../core/errors";
import { parseAssetDecimals, parseMoney, type DecimalsTable } from "../core/policy/money";
import { parseDuration } from "../core/policy/exposure";
import { parseScope } from "../core/policy/scopes";
import {
  MAX_WINDOW_SECONDS,
  MIN_WINDOW_SECONDS,
  TRIPWIRE_ACTIONS,
  TRIPWIRE_METRICS,
  TRIPWIRE_MODES,
  TRIPWIRE_PERS,
  type TripwireFields,
  tripwireErrors,
} from "../core/policy/tripwires";
import { decodeCursor, type SessionFilter } from "../contract/governance";
import { apiKeyChecksumMaterial, principalOf } from "../middleware/auth";
import { proveReceipt } from "../settlement/receipt-proof";
import type { SpendPoint } from "./components";
import { ErrorPage, Layout } from "./layout";
import { AnchorsPage } from "./pages/anchors";
import { ApprovalQueue, ApprovalsPage, type QueueItem } from "./pages/approvals";
import { LandingPage } from "./pages/landing";
import { OverviewPage } from "./pages/overview";
import { SessionPage } from "./pages/session";
import { type FilterForm, RevokePreview, SessionsPage, STATUSES } from "./pages/sessions";
import { TripwiresPage } from "./pages/tripwires";
import { SignInPage } from "./pages/sign-in";
import { TreePage } from "./pages/tree";
import { WebhooksPage } from "./pages/webhooks";
import { clearSessionCookie, type DashEnv, type SignIn, sameOrigin, setSessionCookie, setSignInFormCookie, signedIn, signInFormToken, tokensEqual } from "./session";

export const dashboard = new Hono<DashEnv>();

/** The HTML pages (and their form posts) this file serves: outside the OpenAPI document, covered by test/integration/dashboard.test.ts and test/e2e/dashboard.test.ts. */
export function isDashboardPath(path: string): boolean {
  return path === "/" || path === "/dashboard" || path.startsWith("/dashboard/");
}

/** A refusal of an object, shown as a page with its status and words. */
class PageError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500,
    message: string,
  ) {
    super(message);
  }
}

/** The value of an object's answer, or a PageError carrying its problem's status and detail. */
function value<T>(result: PrincipalResult<T>): T {
  if (result.outcome.ok) return result.outcome.value;
  const p = result.outcome.problem;
  const known = PROBLEMS[p.name].status;
  const status = ([400, 401, 403, 404, 409, 422, 429].includes(known) ? known : 500) as PageError["status"];
  throw new PageError(status, p.detail);
}

const ID = { ses: /^ses_[0-9a-z]{26}$/, apr: /^apr_[0-9a-z]{26}$/, rcp: /^rcp_[0-9a-z]{26}$/, dlv: /^dlv_[0-9a-z]{26}$/, trw: /^trw_[0-9a-z]{26}$/ } as const;

function idParam(c: Context<DashEnv>, kind: keyof typeof ID): string {
  const id = c.req.param("id") ?? "";
  if (!ID[kind].test(id)) throw new PageError(404, `no such ${kind}_ id: ${id.slice(0, 40)}`);
  return id;
}

function decimals(c: Context<DashEnv>): DecimalsTable {
  return parseAssetDecimals(c.env.ASSET_DECIMALS);
}

/**
 * The page's policy. `connect` adds origins the page's script may call (the chain's RPC for
 * verification); https: is allowed for an RPC URL the person types in.
 */
function pagePolicy(nonce: string, connect: string[] = []): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    ["connect-src 'self'", ...connect].join(" "),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join("; ");
}

const nonceOf = (c: Context<DashEnv>) => {
  let n = c.get("nonce");
  if (!n) {
    n = b64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
    c.set("nonce", n);
  }
  return n;
};

function html(c: Context<DashEnv>, body: Child, status: 200 | 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500 = 200, connect: string[] = []): Response {
  const res = c.html(`<!doctype html>${String(body)}`, status);
  res.headers.set("Content-Security-Policy", pagePolicy(nonceOf(c), connect));
  // Nothing leaves for another site; this origin's own form posts keep a real Origin (no-referrer would make it "null").
  res.headers.set("Referrer-Policy", "same-origin");
  res.headers.set("Cache-Control", "no-store");
  return res;
}

function refusePage(c: Context<DashEnv>, status: 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500, message: string): Response {
  return html(c, <ErrorPage nonce={nonceOf(c)} status={status} message={message} />, status);
}

dashboard.onError((err, c) => {
  if (err instanceof PageError) return refusePage(c, err.status, err.message);
  console.error("dashboard", err);
  return refusePage(c, 500, "Something failed on our side; it was logged.");
});

/** A page of the signed-in dashboard: the layout (with the pending-approvals count) around `body`. */
/** `pending`: the handler already read the pending queue (the same query), so the badge need not ask again. */
async function page(c: Context<DashEnv>, title: string, current: string, body: Child, connect: string[] = [], known?: { pending: number }): Promise<Response> {
  const signIn = c.var.signIn;
  const pending = known?.pending ?? (await pendingCount(c, signIn));
  return html(
    c,
    <Layout title={title} nonce={nonceOf(c)} signIn={signIn.view} current={current} pending={pending}>
      {body}
    </Layout>,
    200,
    connect,
  );
}

async function pendingCount(c: Context<DashEnv>, signIn: SignIn): Promise<number> {
  const answer = await principalOf(c.env, signIn.cookie.principal).listApprovals(signIn.proof("read"), { status: "pending", limit: 100 });
  return answer.outcome.ok ? answer.outcome.value.data.length : 0;
}

/** Back to `back` (a dashboard path) after a form, with a short notice. */
function backTo(c: Context<DashEnv>, back: unknown, fallback: string, notice: string): Response {
  const path = safeNext(typeof back === "string" ? back : undefined, fallback);
  return c.redirect(`${path}?notice=${encodeURIComponent(notice)}`, 303);
}

const NOTICES: Record<string, string> = {
  revoked: "Revoked.",
  approved: "Approved.",
  denied: "Denied.",
  frozen: "Frozen: every session of this principal is stopped.",
  unfrozen: "Unfrozen.",
  redelivered: "Queued for redelivery.",
  "tripwire-added": "Trip-wire added to every tree.",
  "tripwire-enforced": "The trip-wire now refuses what trips it.",
  "tripwire-shadow": "The trip-wire now only watches (shadow).",
  "tripwire-reset": "The trip-wire was reset: its freezes ended, its counts start afresh.",
};

/** A fixed notice named in the query (never the query's own words). */
function Notice(props: { c: Context<DashEnv> }) {
  const text = NOTICES[props.c.req.query("notice") ?? ""];
  return text ? (
    <p class="notice" role="status">
      {text}
    </p>
  ) : null;
}

const formText = async (c: Context<DashEnv>, name: string): Promise<string | undefined> => {
  const form = await c.req.parseBody();
  const v = form[name];
  return typeof v === "string" ? v : undefined;
};

// ------------------------------------------------------------------ public: landing, sign-in

dashboard.get("/", (c) => html(c, <LandingPage nonce={nonceOf(c)} origin={new URL(c.req.url).origin} />));

/** `next` if it is a dashboard path (never another site, never a query), else `fallback`. */
function safeNext(next: string | undefined, fallback = "/dashboard"): string {
  return next && /^\/dashboard(\/[A-Za-z0-9_/-]*)?$/.test(next) ? next : fallback;
}

function signInForm(c: Context<DashEnv>, status: 200 | 400 | 401 | 403, error?: string, next?: string): Response {
  const token = formToken();
  setSignInFormCookie(c, token);
  return html(c, <SignInPage nonce={nonceOf(c)} token={token} next={safeNext(next ?? c.req.query("next"))} {...(error ? { error } : {})} />, status);
}

dashboard.get("/dashboard/sign-in", (c) => signInForm(c, 200));

dashboard.post("/dashboard/sign-in", async (c) => {
  if (!sameOrigin(c)) return refusePage(c, 403, "This sign-in was not sent from this dashboard (its Origin is another site's).");
  const form = await c.req.parseBody();
  const next = typeof form.next === "string" ? form.next : undefined;
  if (!tokensEqual(typeof form.token === "string" ? form.token : undefined, signInFormToken(c)))
    return signInForm(c, 403, "The sign-in form had expired. Please try again.", next);
  const material = apiKeyChecksumMaterial(c.env);
  const parsed = typeof form.api_key === "string" ? parseApiKey(form.api_key.trim()) : null;
  if (!material || !parsed || !(await hasValidChecksum(await apiKeyChecksumKey(material), parsed)))
    return signInForm(c, 401, "That is not a valid API key (rmt_…).", next);
  const cookie = newDashboardCookie(parsed.principal, parsed.keyId);
  const opened = await principalOf(c.env, parsed.principal).openDashboardSession(
    { keyId: parsed.keyId, secretHash: await hashSecret(parsed.secret) },
    { idHash: await signInHash(cookie), csrf: formToken(), expiresAt: Date.now() + DASHBOARD_SESSION_MS },
  );
  if (!opened.outcome.ok) return signInForm(c, 401, "That API key is not valid (or has been deleted).", next);
  setSessionCookie(c, await signDashboardCookie(material, cookie));
  return c.redirect(safeNext(next), 303);
});

// ------------------------------------------------------------------ signed in

// Hono's "/dashboard/*" matches "/dashboard" itself too: one guard for every signed-in page.
const guard = signedIn(refusePage);
dashboard.use("/dashboard/*", async (c, next) => {
  if (new URL(c.req.url).pathname === "/dashboard/sign-in") return next();
  return guard(c, next);
});

dashboard.post("/dashboard/sign-out", async (c) => {
  value(await principalOf(c.env, c.var.signIn.cookie.principal).closeDashboardSession(c.var.signIn.proof("read")));
  clearSessionCookie(c);
  return c.redirect("/dashboard/sign-in", 303);
});

const principal = (c: Context<DashEnv>) => principalOf(c.env, c.var.signIn.cookie.principal);
const can = (c: Context<DashEnv>, need: "read" | "decide" | "admin") => allows(c.var.signIn.view.key.role, need);

const DAY_MS = 24 * 60 * 60 * 1000;

dashboard.get("/dashboard", async (c) => {
  const signIn = c.var.signIn;
  const proof = signIn.proof("read");
  const [pending, exposure, live, denials] = await Promise.all([
    principal(c).listApprovals(proof, { status: "pending", limit: 100 }).then(value),
    principal(c).exposure(proof).then(value),
    principal(c).listAllSessions(proof, { status: "active" }, { limit: 10 }).then(value),
    principal(c)
      .listAllReceipts(proof, { kind: "denial", createdAfter: Date.now() - DAY_MS }, { limit: 100 })
      .then(value),
  ]);
  return page(
    c,
    "Overview",
    "/dashboard",
    <>
      <Notice c={c} />
      <OverviewPage
        principal={signIn.view.principal}
        exposure={exposure}
        live={live}
        tripped={denials.data.filter((r) => r.receipt.reason === "tripwire")}
        pending={pending.data}
        table={decimals(c)}
        csrf={signIn.view.csrf}
        canFreeze={can(c, "admin")}
      />
    </>,
    [],
    { pending: pending.data.length },
  );
});

dashboard.post("/dashboard/freeze", async (c) => {
  value(await principal(c).setFrozen(c.var.signIn.proof("admin"), null, true));
  return backTo(c, "/dashboard", "/dashboard", "frozen");
});

dashboard.post("/dashboard/unfreeze", async (c) => {
  value(await principal(c).setFrozen(c.var.signIn.proof("admin"), null, false));
  return backTo(c, "/dashboard", "/dashboard", "unfrozen");
});

// ------------------------------------------------------------------ sessions, trees, receipts

/** The listing's filters from a query string or a form; a bad one is a 400 page naming it. */
function filterOf(fields: Record<string, unknown>): { form: FilterForm; filter: SessionFilter } {
  const text = (k: string) => (typeof fields[k] === "string" && (fields[k] as string).trim() ? (fields[k] as string).trim() : undefined);
  const form: FilterForm = {};
  const filter: SessionFilter = {};
  const status = text("status");
  if (status) {
    if (!(STATUSES as readonly string[]).includes(status)) throw new PageError(400, `status: must be one of ${STATUSES.join(", ")}`);
    form.status = status;
    filter.status = status as SessionFilter["status"];
  }
  const idle = text("idle_for");
  if (idle) {
    const ms = parseDuration(idle);
    if (ms === null) throw new PageError(400, "idle for: must be an ISO 8601 duration such as PT1H or P7D");
    form.idle_for = idle;
    filter.idleForMs = ms;
  }
  const label = text("label");
  if (label) {
    if (label.length > 200) throw new PageError(400, "label: at most 200 characters");
    form.label = label;
    filter.label = label;
  }
  const agent = text("agent");
  if (agent) {
    if (!/^[A-Za-z0-9_-]{43}$/.test(agent)) throw new PageError(400, "agent: must be an RFC 7638 thumbprint (43 base64url characters)");
    form.agent = agent;
    filter.agent = agent;
  }
  return { form, filter };
}

dashboard.get("/dashboard/sessions", async (c) => {
  const { form, filter } = filterOf(c.req.query());
  const cursorText = c.req.query("cursor");
  const before = cursorText ? decodeCursor(cursorText) : null;
  const list = value(await principal(c).listAllSessions(c.var.signIn.proof("read"), filter, { limit: 50, ...(before ? { before } : {}) }));
  const nextHref = list.has_more && list.next_cursor ? `/dashboard/sessions?${new URLSearchParams({ ...form, cursor: list.next_cursor }).toString()}` : null;
  return page(
    c,
    "Sessions",
    "/dashboard/sessions",
    <>
      <Notice c={c} />
      <SessionsPage filter={form} list={list} table={decimals(c)} csrf={c.var.signIn.view.csrf} canRevoke={can(c, "admin")} nextHref={nextHref} />
    </>,
  );
});

/** Bulk revocation: `dry_run=true` shows the preview (and the confirming form); `dry_run=false` revokes. */
dashboard.post("/dashboard/sessions/revoke", async (c) => {
  const fields = await c.req.parseBody();
  const { form, filter } = filterOf(fields);
  if (Object.keys(filter).length === 0)
    throw new PageError(400, "Choose at least one filter: an empty filter would revoke every session (use the freeze switch to stop everything).");
  const dryRun = fields.dry_run !== "false";
  const result = value(await principal(c).revokeSessions(c.var.signIn.proof("admin"), null, filter, dryRun));
  if (!dryRun) return backTo(c, "/dashboard/sessions", "/dashboard/sessions", "revoked");
  return page(c, "Revoke these sessions?", "/dashboard/sessions", <RevokePreview filter={form} preview={result} table={decimals(c)} csrf={c.var.signIn.view.csrf} />);
});

dashboard.get("/dashboard/sessions/:id/tree", async (c) => {
  const id = idParam(c, "ses");
  const after = c.req.query("starting_after");
  const tree = value(await principal(c).getTree(c.var.signIn.proof("read"), id, { limit: 100, ...(after && ID.ses.test(after) ? { startingAfter: after } : {}) }));
  return page(
    c,
    `Tree of ${tree.session.label ?? tree.session.id}`,
    "/dashboard/sessions",
    <>
      <Notice c={c} />
      <TreePage tree={tree} table={decimals(c)} csrf={c.var.signIn.view.csrf} canRevoke={can(c, "admin")} />
    </>,
  );
});

dashboard.get("/dashboard/sessions/:id", async (c) => {
  const id = idParam(c, "ses");
  const proof = c.var.signIn.proof("read");
  const after = c.req.query("starting_after");
  const startingAfter = after && ID.rcp.test(after) ? after : undefined;
  const [session, receipts, tree] = await Promise.all([
    principal(c).getSession(proof, id).then(value),
    principal(c)
      .listReceipts(proof, id, { limit: 20, ...(startingAfter ? { startingAfter } : {}) })
      .then(value),
    principal(c).getTree(proof, id, { limit: CHART_SESSIONS }).then(value),
  ]);
  const withStages = await Promise.all(receipts.data.map(async (signed) => ({ signed, proof: await stageOf(c, signed) })));
  const charts = await spendCharts(c, session, tree.descendants, tree.has_more);
  const rpcUrl = browserRpcUrl(c.env.ANCHOR_RPC_URL);
  return page(
    c,
    `Session ${session.label ?? session.id}`,
    "/dashboard/sessions",
    <>
      <Notice c={c} />
      <SessionPage
        session={session}
        receipts={{ data: withStages, has_more: receipts.has_more }}
        charts={charts}
        table={decimals(c)}
        csrf={c.var.signIn.view.csrf}
        canRevoke={can(c, "admin")}
        rpcUrl={rpcUrl ?? ""}
        {...(startingAfter ? { startingAfter } : {})}
      />
    </>,
    ["https:", ...(rpcUrl ? [new URL(rpcUrl).origin] : [])],
  );
});

/** The chain RPC the browser may be told of: only a plain URL (no credentials, no query, no path beyond "/"), so an operator's keyed endpoint stays private. */
export function browserRpcUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (u.username || u.password || u.search || (u.pathname !== "/" && u.pathname !== "")) return null;
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return u.origin;
  } catch {
    return null;
  }
}

async function stageOf(c: Context<DashEnv>, signed: SignedReceiptView): Promise<ReceiptProofView | null> {
  const located = await principal(c).receiptInOutbox(c.var.signIn.proof("read"), signed.receipt.id);
  return located.outcome.ok ? proveReceipt(c.env, located.outcome.value) : null;
}

/** Sessions and receipts read to draw a session's spend charts (one page of each). */
const CHART_SESSIONS = 25;
const CHART_RECEIPTS = 100;

/**
 * Per budget of `session`, the committed receipts of its current window in the subtree: a
 * receipt counts where its `charged_to` names this session's window (periodic budgets), or
 * by asset over the session's life (lifetime budgets).
 */
async function spendCharts(c: Context<DashEnv>, session: SessionView, descendants: SessionView[], treeHasMore: boolean) {
  const proof = c.var.signIn.proof("read");
  const pages = await Promise.all([session, ...descendants].map((s) => principal(c).listReceipts(proof, s.id, { limit: CHART_RECEIPTS })));
  const receipts = pages.flatMap((p) => (p.outcome.ok ? p.outcome.value.data : []));
  const partial = treeHasMore || pages.some((p) => p.outcome.ok && p.outcome.value.has_more);
  const now = Date.now();
  return session.counters.budgets.map((b) => {
    const from = b.window_start ? Date.parse(b.window_start) : Date.parse(session.created_at);
    const to = b.resets_at ? Math.min(now, Date.parse(b.resets_at)) : now;
    const points: SpendPoint[] = [];
    for (const { receipt: r } of receipts) {
      if ((r.kind !== "authorize" && r.kind !== "capture") || r.asset !== b.asset || !r.amount) continue;
      const counts = b.period
        ? (r.charged_to ?? []).some((w) => w.session === session.id && w.asset === b.asset && w.period === b.period && w.window_start === b.window_start)
        : Date.parse(r.at) >= from;
      if (counts) points.push({ at: Date.parse(r.at), amount: BigInt(r.amount) });
    }
    return { points, from, to: Math.max(to, from + 1000), partial };
  });
}

dashboard.post("/dashboard/sessions/:id/revoke", async (c) => {
  const id = idParam(c, "ses");
  value(await principal(c).revokeSession(c.var.signIn.proof("admin"), null, id));
  return backTo(c, await formText(c, "back"), `/dashboard/sessions/${id}`, "revoked");
});

/** The receipt, its proof and where the keys are, for the in-browser verification. */
dashboard.get("/dashboard/receipts/:id/proof", async (c) => {
  const id = idParam(c, "rcp");
  const located = value(await principal(c).receiptInOutbox(c.var.signIn.proof("read"), id));
  return c.json(await proveReceipt(c.env, located), 200, { "Cache-Control": "no-store" });
});

// ------------------------------------------------------------------ approvals

async function approvalQueue(c: Context<DashEnv>): Promise<QueueItem[]> {
  const proof = c.var.signIn.proof("read");
  const pending = value(await principal(c).listApprovals(proof, { status: "pending", limit: 100 }));
  return Promise.all(
    pending.data.map(async (approval) => {
      const s = await principal(c).getSession(proof, approval.session);
      return { approval, session: s.outcome.ok ? s.outcome.value : null };
    }),
  );
}

dashboard.get("/dashboard/approvals", async (c) => {
  const [queue, recent] = await Promise.all([approvalQueue(c), principal(c).listApprovals(c.var.signIn.proof("read"), { limit: 20 }).then(value)]);
  return page(
    c,
    "Approvals",
    "/dashboard/approvals",
    <>
      <Notice c={c} />
      <ApprovalsPage
        queue={queue}
        recent={recent.data.filter((a) => a.status !== "pending").slice(0, 10)}
        table={decimals(c)}
        csrf={c.var.signIn.view.csrf}
        canDecide={can(c, "decide")}
      />
    </>,
    [],
    { pending: queue.length },
  );
});

/** The queue alone, for the page's script to merge in (new requests appear without a reload). */
dashboard.get("/dashboard/approvals/live", async (c) => {
  const queue = await approvalQueue(c);
  const res = c.html(String(<ApprovalQueue queue={queue} table={decimals(c)} csrf={c.var.signIn.view.csrf} canDecide={can(c, "decide")} />));
  res.headers.set("Content-Security-Policy", pagePolicy(nonceOf(c)));
  res.headers.set("Cache-Control", "no-store");
  return res;
});

for (const verdict of ["approve", "deny"] as const) {
  dashboard.post(`/dashboard/approvals/:id/${verdict}`, async (c) => {
    const id = idParam(c, "apr");
    const text = ((await formText(c, "text")) ?? "").trim().slice(0, 1000);
    value(await principal(c).decideApproval(c.var.signIn.proof("decide"), null, id, { verdict, text: text || null }));
    return backTo(c, "/dashboard/approvals", "/dashboard/approvals", verdict === "approve" ? "approved" : "denied");
  });
}

// ------------------------------------------------------------------ trip-wires

dashboard.get("/dashboard/tripwires", async (c) => {
  const list = value(await principal(c).listTripwires(c.var.signIn.proof("read")));
  return page(
    c,
    "Trip-wires",
    "/dashboard/tripwires",
    <>
      <Notice c={c} />
      <TripwiresPage tripwires={list.data} table={decimals(c)} csrf={c.var.signIn.view.csrf} canEdit={can(c, "admin")} />
    </>,
  );
});

const oneOf = <T extends string>(values: readonly T[], v: unknown, name: string): T => {
  if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as T;
  throw new PageError(400, `${name}: must be one of ${values.join(", ")}`);
};

dashboard.post("/dashboard/tripwires", async (c) => {
  const f = await c.req.parseBody();
  const str = (k: string) => (typeof f[k] === "string" ? (f[k] as string).trim() : "");
  const metric = oneOf(TRIPWIRE_METRICS, f.metric, "metric");
  const asset = str("asset").toUpperCase() || null;
  let threshold = str("threshold");
  if (metric === "amount") {
    if (!asset) throw new PageError(400, "asset: an amount trip-wire needs its asset");
    try {
      threshold = parseMoney(`${threshold} ${asset}`, decimals(c)).value.toString();
    } catch (e) {
      throw new PageError(400, `threshold: ${e instanceof Error ? e.message : "not an amount"}`);
    }
  }
  const scope = str("scope") || null;
  if (scope) {
    const parsed = parseScope(scope);
    if (!parsed.ok) throw new PageError(400, `scope: ${parsed.error.message}`);
  }
  const fields: TripwireFields = {
    metric,
    asset,
    scope,
    window: Number(str("window")),
    threshold,
    per: oneOf(TRIPWIRE_PERS, f.per, "per"),
    action: oneOf(TRIPWIRE_ACTIONS, f.action, "action"),
    mode: oneOf(TRIPWIRE_MODES, f.mode, "mode"),
  };
  if (!Number.isInteger(fields.window) || fields.window < MIN_WINDOW_SECONDS || fields.window > MAX_WINDOW_SECONDS)
    throw new PageError(400, `window: whole seconds from ${MIN_WINDOW_SECONDS} to ${MAX_WINDOW_SECONDS}`);
  const errors = tripwireErrors(fields);
  if (errors.length > 0) throw new PageError(400, errors.map((e) => `${e.field}: ${e.message}`).join("; "));
  value(await principal(c).createTripwire(c.var.signIn.proof("admin"), null, fields));
  return backTo(c, "/dashboard/tripwires", "/dashboard/tripwires", "tripwire-added");
});

dashboard.post("/dashboard/tripwires/:id/mode", async (c) => {
  const id = idParam(c, "trw");
  const mode = oneOf(TRIPWIRE_MODES, await formText(c, "mode"), "mode");
  value(await principal(c).updateTripwire(c.var.signIn.proof("admin"), null, id, { mode }));
  return backTo(c, "/dashboard/tripwires", "/dashboard/tripwires", mode === "enforce" ? "tripwire-enforced" : "tripwire-shadow");
});

dashboard.post("/dashboard/tripwires/:id/reset", async (c) => {
  const id = idParam(c, "trw");
  value(await principal(c).resetTripwire(c.var.signIn.proof("admin"), null, id));
  return backTo(c, "/dashboard/tripwires", "/dashboard/tripwires", "tripwire-reset");
});

// ------------------------------------------------------------------ webhooks, anchors

dashboard.get("/dashboard/webhooks", async (c) => {
  const proof = c.var.signIn.proof("read");
  const endpoints = value(await principal(c).listWebhookEndpoints(proof));
  const withDeliveries = await Promise.all(
    endpoints.map(async (endpoint) => {
      const page = value(await principal(c).listWebhookDeliveries(proof, endpoint.id, { limit: 20 }));
      return { endpoint, deliveries: page.data, has_more: page.has_more };
    }),
  );
  return page(
    c,
    "Webhooks",
    "/dashboard/webhooks",
    <>
      <Notice c={c} />
      <WebhooksPage endpoints={withDeliveries} csrf={c.var.signIn.view.csrf} canRedeliver={can(c, "admin")} />
    </>,
  );
});

dashboard.post("/dashboard/webhook-deliveries/:id/redeliver", async (c) => {
  const id = idParam(c, "dlv");
  value(await principal(c).redeliverWebhook(c.var.signIn.proof("admin"), null, id));
  return backTo(c, "/dashboard/webhooks", "/dashboard/webhooks", "redelivered");
});

dashboard.get("/dashboard/anchors", async (c) => {
  const before = Number(c.req.query("before") ?? "");
  const list = await settlementStub(c.env).anchors({ limit: 20, ...(Number.isInteger(before) && before > 0 ? { startingAfter: before } : {}) });
  return page(
    c,
    "Anchors",
    "/dashboard/anchors",
    <AnchorsPage anchors={list.data} has_more={list.has_more} {...(Number.isInteger(before) && before > 0 ? { before } : {})} />,
  );
});
