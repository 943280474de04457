/**
 * The OpenAPI descriptions and examples of the governance, trip-wire and event routes
 * (see ./operation-docs.ts for the rules). Response examples are bodies the service returned.
 */
/** The shape of ./operation-docs.ts `OperationDoc` (not imported: that file imports this one). */
interface Doc {
  description?: string;
  request?: unknown;
  responses: Partial<Record<200 | 201 | 202, unknown>>;
}

export const GOVERNANCE_DOCS: Readonly<Record<string, Doc>> = {
  "GET /v1/sessions": {
    "description":
      "Every session of every tree of the principal, newest first, with the counters `GET /v1/sessions/{id}` shows and `last_used_at` (the last authorization or hold). Filters: `status` (active, revoked, expired, frozen, pending), `root`, `label`, `agent` (key thumbprint), `created_before/after`, `expires_before/after`, `idle_for` (ISO 8601 duration, e.g. `P7D`: no authorization or hold since), `depth`. Pages with `limit` and `cursor` (`next_cursor`). Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "object": "list",
        "data": [
          {
            "id": "ses_seek7t1ncjj9b5kxtzvg725bqg",
            "object": "session",
            "tree": "tre_seek7t1ncjj9brf4jw0wcafm3r",
            "principal": "prn_z898203drh5m891bc2mahjzprc",
            "parent": "ses_seek7t1ncjj9b0kyz2s10fa60y",
            "depth": 1,
            "label": "summarizer",
            "status": "active",
            "scopes": ["http:GET:api.example.com/*"],
            "not_before": "2026-12-01T13:18:20.187Z",
            "expires_at": "2026-12-01T14:18:20.101Z",
            "max_depth": 1,
            "limits": {
              "rate": {
                "requests": 10,
                "per_seconds": 60,
              },
              "budgets": [
                {
                  "asset": "USD",
                  "amount": "1000",
                },
              ],
            },
            "agent_jkt": "NdjSTiJqhUnXZvujpn4B1IsDd7B40To9Olua4kr1JQg",
            "created_at": "2026-12-01T13:18:20.187Z",
            "revoked_at": null,
            "counters": {
              "calls": null,
              "budgets": [
                {
                  "asset": "USD",
                  "period": "day",
                  "limit": "1000",
                  "spent": "0",
                  "held": "400",
                  "remaining": "600",
                  "window_start": "2026-12-01T00:00:00.000Z",
                  "resets_at": "2026-12-02T00:00:00.000Z",
                },
              ],
              "rate": {
                "requests": 10,
                "per_seconds": 60,
                "remaining": 9,
                "reset_seconds": 6,
              },
              "rate_limited": 0,
            },
            "tripped": [],
            "last_used_at": "2026-12-01T13:18:20.418Z",
          },
        ],
        "has_more": false,
        "next_cursor": null,
      },
    },
  },
  "GET /v1/receipts": {
    "description":
      "Signed receipts across every tree of the principal, newest first, denials included. Filters: `session`, `kind` (authorize, capture, void, denial), `outcome` (`allowed`: every kind but denials; `denied`), `created_before/after`. Pages with `limit` and `cursor`. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "object": "list",
        "data": [
          {
            "receipt": {
              "amount": "250",
              "asset": "USD",
              "at": "2026-12-01T13:18:20.212Z",
              "charged_to": [
                {
                  "asset": "USD",
                  "period": "day",
                  "session": "ses_seek7t1ncjj9b0kyz2s10fa60y",
                  "window_start": "2026-12-01T00:00:00.000Z",
                },
              ],
              "hold": null,
              "id": "rcp_seek7t1ncjj9b34wk3b39s53rb",
              "kid": "e4hLDj7T2GXDZWU6",
              "kind": "authorize",
              "path": ["ses_seek7t1ncjj9b0kyz2s10fa60y"],
              "principal": "prn_z898203drh5m891bc2mahjzprc",
              "reason": null,
              "request_digest": null,
              "scope": "http:GET:api.example.com/v1/quotes",
              "seq": 1,
              "session": "ses_seek7t1ncjj9b0kyz2s10fa60y",
              "tree": "tre_seek7t1ncjj9brf4jw0wcafm3r",
              "v": 1,
            },
            "bytes":
              '{"amount":"250","asset":"USD","at":"2026-12-01T13:18:20.212Z","charged_to":[{"asset":"USD","period":"day","session":"ses_seek7t1ncjj9b0kyz2s10fa60y","window_start":"2026-12-01T00:00:00.000Z"}],"hold":null,"id":"rcp_seek7t1ncjj9b34wk3b39s53rb","kid":"e4hLDj7T2GXDZWU6","kind":"authorize","path":["ses_seek7t1ncjj9b0kyz2s10fa60y"],"principal":"prn_z898203drh5m891bc2mahjzprc","reason":null,"request_digest":null,"scope":"http:GET:api.example.com/v1/quotes","seq":1,"session":"ses_seek7t1ncjj9b0kyz2s10fa60y","tree":"tre_seek7t1ncjj9brf4jw0wcafm3r","v":1}',
            "signature": "rjlPQvCCorcjmvwa0Il37EzzHP5TVqWxWUuGX_IGnjdiPa3pYm_Bg_LDeYzFVVY0aOuWqQFzKaHMfy_OweVYAQ",
            "leaf_hash": "a3435eb067a34af12a53843e35937d2ddffe517f42ff81ddc123a531fd6e0980",
          },
        ],
        "has_more": false,
        "next_cursor": null,
      },
    },
  },
  "GET /v1/exposure": {
    "description":
      "The most the principal can still lose, per asset: `now` (what every live session together could spend at once, bounded per tree by its root's budgets), `next_hour`, `next_day`, `next_week` and `until_expiry` (counting periodic refills at their UTC window starts before the horizon and the session's expiry), `held` (the part of `now` that open holds and pending approvals reserve). `holders` are the live sessions that can reach the most; they overlap, since siblings share their ancestors' caps. `findings` list standing authority worth a look: idle 7 days or more, living more than 30 days, no rate limit, depth used up, budgets never used. Exact integer arithmetic. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "object": "exposure",
        "as_of": "2026-12-01T13:18:20.530Z",
        "trees": {
          "total": 1,
          "live": 1,
        },
        "assets": [
          {
            "asset": "USD",
            "now": "4750",
            "next_hour": "4750",
            "next_day": "4750",
            "next_week": "4750",
            "until_expiry": "4750",
            "held": "400",
            "unbounded": false,
            "unbounded_trees": [],
          },
        ],
        "holders": [
          {
            "asset": "USD",
            "session": "ses_seek7t1ncjj9b0kyz2s10fa60y",
            "tree": "tre_seek7t1ncjj9brf4jw0wcafm3r",
            "reach": "4350",
            "agent_jkt": "y8IfC6aNjLVqkQC5_uzabcZgk8bnHdcyOht2ZlN5EzY",
            "label": "research-agent",
            "depth": 0,
            "expires_at": "2026-12-01T14:18:20.101Z",
            "last_used_at": "2026-12-01T13:18:20.212Z",
          },
          {
            "asset": "USD",
            "session": "ses_seek7t1ncjj9b5kxtzvg725bqg",
            "tree": "tre_seek7t1ncjj9brf4jw0wcafm3r",
            "reach": "1000",
            "agent_jkt": "NdjSTiJqhUnXZvujpn4B1IsDd7B40To9Olua4kr1JQg",
            "label": "summarizer",
            "depth": 1,
            "expires_at": "2026-12-01T14:18:20.101Z",
            "last_used_at": "2026-12-01T13:18:20.418Z",
          },
        ],
        "holders_overlap": true,
        "holders_note":
          "Holders overlap: siblings and descendants share their ancestors' budgets, so their reaches do not add up; the per-asset figures already count each tree once, bounded by its root.",
        "findings": [],
      },
    },
  },
  "POST /v1/sessions/revoke": {
    "description":
      "Revokes, cascading, every session matching `filter` (the listing's filters; an empty filter is refused). With `dry_run: true` it changes nothing and answers exactly what would be revoked (`count`, `ids`) and the exposure that would remain; run that first. One `session.revoked` webhook per revoked session. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Requires `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {
      "filter": {
        "label": "summarizer",
      },
      "dry_run": true,
    },
    "responses": {
      "200": {
        "object": "bulk_revocation",
        "dry_run": true,
        "count": 1,
        "ids": ["ses_seek7t1ncjj9b5kxtzvg725bqg"],
        "exposure": {
          "object": "exposure",
          "as_of": "2026-12-01T13:18:20.559Z",
          "trees": {
            "total": 1,
            "live": 1,
          },
          "assets": [
            {
              "asset": "USD",
              "now": "4750",
              "next_hour": "4750",
              "next_day": "4750",
              "next_week": "4750",
              "until_expiry": "4750",
              "held": "400",
              "unbounded": false,
              "unbounded_trees": [],
            },
          ],
          "holders": [
            {
              "asset": "USD",
              "session": "ses_seek7t1ncjj9b0kyz2s10fa60y",
              "tree": "tre_seek7t1ncjj9brf4jw0wcafm3r",
              "reach": "4350",
              "agent_jkt": "y8IfC6aNjLVqkQC5_uzabcZgk8bnHdcyOht2ZlN5EzY",
              "label": "research-agent",
              "depth": 0,
              "expires_at": "2026-12-01T14:18:20.101Z",
              "last_used_at": "2026-12-01T13:18:20.212Z",
            },
          ],
          "holders_overlap": true,
          "holders_note":
            "Holders overlap: siblings and descendants share their ancestors' budgets, so their reaches do not add up; the per-asset figures already count each tree once, bounded by its root.",
          "findings": [],
        },
      },
    },
  },
  "POST /v1/sessions/{id}/freeze": {
    "description":
      "The session's own switch: it and every session beneath it are refused (`session-frozen`, with a denial receipt) until it is unfrozen; on a root, the whole tree. Separate from the principal's switch; the session view's `frozen_by` says which switches hold it. Pending approvals beneath are canceled. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Requires `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {},
    "responses": {
      "200": {
        "id": "ses_seek7t1ncjj9b5kxtzvg725bqg",
        "object": "session",
        "tree": "tre_seek7t1ncjj9brf4jw0wcafm3r",
        "principal": "prn_z898203drh5m891bc2mahjzprc",
        "parent": "ses_seek7t1ncjj9b0kyz2s10fa60y",
        "depth": 1,
        "label": "summarizer",
        "status": "frozen",
        "scopes": ["http:GET:api.example.com/*"],
        "not_before": "2026-12-01T13:18:20.187Z",
        "expires_at": "2026-12-01T14:18:20.101Z",
        "max_depth": 1,
        "limits": {
          "rate": {
            "requests": 10,
            "per_seconds": 60,
          },
          "budgets": [
            {
              "asset": "USD",
              "amount": "1000",
            },
            {
              "asset": "USD",
              "amount": "1000",
              "period": "day",
            },
          ],
        },
        "agent_jkt": "NdjSTiJqhUnXZvujpn4B1IsDd7B40To9Olua4kr1JQg",
        "created_at": "2026-12-01T13:18:20.187Z",
        "revoked_at": null,
        "counters": {
          "calls": null,
          "budgets": [
            {
              "asset": "USD",
              "period": "day",
              "limit": "1000",
              "spent": "0",
              "held": "400",
              "remaining": "600",
              "window_start": "2026-12-01T00:00:00.000Z",
              "resets_at": "2026-12-02T00:00:00.000Z",
            },
            {
              "asset": "USD",
              "period": null,
              "limit": "1000",
              "spent": "0",
              "held": "400",
              "remaining": "600",
              "window_start": null,
              "resets_at": null,
            },
          ],
          "rate": {
            "requests": 10,
            "per_seconds": 60,
            "remaining": 9,
            "reset_seconds": 6,
          },
          "rate_limited": 0,
        },
        "tripped": [],
        "frozen_by": ["session"],
      },
    },
  },
  "POST /v1/sessions/{id}/unfreeze": {
    "description":
      "Turns the session's own switch off, and ends a trip-wire's freeze of the session (or of the tree, on a root): it acts again unless the principal's switch or an ancestor's holds it. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Requires `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {},
    "responses": {
      "200": {
        "id": "ses_seek7t1ncjj9b5kxtzvg725bqg",
        "object": "session",
        "tree": "tre_seek7t1ncjj9brf4jw0wcafm3r",
        "principal": "prn_z898203drh5m891bc2mahjzprc",
        "parent": "ses_seek7t1ncjj9b0kyz2s10fa60y",
        "depth": 1,
        "label": "summarizer",
        "status": "active",
        "scopes": ["http:GET:api.example.com/*"],
        "not_before": "2026-12-01T13:18:20.187Z",
        "expires_at": "2026-12-01T14:18:20.101Z",
        "max_depth": 1,
        "limits": {
          "rate": {
            "requests": 10,
            "per_seconds": 60,
          },
          "budgets": [
            {
              "asset": "USD",
              "amount": "1000",
            },
            {
              "asset": "USD",
              "amount": "1000",
              "period": "day",
            },
          ],
        },
        "agent_jkt": "NdjSTiJqhUnXZvujpn4B1IsDd7B40To9Olua4kr1JQg",
        "created_at": "2026-12-01T13:18:20.187Z",
        "revoked_at": null,
        "counters": {
          "calls": null,
          "budgets": [
            {
              "asset": "USD",
              "period": "day",
              "limit": "1000",
              "spent": "0",
              "held": "400",
              "remaining": "600",
              "window_start": "2026-12-01T00:00:00.000Z",
              "resets_at": "2026-12-02T00:00:00.000Z",
            },
            {
              "asset": "USD",
              "period": null,
              "limit": "1000",
              "spent": "0",
              "held": "400",
              "remaining": "600",
              "window_start": null,
              "resets_at": null,
            },
          ],
          "rate": {
            "requests": 10,
            "per_seconds": 60,
            "remaining": 9,
            "reset_seconds": 6,
          },
          "rate_limited": 0,
        },
        "tripped": [],
      },
    },
  },
  "POST /v1/session/revoke": {
    "description":
      "The agent's panic button: revokes the caller's own session and everything beneath it, never an ancestor. For an agent that suspects its key leaked or its sub-agents misbehave. Works even when the session is already frozen, revoked or expired. Called with the session token and a DPoP proof (`Authorization: DPoP …`, `DPoP: …`). Requires `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {},
    "responses": {
      "200": {
        "revoked": 1,
        "session": "ses_seek7t1ncjj9b5kxtzvg725bqg",
      },
    },
  },
  "POST /v1/tripwires": {
    "description":
      "Adds a trip-wire to every tree of the principal, present and future: over a trailing `window` (10 s to 31 days), the decision that would take the `metric` total (`amount` in `asset`, `count` of actions, or `denials`) over `threshold`, counted `per` session or tree, trips. `deny` refuses it; the freeze actions refuse it and freeze the session (and beneath), the tree or the principal until reset or unfrozen. `shadow` mode refuses nothing and emits `tripwire.shadow`. Every trip is a signed denial receipt (reason `tripwire`) and a `tripwire.tripped` webhook. Returns once every tree has the rule, or names the trees it has not reached in `pending_trees`. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Requires `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {
      "metric": "count",
      "window": 60,
      "threshold": "5",
      "per": "tree",
      "action": "freeze_tree",
      "mode": "enforce",
    },
    "responses": {
      "201": {
        "tripwire": {
          "id": "trw_q2j8kk4p0n1yb4vw1emj8xpk90",
          "object": "tripwire",
          "metric": "count",
          "asset": null,
          "scope": null,
          "window": 60,
          "threshold": "5",
          "per": "tree",
          "action": "freeze_tree",
          "mode": "enforce",
          "created_at": "2026-12-01T13:18:20.426Z",
          "updated_at": "2026-12-01T13:18:20.426Z",
        },
        "pending_trees": [],
      },
    },
  },
  "GET /v1/tripwires": {
    "description":
      "The principal's trip-wires, oldest first, each with its metric, window, threshold, scope, action and mode. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "data": [
          {
            "id": "trw_q2j8kk4p0n1yb4vw1emj8xpk90",
            "object": "tripwire",
            "metric": "count",
            "asset": null,
            "scope": null,
            "window": 60,
            "threshold": "5",
            "per": "tree",
            "action": "freeze_tree",
            "mode": "enforce",
            "created_at": "2026-12-01T13:18:20.426Z",
            "updated_at": "2026-12-01T13:18:20.426Z",
          },
        ],
      },
    },
  },
  "GET /v1/tripwires/{id}": {
    "description":
      "One trip-wire of the principal. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read. Another principal's id is `not-found`.",
    "responses": {
      "200": {
        "id": "trw_q2j8kk4p0n1yb4vw1emj8xpk90",
        "object": "tripwire",
        "metric": "count",
        "asset": null,
        "scope": null,
        "window": 60,
        "threshold": "5",
        "per": "tree",
        "action": "freeze_tree",
        "mode": "enforce",
        "created_at": "2026-12-01T13:18:20.426Z",
        "updated_at": "2026-12-01T13:18:20.426Z",
      },
    },
  },
  "PATCH /v1/tripwires/{id}": {
    "description":
      "Changes a trip-wire (any of its fields; `mode` switches shadow and enforce). The change reaches every tree before the call returns, or `pending_trees` names those it has not reached. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Requires `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {
      "threshold": "10",
    },
    "responses": {
      "200": {
        "tripwire": {
          "id": "trw_q2j8kk4p0n1yb4vw1emj8xpk90",
          "object": "tripwire",
          "metric": "count",
          "asset": null,
          "scope": null,
          "window": 60,
          "threshold": "10",
          "per": "tree",
          "action": "freeze_tree",
          "mode": "enforce",
          "created_at": "2026-12-01T13:18:20.426Z",
          "updated_at": "2026-12-01T13:18:20.461Z",
        },
        "pending_trees": [],
      },
    },
  },
  "DELETE /v1/tripwires/{id}": {
    "description":
      "Deletes a trip-wire in every tree; what it froze acts again. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Takes an `Idempotency-Key` but does not need one: deleting twice ends the same.",
    "responses": {
      "200": {
        "id": "trw_q2j8kk4p0n1yb4vw1emj8xpk90",
        "object": "tripwire",
        "deleted": true,
        "pending_trees": [],
      },
    },
  },
  "POST /v1/tripwires/{id}/reset": {
    "description":
      "Clears, in every tree, what the trip-wire froze and its window counts, so it counts afresh. A trip-wire's freeze is a switch of its own: the principal's unfreeze does not clear it; this, deleting the rule, or unfreezing the frozen session does. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Requires `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {},
    "responses": {
      "200": {
        "id": "trw_q2j8kk4p0n1yb4vw1emj8xpk90",
        "object": "tripwire_reset",
        "cleared": 0,
        "pending_trees": [],
      },
    },
  },
  "GET /v1/events": {
    "description":
      "The principal's events, newest first, kept 30 days, whether or not a webhook endpoint exists: each is the envelope a webhook delivers. Filters: `type` (comma-separated or repeated), `created_after/before`; pages with `limit` and `starting_after`. For a live feed use `/v1/events/stream` or `remit listen`. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "data": [
          {
            "id": "evt_5wy5vv5w17wk47hctzqykkzgvw",
            "type": "session.revoked",
            "created_at": "2026-12-01T13:18:20.711Z",
            "principal": "prn_z898203drh5m891bc2mahjzprc",
            "data": {
              "session": "ses_seek7t1ncjj9b5kxtzvg725bqg",
              "tree": "tre_seek7t1ncjj9brf4jw0wcafm3r",
              "revoked_root": "ses_seek7t1ncjj9b5kxtzvg725bqg",
              "revoked_at": "2026-12-01T13:18:20.711Z",
            },
          },
        ],
        "has_more": true,
      },
    },
  },
  "GET /v1/events/{id}": {
    "description": "One event of the principal, exactly as a webhook delivers it. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "id": "evt_5wy5vv5w17wk47hctzqykkzgvw",
        "type": "session.revoked",
        "created_at": "2026-12-01T13:18:20.711Z",
        "principal": "prn_z898203drh5m891bc2mahjzprc",
        "data": {
          "session": "ses_seek7t1ncjj9b5kxtzvg725bqg",
          "tree": "tre_seek7t1ncjj9brf4jw0wcafm3r",
          "revoked_root": "ses_seek7t1ncjj9b5kxtzvg725bqg",
          "revoked_at": "2026-12-01T13:18:20.711Z",
        },
      },
    },
  },
};
