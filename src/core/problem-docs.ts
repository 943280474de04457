/**
 * What each problem type means, in one place: the page at `/problems/<name>` (HTML, or
 * JSON with `Accept: application/json`) is rendered from this and nothing else. Text
 * marks code with backticks (`like this`); the HTML page renders them as code.
 *
 * `Record<ProblemName, …>` makes a new problem type without a page a compile error.
 */
import { PROBLEMS, type ProblemName, type ProblemValue } from "./errors";

export interface ProblemDoc {
  /** What the refusal means, in a sentence or two. */
  meaning: string;
  /** The usual reasons a caller meets it. */
  causes: readonly string[];
  /** What to do, in order. */
  fix: readonly string[];
  /** A realistic body: `detail` and the extension members (type, title and status are added). */
  example: { detail: string } & Record<string, ProblemValue>;
}

const SES = "ses_01jq8w6d3k2m9h7f5c4b3a2z1x";
const SES_PARENT = "ses_01jq8w5r8t6y4u2i0o9p8l7k6j";
const RCP = "rcp_01jq8w7e9n4b6v8c2x5z7m9l1k";

export const PROBLEM_DOCS: Readonly<Record<ProblemName, ProblemDoc>> = {
  "validation-failed": {
    meaning: "The request broke a rule of the API. Nothing was changed. `errors[]` names each field, the rule it broke and how to fix it.",
    causes: [
      "A required field is missing (rule `required`), or has the wrong JSON type (`invalid_type`).",
      'An amount sent as a JSON number or with a fraction: amounts are strings of integer minor units, `"1250"` for 12.50 USD (`amount_type`, `amount_format`).',
      "A scope that breaks the grammar `resource:action:target`, or an `http:` scope with a lower-case or unknown method (`scope_method`) or a non-canonical target (`scope_canonical`).",
      "A field the schema does not name (`unknown_field`): bodies are strict, nothing is ignored.",
      "A body that is not valid JSON (`json_syntax`), or an `Idempotency-Key` that is not 1–255 printable ASCII characters.",
    ],
    fix: [
      "Read `errors[]`: each entry has `field` (a dotted JSON path such as `limits.budgets.0.amount`), `rule` and a `message` that says what to send.",
      "Where an entry has `suggestion`, send that value instead; where it has `example`, write the value after it.",
      "Retrying the same request gives the same answer: change the request first. A refused request is not recorded under its `Idempotency-Key`, so the corrected one may reuse it.",
    ],
    example: {
      detail:
        'expires_at: is required: an RFC 3339 date-time; limits.budgets.0.amount: amounts are strings of integer minor units, not JSON numbers: send "1250" (a string of minor units) for 12.50 USD',
      errors: [
        { field: "expires_at", rule: "required", message: "is required: an RFC 3339 date-time" },
        {
          field: "limits.budgets.0.amount",
          rule: "amount_type",
          message: 'amounts are strings of integer minor units, not JSON numbers: send "1250" (a string of minor units) for 12.50 USD',
          suggestion: "1250",
        },
      ],
    },
  },
  unauthenticated: {
    meaning: "The call needs credentials that were not sent, or were not valid. `WWW-Authenticate` says which scheme the route expects.",
    causes: [
      "No `Authorization` header.",
      "An API key that was revoked, mistyped or truncated (keys are `rmt_…` and carry a checksum, so a changed character is refused before anything is looked up).",
      "An agent route (`/v1/authorize`, `/v1/holds`, `/v1/delegations`) called with an API key, or a principal route called with a session token.",
      "An operator route (`/v1/principals`, `/v1/admin/…`) called without the operator token.",
    ],
    fix: [
      "Principal routes: send `Authorization: Bearer rmt_…` with a live API key (list them with `GET /v1/api-keys`).",
      "Agent routes: send `Authorization: DPoP <session token>` and a `DPoP` proof signed by the session's key (the SDK does both).",
      "Operator routes: send `Authorization: Bearer <REMIT_ADMIN_TOKEN>`.",
    ],
    example: { detail: "send Authorization: Bearer <API key> (rmt_…)" },
  },
  "invalid-token": {
    meaning: "The session token does not verify, so the request cannot be tied to a session.",
    causes: [
      "The token was altered, truncated or is not a session token (it must be a JWS with `alg: EdDSA` and `typ: remit-session+jwt`).",
      "It was signed by a key no longer in `/.well-known/jwks.json` (two rotations ago), or by another deployment.",
      "It was sent as `Authorization: Bearer …`: session tokens are DPoP-bound and go as `Authorization: DPoP …`.",
    ],
    fix: [
      "Send the token exactly as `POST /v1/sessions` or `POST /v1/delegations` returned it, as `Authorization: DPoP <token>`.",
      "If it is old or from elsewhere, have the principal grant a new session.",
    ],
    example: { detail: "the session token was signed by an unknown key" },
  },
  "invalid-proof": {
    meaning: "The `DPoP` proof (RFC 9449) failed a check, so the service cannot tell the caller holds the session's key. `detail` names the check.",
    causes: [
      "The proof was signed for another method or URL (`htm`, `htu`): each proof is for one request.",
      "`iat` is outside the accepted window: the proof was made too long ago, or the clock is off.",
      "`ath` is not the SHA-256 of this session token, or the proof is signed by a key other than the one the session is bound to.",
      "The header is missing, repeated, or not a compact JWS with `typ: dpop+jwt` and `alg` Ed25519 or EdDSA.",
    ],
    fix: [
      "Sign a fresh proof for every request: this method, this URL (no query or fragment), `iat` now, a new `jti`, and `ath` of the token.",
      "Sign it with the private key whose public JWK was given as `agent_jwk` when the session was granted.",
      "Keep the clock in sync (NTP). The SDK's `createProof` does all of this.",
    ],
    example: { detail: "the proof htu does not match the request URL" },
  },
  "proof-replayed": {
    meaning: "This DPoP proof was already used. Each proof is good for one request, so a captured request cannot be replayed.",
    causes: ["A retry that resent the same `DPoP` header.", "Two requests that shared one proof.", "A proxy or client library that replays requests."],
    fix: [
      "Sign a new proof (new `jti`) for every request, retries included.",
      "To make a retry safe, send the same `Idempotency-Key` with a new proof: the first result is returned.",
    ],
    example: { detail: "this DPoP proof was already used" },
  },
  "session-revoked": {
    meaning: "The session, or an ancestor it was delegated from, was revoked. Nothing it asks for is allowed any more. The refusal is receipted (`receipt`).",
    causes: [
      "The principal revoked this session or one above it (`POST /v1/sessions/{id}/revoke`): revocation cuts off the whole subtree.",
      "The agent was stopped on purpose: this is the kill switch working.",
    ],
    fix: ["Stop using this session; it cannot be revived. Open holds can still be voided.", "If the work should go on, the principal grants a new session."],
    example: { detail: `session ${SES_PARENT} was revoked`, revoked_session: SES_PARENT, receipt: RCP },
  },
  "session-expired": {
    meaning: "The session, or an ancestor, is past its `expires_at`.",
    causes: ["The task ran longer than the session was granted for.", "A delegated child inherited its parent's end, and the parent has ended."],
    fix: [
      "Ask the principal for a new session; expiry is never extended.",
      "Grant sessions for as long as the task needs (up to the principal's `max_session_seconds`).",
    ],
    example: { detail: "the session expired at 2026-05-01T12:00:00.000Z" },
  },
  "session-not-yet-valid": {
    meaning: "The session's `not_before` is in the future.",
    causes: ["The session was granted to start later.", "The caller's clock runs ahead of the service's."],
    fix: ["Wait until `not_before` (the `detail` says when).", "If it was not meant to start later, grant it without `not_before`."],
    example: { detail: "the session is valid from 2026-05-01T09:00:00.000Z" },
  },
  "principal-frozen": {
    meaning: "The principal's kill switch is on: every session of this principal is refused and no new one can be granted. For agents the refusal is receipted.",
    causes: ["The principal pulled its kill switch (`POST /v1/freeze`), usually in an incident."],
    fix: [
      "Nothing an agent can do: stop and report.",
      "The principal, once the incident is over, lifts it (`POST /v1/unfreeze`); sessions that have not expired work again.",
    ],
    example: { detail: "every session of this principal is frozen", receipt: RCP },
  },
  "session-frozen": {
    meaning:
      "The session's own switch, or the switch of a session it was delegated from, is on: it and everything beneath it are refused until the principal unfreezes it. `frozen_session` names the session whose switch holds it. The refusal is receipted.",
    causes: [
      "The principal froze this session or an ancestor by hand (`POST /v1/sessions/{id}/freeze`), for instance while looking into what an agent did.",
      "On a root, the whole tree was frozen.",
    ],
    fix: [
      "Nothing an agent can do: stop and report. Voiding open holds and reading receipts still work.",
      "The principal lifts it with `POST /v1/sessions/{id}/unfreeze` on the session named in `frozen_session`; the session view's `frozen_by` says which switches hold a session.",
    ],
    example: { detail: `session ${SES_PARENT} is frozen`, frozen_session: SES_PARENT, receipt: RCP },
  },
  tripwire: {
    meaning:
      "A trip-wire of the principal refused the decision: it would have taken the rule's trailing-window total over its threshold. `rule` names the trip-wire, `action` what it did, `threshold` and `total` the figures. For the freeze actions, every later decision in the frozen scope is refused the same way. The refusal is receipted with reason `tripwire`.",
    causes: [
      "An agent spent or acted faster than the principal's velocity rule allows (`metric` `amount` or `count`).",
      "Too many refused decisions in the window (`metric` `denials`), which usually means an agent is looping on something it may not do.",
      "A rule the tree could not evaluate: trip-wires fail closed.",
    ],
    fix: [
      "An agent: stop and report; retrying only adds to the window (and to a `denials` rule).",
      "The principal: look at the receipts of the session (`GET /v1/receipts?session=…`), then clear the trip with `POST /v1/tripwires/{id}/reset`, or unfreeze the frozen session (the root's unfreeze for a tree).",
      "If the rule is too tight, raise its `threshold` or switch it to `shadow` with `PATCH /v1/tripwires/{id}`.",
    ],
    example: {
      detail: "trip-wire trw_01jq8w9a2s4d6f8g0h2j4k6l8z: 6 actions in 60 s per tree is over 5",
      rule: "trw_01jq8w9a2s4d6f8g0h2j4k6l8z",
      action: "freeze_tree",
      threshold: "5",
      total: "6",
      receipt: RCP,
    },
  },
  forbidden: {
    meaning: "The API key is valid but its role does not allow this call. `role` is the key's role, `needs` the role the call takes. Nothing was changed.",
    causes: [
      "A `read_only` key tried to change something.",
      "An `approver` key tried an admin call (granting sessions, managing keys or webhooks).",
      "A key tried to approve or deny without the approver or admin role.",
    ],
    fix: ["Use a key with the role named in `needs`.", "An admin can create one: `POST /v1/api-keys` with `role`."],
    example: { detail: "this key's role (read_only) may not do this: it needs approver or admin", role: "read_only", needs: "decide" },
  },
  "scope-denied": {
    meaning: "The action's scope is not covered by the session, or by one of the sessions it was delegated from. The refusal is receipted.",
    causes: [
      "The agent asked for something it was not granted, e.g. `http:POST:…` under a grant of `http:GET:…`.",
      "A wildcard that does not reach: `http:GET:api.example.com/v1/*` does not cover `…/v10` or `…/v1` itself.",
      "A spelling that differs: matching is exact text, so `http:GET:API.example.com/x` is not `http:GET:api.example.com/x`.",
      "The session's own scopes cover it but an ancestor's do not.",
    ],
    fix: [
      "Check the session's scopes (`GET /v1/sessions/{id}`) and the scope you sent (`scope` in this problem).",
      "Ask the principal for a session that grants the scope; a delegation can never add one its parent lacks.",
    ],
    example: { detail: "scope http:POST:api.example.com/v1/pay is not granted to this session", scope: "http:POST:api.example.com/v1/pay", receipt: RCP },
  },
  "budget-exceeded": {
    meaning:
      "The amount would take the session, or an ancestor, past a budget. The problem names the session whose budget binds, the asset, the period and what remains. Nothing was debited; the refusal is receipted.",
    causes: [
      "The spend is larger than what remains of the tightest budget in the chain (a parent's budget counts for every child).",
      "Open holds reserve part of the budget (`held`).",
      "A periodic budget (`hour`, `day`, `week`, `month`) is used up until the next UTC period.",
    ],
    fix: [
      "Spend at most `remaining` (minor units, in `asset`), or wait for the period to roll over.",
      "Void holds you no longer need: they release what they reserve.",
      "Ask the principal for a larger budget; a delegation cannot raise its parent's.",
    ],
    example: {
      detail: `$12.50 would exceed the day budget of session ${SES}: $4.00 remains`,
      scope: "http:POST:api.example.com/v1/pay",
      session: SES,
      asset: "USD",
      period: "day",
      limit: "5000",
      spent: "4100",
      held: "500",
      remaining: "400",
      requested: "1250",
      receipt: RCP,
    },
  },
  "calls-exhausted": {
    meaning: "A session in the chain has used all the calls its `limits.calls` allows. The refusal is receipted.",
    causes: ["The session (or an ancestor, named by `session`) made `limit` calls already: every authorized action counts."],
    fix: ["Ask the principal for a new session with more calls; a count is never reset.", "Delegations share their ancestors' counts: plan calls across the tree."],
    example: { detail: `session ${SES} has used all 100 calls`, scope: "http:GET:api.example.com/v1/x", session: SES, limit: 100, receipt: RCP },
  },
  "not-found": {
    meaning: "There is nothing at this path, or it is not yours: the two are not told apart, so ids cannot be probed.",
    causes: [
      "A typo in the path or id (ids are prefixed: `ses_`, `rcp_`, `hld_`, `apr_`, `key_`, `whe_`).",
      "An id that belongs to another principal, or a receipt outside the agent's own subtree.",
      "A route that does not exist (see `/openapi.json`).",
    ],
    fix: ["Check the id and the path.", "Use the credentials of the principal (or the agent) the object belongs to."],
    example: { detail: `no session ${SES}` },
  },
  "method-not-allowed": {
    meaning: "The path exists but does not take this method. `allow` and the `Allow` header list the methods it takes.",
    causes: ["`GET` on a path that only takes `POST` (or the other way around).", "A method the API does not use (`PUT`)."],
    fix: ["Use one of the methods in `allow`; `/openapi.json` documents each route."],
    example: { detail: "PUT is not allowed on /v1/sessions", allow: ["POST"] },
  },
  "idempotency-in-flight": {
    meaning: "A request with this `Idempotency-Key` is still being processed. Running it twice could act twice, so the second waits its turn.",
    causes: ["A client retried before the first attempt answered (a short timeout).", "Two workers sent the same key at once."],
    fix: ["Retry after a moment with the same key and body: once the first finishes, the retry gets its result. The SDK does this for you."],
    example: { detail: "a request with this Idempotency-Key is still being processed", idempotency_key: "grant-task-42" },
  },
  "hold-closed": {
    meaning: "The hold was already captured, voided or has expired, so it can no longer be captured or voided.",
    causes: ["A second capture or void of the same hold.", "A capture after `expires_at`: an expired hold releases its amount."],
    fix: [
      "Check `hold_status` in this problem (captured, voided or expired) before acting on the hold again.",
      "To spend after expiry, place a new hold or authorize the amount directly.",
      "Retry captures with the same `Idempotency-Key`, which replays the first result rather than capturing twice.",
    ],
    example: { detail: "hold hld_01jq8w8f2g4h6j8k0l2m4n6p8q is expired", hold: "hld_01jq8w8f2g4h6j8k0l2m4n6p8q", hold_status: "expired" },
  },
  "approval-closed": {
    meaning: "The approval is no longer pending: it was approved, denied, expired or canceled (`approval_status`). Nothing moved.",
    causes: ["Someone decided it first.", "It waited longer than its `expires_in`.", "The agent canceled it, or its session was revoked or frozen."],
    fix: ["Read it (`GET /v1/approvals/{id}`) for the outcome.", "If the action is still wanted, the agent asks again and a new approval is opened."],
    example: { detail: "approval apr_01jq8w9a1b3c5d7e9f1g3h5j7k is denied", approval: "apr_01jq8w9a1b3c5d7e9f1g3h5j7k", approval_status: "denied" },
  },
  "approval-already-voted": {
    meaning: "This API key has already approved this approval. When a policy needs several approvers, each must be a different key.",
    causes: ["The same person (key) approved twice, e.g. a double click or a retry with a new `Idempotency-Key`."],
    fix: ["Have another approver (another API key with the approver or admin role) approve it."],
    example: {
      detail: "key key_01jq8wa0b2c4d6e8f0g2h4j6k8 has already approved apr_01jq8w9a1b3c5d7e9f1g3h5j7k",
      approval: "apr_01jq8w9a1b3c5d7e9f1g3h5j7k",
      key: "key_01jq8wa0b2c4d6e8f0g2h4j6k8",
    },
  },
  "payload-too-large": {
    meaning: "The request body is larger than 64 KiB, the most any route takes. Nothing was read further.",
    causes: ["A body with far more scopes, budgets or labels than a session can hold.", "The wrong payload sent by mistake."],
    fix: ["Send a smaller body: see the caps on scopes (at most 64, 512 characters each) and budgets (32)."],
    example: { detail: "bodies are at most 65536 bytes" },
  },
  "unsupported-media-type": {
    meaning: "The body is not JSON: the API reads only `application/json` (or a `+json` type).",
    causes: ["No `Content-Type` header, or `application/x-www-form-urlencoded` / `text/plain` (a browser form, curl's `-d` without `-H`)."],
    fix: ["Send `Content-Type: application/json` with a JSON body (`curl -H 'content-type: application/json' -d '{…}'`)."],
    example: { detail: "send the body as application/json" },
  },
  "delegation-widens": {
    meaning:
      "A delegated session must be narrower than its parent in every respect; this one would hold more. `errors[]` names each field that widens. Nothing was created.",
    causes: [
      "A scope the parent does not cover (`scope_not_covered`).",
      "A later `expires_at`, an earlier `not_before`, more calls, a faster rate or a larger budget than the parent (`exceeds_parent`).",
      "Leaving out a limit the parent has (`missing`): a child without a budget would be unbounded.",
      "A budget in an asset the parent has no budget in (`asset_not_in_parent`), or a looser approval policy.",
    ],
    fix: [
      "Narrow each field named in `errors[]`, or omit the field to inherit the parent's value.",
      "Widening is never clamped silently: the request must say exactly what the child gets.",
    ],
    example: {
      detail: "the delegation would widen scopes.0",
      errors: [{ field: "scopes.0", rule: "scope_not_covered", message: '"http:POST:api.example.com/v1/*" is not covered by any parent scope' }],
    },
  },
  "depth-exceeded": {
    meaning: "The parent session may not delegate further: its `max_depth` is 0.",
    causes: ["A delegation chain longer than the root's `max_depth` allows (each level gets one less)."],
    fix: ["Delegate from a session higher in the tree, or have the principal grant a root with a larger `max_depth` (at most 16)."],
    example: { detail: "the parent session may not delegate further (max_depth 0)", max_depth: 0 },
  },
  "cap-exceeded": {
    meaning: "The tree of sessions is at a size cap: `cap` names it, with its `limit` and the `current` count. Nothing was created.",
    causes: ["A session already has as many children as `children_per_session` allows.", "The whole tree holds `sessions_per_tree` sessions (revoked ones count too)."],
    fix: ["Delegate from a child instead of the same parent.", "For more work than one tree holds, have the principal grant a new root session."],
    example: {
      detail: "the session already has 64 children, its cap (children_per_session = 64); delegate from a child instead, or ask for a new root session",
      cap: "children_per_session",
      limit: 64,
      current: 64,
    },
  },
  "idempotency-key-reused": {
    meaning:
      "This `Idempotency-Key` was first used with a different request (another method, path or body). Replaying the first result for it would be wrong, so it is refused.",
    causes: ["A key reused for a new request, e.g. a constant key or a counter that restarted.", "A retry whose body changed (a new timestamp in it)."],
    fix: ["Use a new key for each new request; reuse a key only to retry the very same request (keys are kept 24 h)."],
    example: { detail: "this Idempotency-Key was used with a different request", idempotency_key: "grant-task-42" },
  },
  "rate-limited": {
    meaning: "A rate limit of the session, or of an ancestor (`session`), refuses this request now. Nothing was counted against the budget.",
    causes: ["More requests in `per_seconds` than `limits.rate` allows, after the initial burst.", "Several agents delegated from one parent share its rate."],
    fix: [
      "Wait `Retry-After` seconds (also `retry_after`) before the next request; the `RateLimit` header shows what is left.",
      "Spread requests out, or ask the principal for a higher rate.",
    ],
    example: { detail: `session ${SES} allows 10 requests per 60 s`, session: SES, retry_after: 6, limit: { requests: 10, per_seconds: 60 } },
  },
  "internal-error": {
    meaning: "Something failed on the service's side. It was logged. The request may or may not have taken effect.",
    causes: ["A bug, or a fault of the platform."],
    fix: [
      "Retry with the same `Idempotency-Key`: if the first attempt took effect you get its result, otherwise it runs once.",
      "If it persists, report it with the `request-id` response header.",
    ],
    example: { detail: "something failed on our side; it was logged" },
  },
  "service-unavailable": {
    meaning: "The service cannot do this now: a part it needs is not configured or not reachable.",
    causes: ["`POST /v1/admin/settle` while anchoring receipts to the chain is disabled or misconfigured (`action` says which)."],
    fix: ['Configure anchoring (docs/OPERATIONS.md, "First deploy of an environment"; `GET /v1/admin/settlement` shows the configuration), or retry once it is back.'],
    example: { detail: "anchoring is not configured", action: "disabled" },
  },
  "lease-lapsed": {
    meaning:
      "The session lives in a Durable Object of its own (it was delegated with `placement: \"own_object\"`) and acts under a budget lease from its parent's object. The lease lives 30 s unless renewed, and it lapsed while the parent's object could not be reached: the session stops rather than act on authority nobody renewed. Nothing was decided or receipted.",
    causes: ["The parent's object was unreachable (restarting, or overloaded) when the lease came due for renewal."],
    fix: ["Retry with a fresh DPoP proof after a short backoff (`Retry-After`); the lease is renewed on the first call that reaches the parent's object."],
    example: { detail: "this session's budget lease from its parent's object lapsed and could not be renewed (the parent's object did not answer); retry shortly" },
  },
};

/** A problem's page as data: what the HTML shows and the JSON returns. */
export interface ProblemPage {
  name: ProblemName;
  type: string;
  title: string;
  status: number;
  meaning: string;
  causes: readonly string[];
  fix: readonly string[];
  example: Record<string, ProblemValue>;
}

export function problemPage(name: ProblemName, type: string): ProblemPage {
  const { status, title } = PROBLEMS[name];
  const d = PROBLEM_DOCS[name];
  return { name, type, title, status, meaning: d.meaning, causes: d.causes, fix: d.fix, example: { type, title, status, ...d.example } };
}
