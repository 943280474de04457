/**
 * The dashboard's sign-in, cookie and CSRF checks, before any page runs.
 *
 * - Sign-in: an API key (checked at the edge by its checksum, then by the principal's object)
 *   is exchanged for a cookie: HttpOnly, SameSite=Strict, Path=/dashboard, 12 hours, Secure
 *   (and `__Host-`-less only) except over http on loopback in development; signed
 *   (src/core/auth/dashboard-cookie.ts) and backed by a row in the principal's object, so
 *   signing out or deleting the key ends it.
 * - Every POST: same Origin (or Sec-Fetch-Site same-origin), and the form's `csrf` field
 *   equal to the sign-in's token (the sign-in form itself: equal to its own cookie's token).
 * - Roles: the principal's object enforces them on every call (`need`); the pages only hide
 *   what the key's role may not do.
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Env } from "../contract/env";
import type { DashboardSessionView, KeyProof } from "../contract/principal";
import { DASHBOARD_SESSION_MS, type DashboardCookie, readDashboardCookie, signInHash } from "../core/auth/dashboard-cookie";
import type { Need } from "../core/auth/roles";
import { timingSafeEqual, utf8 } from "../core/encoding";
import { apiKeyChecksumMaterial, principalOf } from "../middleware/auth";

export interface SignIn {
  cookie: DashboardCookie;
  view: DashboardSessionView;
  /** The proof of this sign-in for a call that needs `need` of the key's role. */
  proof: (need: Need) => KeyProof;
}

export type DashEnv = { Bindings: Env; Variables: { signIn: SignIn; nonce: string } };

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** Secure cookies, except over plain http on loopback in development (a browser refuses Secure on http elsewhere). */
export function secureCookies(c: Context<DashEnv>): boolean {
  const url = new URL(c.req.url);
  return !(url.protocol === "http:" && LOOPBACK.has(url.hostname) && c.env.REMIT_ENV === "development");
}

/** `__Host-` binds the cookie to this origin; only possible with Secure. */
export const sessionCookieName = (c: Context<DashEnv>) => (secureCookies(c) ? "__Host-remit_dashboard" : "remit_dashboard");
export const signInFormCookieName = (c: Context<DashEnv>) => (secureCookies(c) ? "__Host-remit_sign_in" : "remit_sign_in");

/** `__Host-` cookies must have Path=/; the others are kept to the dashboard. */
function cookiePath(c: Context<DashEnv>): string {
  return secureCookies(c) ? "/" : "/dashboard";
}

export function setSessionCookie(c: Context<DashEnv>, value: string): void {
  setCookie(c, sessionCookieName(c), value, {
    httpOnly: true,
    secure: secureCookies(c),
    sameSite: "Strict",
    path: cookiePath(c),
    maxAge: DASHBOARD_SESSION_MS / 1000,
  });
}

export function clearSessionCookie(c: Context<DashEnv>): void {
  deleteCookie(c, sessionCookieName(c), { path: cookiePath(c), secure: secureCookies(c) });
}

export function setSignInFormCookie(c: Context<DashEnv>, token: string): void {
  setCookie(c, signInFormCookieName(c), token, { httpOnly: true, secure: secureCookies(c), sameSite: "Strict", path: cookiePath(c), maxAge: 3600 });
}

export function signInFormToken(c: Context<DashEnv>): string | undefined {
  return getCookie(c, signInFormCookieName(c));
}

/** The cookie's sign-in, checked by the principal's object; null when there is none (or it ended). */
export async function currentSignIn(c: Context<DashEnv>): Promise<SignIn | null> {
  const material = apiKeyChecksumMaterial(c.env);
  if (!material) return null;
  const cookie = await readDashboardCookie(material, getCookie(c, sessionCookieName(c)));
  if (!cookie) return null;
  const dashboard = await signInHash(cookie);
  const base: KeyProof = { keyId: cookie.keyId, secretHash: "", dashboard };
  const answer = await principalOf(c.env, cookie.principal).dashboardSession({ ...base, need: "read" });
  if (!answer.outcome.ok) return null;
  return { cookie, view: answer.outcome.value, proof: (need) => ({ ...base, need }) };
}

/** A POST from this origin: the browser says so by Origin, or by Sec-Fetch-Site. */
export function sameOrigin(c: Context<DashEnv>): boolean {
  const origin = c.req.header("origin");
  if (origin) return origin === new URL(c.req.url).origin;
  return c.req.header("sec-fetch-site") === "same-origin";
}

export function tokensEqual(a: string | undefined, b: string | undefined): boolean {
  return !!a && !!b && timingSafeEqual(utf8(a), utf8(b));
}

/** Pages behind the sign-in: without one, GETs go to the sign-in page and POSTs are refused; POSTs need the CSRF token. */
export function signedIn(refuse: (c: Context<DashEnv>, status: 401 | 403, why: string) => Response | Promise<Response>): MiddlewareHandler<DashEnv> {
  return async (c, next) => {
    const signIn = await currentSignIn(c);
    if (!signIn) {
      if (c.req.method === "GET" || c.req.method === "HEAD") {
        clearSessionCookie(c);
        return c.redirect(`/dashboard/sign-in?next=${encodeURIComponent(new URL(c.req.url).pathname)}`, 303);
      }
      return refuse(c, 401, "You are not signed in (or the sign-in has ended). Sign in again.");
    }
    if (c.req.method === "POST") {
      if (!sameOrigin(c)) return refuse(c, 403, "This form was not sent from this dashboard (its Origin is another site's).");
      const form = await c.req.parseBody();
      const csrf = typeof form.csrf === "string" ? form.csrf : undefined;
      if (!tokensEqual(csrf, signIn.view.csrf)) return refuse(c, 403, "This form is missing its CSRF token or has a stale one. Reload the page and try again.");
    }
    c.set("signIn", signIn);
    await next();
  };
}
