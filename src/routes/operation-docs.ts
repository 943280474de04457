/**
 * What the OpenAPI document says about each operation beyond its schemas: a description
 * (what it does, who may call it, idempotency, what it changes) and realistic examples of
 * the request body and of each 2xx response, keyed by `METHOD /path`. Kept in one place
 * so the route files stay about routing; `documentOperations` merges it into the
 * registry. A route may carry its description inline instead, never both.
 *
 * The response examples are bodies the service really returned (test/integration/
 * responses.test.ts), trimmed; test/integration/openapi.test.ts checks every operation has
 * them and that each validates against its own schema.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { GOVERNANCE_DOCS } from "./operation-docs-governance";

type OpenAPIRegistry = OpenAPIHono["openAPIRegistry"];

export interface OperationDoc {
  /** Omitted when the route carries its own. */
  description?: string;
  /** The example request body, for operations with one. */
  request?: unknown;
  /** Example bodies of the 2xx responses, by status. */
  responses: Partial<Record<200 | 201 | 202, unknown>>;
}

export const OPERATION_DOCS: Readonly<Record<string, OperationDoc>> = {
  ...GOVERNANCE_DOCS,
  "GET /healthz": {
    "description": 'Liveness of the worker: answers `{"ok": true}` without touching any Durable Object. Public, no authentication; for load balancers and uptime checks.',
    "responses": { "200": { "ok": true } },
  },
  "GET /.well-known/jwks.json": {
    "description":
      "The public keys that may sign session tokens: the current key and, after a rotation, the previous one. Public and cacheable for 5 minutes. Use it to verify a session token's signature yourself; to verify receipts use `/.well-known/receipt-keys.json`, which keeps every key that ever signed one.",
    "responses": {
      "200": {
        "keys": [
          { "kty": "OKP", "crv": "Ed25519", "x": "z4BXukxqqSq8HA556fN6EyVNwe-li_X2CJaYiqJOkfY", "kid": "e4hLDj7T2GXDZWU6", "alg": "EdDSA", "use": "sig" },
          { "kty": "OKP", "crv": "Ed25519", "x": "LZ8TEh8ASE69kt_CvN5BjpCk_YutHDT4mWZ-EDDeb9g", "kid": "k9isR76E5wqtHXvj", "alg": "EdDSA", "use": "sig" },
        ],
      },
    },
  },
  "GET /.well-known/receipt-keys.json": {
    "description":
      "Every key that ever signed a receipt, with the window in which it signed (`signing_from`, `signing_until`), newest first. Public and cacheable for 5 minutes. Offline verification (`@remit/sdk/verify`, `remit verify`) checks a receipt's signature against the key that was signing at the receipt's `at`, so receipts stay verifiable after any number of rotations.",
    "responses": {
      "200": {
        "keys": [
          {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "z4BXukxqqSq8HA556fN6EyVNwe-li_X2CJaYiqJOkfY",
            "kid": "e4hLDj7T2GXDZWU6",
            "alg": "EdDSA",
            "use": "sig",
            "signing_from": "2026-12-01T13:03:21.241Z",
            "signing_until": null,
          },
          {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "LZ8TEh8ASE69kt_CvN5BjpCk_YutHDT4mWZ-EDDeb9g",
            "kid": "k9isR76E5wqtHXvj",
            "alg": "EdDSA",
            "use": "sig",
            "signing_from": "2026-12-01T13:03:21.241Z",
            "signing_until": "2026-12-01T13:03:21.241Z",
          },
        ],
      },
    },
  },
  "GET /v1/assets": {
    "description":
      'The assets the service knows the decimals of: the ISO 4217 currencies and the ones configured in `ASSET_DECIMALS`. Public and cacheable. Amounts on the wire are always strings of integer minor units; the decimals here only say how to show them (`"1250"` USD is $12.50) and how validation errors phrase a fix. An asset not listed can still be budgeted: it counts whole units.',
    "responses": {
      "200": {
        "data": [
          { "asset": "ETH", "decimals": 18 },
          { "asset": "EUR", "decimals": 2, "symbol": "€" },
          { "asset": "JPY", "decimals": 0, "symbol": "¥" },
          { "asset": "USD", "decimals": 2, "symbol": "$" },
          { "asset": "USDC", "decimals": 6 },
        ],
      },
    },
  },
  "POST /v1/principals": {
    "description":
      "Create a principal (a customer account) and its first API key, an `admin` key. Operator only (`Authorization: Bearer <REMIT_ADMIN_TOKEN>`). The key's secret is in `api_key` and is returned only here: store it. `max_session_seconds` caps how long any session of the principal may last (default 24 h).",
    "request": { "name": "Acme", "max_session_seconds": 86400 },
    "responses": {
      "201": {
        "principal": {
          "id": "prn_deh21ytadbyfera9r3ar1y2av4",
          "object": "principal",
          "name": "Acme",
          "max_session_seconds": 86400,
          "frozen": false,
          "created_at": "2026-12-01T13:03:21.297Z",
        },
        "api_key": "rmt_deh21ytadbyfera9r3ar1y2av4_sneaj1sdg1c3qtstrj3emz2e2w_t70jtv5x27rzjaf09f4fets3fzzpkhh935exd5qajc7q3em8t6g0pnh91spba7475q42",
      },
    },
  },
  "POST /v1/api-keys": {
    "description":
      "Create another API key for the calling principal, e.g. to rotate keys or give a person the `approver` or `read_only` role. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. The secret is in `api_key` and returned only once; an idempotent replay answers without it. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": { "label": "ci-deploy", "role": "admin" },
    "responses": {
      "201": {
        "id": "key_6c5tcnbjsj3bk743gbhqa1smh4",
        "object": "api_key",
        "prefix": "rmt_deh21yta",
        "label": "ci-deploy",
        "role": "admin",
        "created_at": "2026-12-01T13:03:21.323Z",
        "revoked_at": null,
        "api_key": "rmt_deh21ytadbyfera9r3ar1y2av4_6c5tcnbjsj3bk743gbhqa1smh4_nmpyy59q541q00mab0qzapffjear9n1sd2dmwr4zx1w1apkfk890mhw3tvb3xznf7bne",
      },
    },
  },
  "GET /v1/api-keys": {
    "description":
      "The calling principal's API keys with their ids, labels, roles and when they were made or revoked; never their secrets. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "data": [
          {
            "id": "key_sneaj1sdg1c3qtstrj3emz2e2w",
            "object": "api_key",
            "prefix": "rmt_deh21yta",
            "label": "first key",
            "role": "admin",
            "created_at": "2026-12-01T13:03:21.297Z",
            "revoked_at": null,
          },
          {
            "id": "key_6c5tcnbjsj3bk743gbhqa1smh4",
            "object": "api_key",
            "prefix": "rmt_deh21yta",
            "label": "ci-deploy",
            "role": "admin",
            "created_at": "2026-12-01T13:03:21.323Z",
            "revoked_at": null,
          },
          {
            "id": "key_0z0y6ajfrxg7smqwet3pxajs0c",
            "object": "api_key",
            "prefix": "rmt_deh21yta",
            "label": "ci-deploy",
            "role": "admin",
            "created_at": "2026-12-01T13:03:21.341Z",
            "revoked_at": null,
          },
        ],
      },
    },
  },
  "DELETE /v1/api-keys/{id}": {
    "description":
      "Revoke an API key: from the moment this returns, calls with it are `unauthenticated`. Sessions granted with it keep running (revoke those separately). Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "responses": {
      "200": {
        "id": "key_6c5tcnbjsj3bk743gbhqa1smh4",
        "object": "api_key",
        "prefix": "rmt_deh21yta",
        "label": "ci-deploy",
        "role": "admin",
        "created_at": "2026-12-01T13:03:21.323Z",
        "revoked_at": "2026-12-01T13:03:21.364Z",
      },
    },
  },
  "POST /v1/webhook-endpoints": {
    "request": { "url": "https://hooks.acme.example/remit", "events": ["*"], "description": "Every event, to the audit log" },
    "responses": {
      "201": {
        "id": "whe_cd1ptx5kmpean6trp83r1z62kr",
        "url": "https://hooks.acme.example/remit",
        "events": ["*"],
        "description": null,
        "disabled": false,
        "created_at": "2026-12-01T13:03:21.387Z",
        "updated_at": "2026-12-01T13:03:21.387Z",
        "object": "webhook_endpoint",
        "secret": "whsec_EW5auLsnc6w+tSH+2GY4GA+i0fHhzYfJ6blgXIKEaGg=",
      },
    },
  },
  "GET /v1/webhook-endpoints": {
    "description":
      "The calling principal's webhook endpoints, without their secrets. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "data": [
          {
            "id": "whe_cd1ptx5kmpean6trp83r1z62kr",
            "url": "https://hooks.acme.example/remit",
            "events": ["*"],
            "description": null,
            "disabled": false,
            "created_at": "2026-12-01T13:03:21.387Z",
            "updated_at": "2026-12-01T13:03:21.387Z",
            "object": "webhook_endpoint",
          },
        ],
      },
    },
  },
  "GET /v1/webhook-endpoints/{id}": {
    "description": "One webhook endpoint, without its secret. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "id": "whe_cd1ptx5kmpean6trp83r1z62kr",
        "url": "https://hooks.acme.example/remit",
        "events": ["*"],
        "description": null,
        "disabled": false,
        "created_at": "2026-12-01T13:03:21.387Z",
        "updated_at": "2026-12-01T13:03:21.387Z",
        "object": "webhook_endpoint",
      },
    },
  },
  "PATCH /v1/webhook-endpoints/{id}": {
    "description":
      "Change an endpoint's `url`, `events` or `description`, or disable it (`disabled: true`: it receives nothing, pending deliveries to it fail). Fields left out stay as they are. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": { "description": "Every event, to the audit log" },
    "responses": {
      "200": {
        "id": "whe_cd1ptx5kmpean6trp83r1z62kr",
        "url": "https://hooks.acme.example/remit",
        "events": ["*"],
        "description": "Every event, to the audit log",
        "disabled": false,
        "created_at": "2026-12-01T13:03:21.387Z",
        "updated_at": "2026-12-01T13:03:21.411Z",
        "object": "webhook_endpoint",
      },
    },
  },
  "POST /v1/webhook-endpoints/{id}/rotate-secret": {
    "request": {},
    "responses": {
      "200": {
        "id": "whe_cd1ptx5kmpean6trp83r1z62kr",
        "url": "https://hooks.acme.example/remit",
        "events": ["*"],
        "description": "Every event, to the audit log",
        "disabled": false,
        "created_at": "2026-12-01T13:03:21.387Z",
        "updated_at": "2026-12-01T13:03:21.420Z",
        "object": "webhook_endpoint",
        "secret": "whsec_JGKMxgOEnfwq3kLQh6zo0ItnHLeFi2iVIVE8ZC471fg=",
      },
    },
  },
  "POST /v1/sessions": {
    "description":
      "Grant a root session to an agent's public key: what it may do (`scopes`), for how long (`not_before`, `expires_at`, at most the principal's `max_session_seconds`), and how much (`limits`: calls, rate, budgets per asset and period, approval lines). Returns the session and its token; the token is bound (DPoP) to `agent_jwk`, so it is useless without the agent's private key. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`. Emits `session.granted`.",
    "request": {
      "agent_jwk": { "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
      "scopes": ["http:GET:api.example.com/*"],
      "expires_at": "2026-12-01T18:00:00Z",
      "max_depth": 3,
      "label": "research-agent",
      "limits": {
        "calls": 1000,
        "rate": { "requests": 1000, "per_seconds": 60 },
        "budgets": [
          { "asset": "USD", "amount": "1000000" },
          { "asset": "USD", "amount": "5000", "period": "day" },
        ],
      },
    },
    "responses": {
      "201": {
        "session": {
          "id": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
          "object": "session",
          "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
          "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
          "parent": null,
          "depth": 0,
          "label": "research-agent",
          "status": "active",
          "scopes": ["http:GET:api.example.com/*"],
          "not_before": "2026-12-01T13:03:21.438Z",
          "expires_at": "2026-12-01T14:03:21.429Z",
          "max_depth": 3,
          "limits": {
            "calls": 1000,
            "rate": { "requests": 1000, "per_seconds": 60 },
            "budgets": [
              { "asset": "USD", "amount": "1000000" },
              { "asset": "USD", "amount": "5000", "period": "day" },
            ],
          },
          "agent_jkt": "_lYn_q66jn9-MRvFRrMXgGBzeQHRrnajKxpVbFbLWQ4",
          "created_at": "2026-12-01T13:03:21.466Z",
          "revoked_at": null,
          "tripped": [],
          "counters": {
            "calls": { "limit": 1000, "used": 0, "remaining": 1000 },
            "budgets": [
              {
                "asset": "USD",
                "period": "day",
                "limit": "5000",
                "spent": "0",
                "held": "0",
                "remaining": "5000",
                "window_start": "2026-12-01T00:00:00.000Z",
                "resets_at": "2026-12-02T00:00:00.000Z",
              },
              { "asset": "USD", "period": null, "limit": "1000000", "spent": "0", "held": "0", "remaining": "1000000", "window_start": null, "resets_at": null },
            ],
            "rate": { "requests": 1000, "per_seconds": 60, "remaining": 1000, "reset_seconds": 0 },
            "rate_limited": 0,
          },
        },
        "token":
          "eyJhbGciOiJFZERTQSIsInR5cCI6InJlbWl0LXNlc3Npb24rand0Iiwia2lkIjoiZTRoTERqN1QyR1hEWldVNiJ9.eyJpc3MiOiJyZW1pdCIsInN1YiI6InNlc19oMmhjemdmcndudDBwdm1tZm1td2pmdjdwdCIsInRyZWUiOiJ0cmVfaDJoY3pnZnJ3bnQwcHkzMnBtZG13ZWM1YjgiLCJwcm4iOiJwcm5fZGVoMjF5dGFkYnlmZXJhOXIzYXIxeTJhdjQiLCJuYmYiOjE3OTYxMzAyMDEsImV4cCI6MTc5NjEzMzgwMSwiY25mIjp7ImprdCI6Il9sWW5fcTY2am45LU1SdkZSck1YZ0dCemVRSFJybmFqS3hwVmJGYkxXUTQifSwic2NvcGUiOiJodHRwOkdFVDphcGkuZXhhbXBsZS5jb20vKiIsImRlcHRoIjowLCJpYXQiOjE3OTYxMzAyMDEsImp0aSI6IjQ5MmVhZTE4LTg1NTktNGJjNy1iOThjLTFhOTAzMWYxNmI0ZSJ9.6vQQ2KGM6cEQD_SRj9-cTaKDO6_Iar8ksomg2Yhdb9mF5ywstH8JsjGGmn0od5xxRr7fFqA9agSInfUubQeyCg",
      },
    },
  },
  "GET /v1/sessions/{id}": {
    "description":
      "One session of the calling principal, root or delegated, with its live counters: calls used, each budget's spent, held and remaining in its current period, and the rate. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "id": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
        "object": "session",
        "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
        "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
        "parent": null,
        "depth": 0,
        "label": "research-agent",
        "status": "active",
        "scopes": ["http:GET:api.example.com/*"],
        "not_before": "2026-12-01T13:03:21.438Z",
        "expires_at": "2026-12-01T14:03:21.429Z",
        "max_depth": 3,
        "limits": {
          "calls": 1000,
          "rate": { "requests": 1000, "per_seconds": 60 },
          "budgets": [
            { "asset": "USD", "amount": "1000000" },
            { "asset": "USD", "amount": "5000", "period": "day" },
          ],
        },
        "agent_jkt": "_lYn_q66jn9-MRvFRrMXgGBzeQHRrnajKxpVbFbLWQ4",
        "created_at": "2026-12-01T13:03:21.466Z",
        "revoked_at": null,
        "tripped": [],
        "counters": {
          "calls": { "limit": 1000, "used": 0, "remaining": 1000 },
          "budgets": [
            {
              "asset": "USD",
              "period": "day",
              "limit": "5000",
              "spent": "0",
              "held": "0",
              "remaining": "5000",
              "window_start": "2026-12-01T00:00:00.000Z",
              "resets_at": "2026-12-02T00:00:00.000Z",
            },
            { "asset": "USD", "period": null, "limit": "1000000", "spent": "0", "held": "0", "remaining": "1000000", "window_start": null, "resets_at": null },
          ],
          "rate": { "requests": 1000, "per_seconds": 60, "remaining": 1000, "reset_seconds": 0 },
          "rate_limited": 0,
        },
      },
    },
  },
  "GET /v1/session": {
    "description":
      "The calling agent's own session and what remains of it (calls, budgets, rate), so an agent can plan before it asks. Called by an agent: `Authorization: DPoP <session token>` and a fresh `DPoP` proof for this request, signed by the session's key.",
    "responses": {
      "200": {
        "id": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
        "object": "session",
        "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
        "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
        "parent": null,
        "depth": 0,
        "label": "research-agent",
        "status": "active",
        "scopes": ["http:GET:api.example.com/*"],
        "not_before": "2026-12-01T13:03:21.438Z",
        "expires_at": "2026-12-01T14:03:21.429Z",
        "max_depth": 3,
        "limits": {
          "calls": 1000,
          "rate": { "requests": 1000, "per_seconds": 60 },
          "budgets": [
            { "asset": "USD", "amount": "1000000" },
            { "asset": "USD", "amount": "5000", "period": "day" },
          ],
        },
        "agent_jkt": "_lYn_q66jn9-MRvFRrMXgGBzeQHRrnajKxpVbFbLWQ4",
        "created_at": "2026-12-01T13:03:21.466Z",
        "revoked_at": null,
        "tripped": [],
        "counters": {
          "calls": { "limit": 1000, "used": 0, "remaining": 1000 },
          "budgets": [
            {
              "asset": "USD",
              "period": "day",
              "limit": "5000",
              "spent": "0",
              "held": "0",
              "remaining": "5000",
              "window_start": "2026-12-01T00:00:00.000Z",
              "resets_at": "2026-12-02T00:00:00.000Z",
            },
            { "asset": "USD", "period": null, "limit": "1000000", "spent": "0", "held": "0", "remaining": "1000000", "window_start": null, "resets_at": null },
          ],
          "rate": { "requests": 1000, "per_seconds": 60, "remaining": 999, "reset_seconds": 1 },
          "rate_limited": 0,
        },
      },
    },
  },
  "POST /v1/delegations": {
    "description":
      "Delegate part of the calling agent's authority to another agent key: a child session whose scopes are covered by the parent's, whose window lies inside the parent's and whose every limit is at most the parent's. Omitted fields are inherited; anything wider is refused (`delegation-widens`, naming each field), never clamped. Spends of the child count against every ancestor's budgets. Called by an agent: `Authorization: DPoP <session token>` and a fresh `DPoP` proof for this request, signed by the session's key. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`. Emits `session.delegated`.",
    "request": {
      "agent_jwk": { "kty": "OKP", "crv": "Ed25519", "x": "ZSc-rwTP54CdwIA3dg4bPKCttCjEYPmLfUBJF1VGREA" },
      "scopes": ["http:GET:api.example.com/v1/search/*"],
      "label": "web-search",
      "limits": {
        "calls": 100,
        "rate": { "requests": 10, "per_seconds": 60 },
        "budgets": [
          { "asset": "USD", "amount": "20000" },
          { "asset": "USD", "amount": "500", "period": "day" },
        ],
      },
    },
    "responses": {
      "201": {
        "session": {
          "id": "ses_h2hczgfrwnt0p7qd4bs7n794ab",
          "object": "session",
          "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
          "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
          "parent": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
          "depth": 1,
          "label": "web-search",
          "status": "active",
          "scopes": ["http:GET:api.example.com/*"],
          "not_before": "2026-12-01T13:03:21.600Z",
          "expires_at": "2026-12-01T14:03:21.429Z",
          "max_depth": 2,
          "limits": {
            "calls": 1000,
            "rate": { "requests": 1000, "per_seconds": 60 },
            "budgets": [
              { "asset": "USD", "amount": "1000000" },
              { "asset": "USD", "amount": "5000", "period": "day" },
            ],
          },
          "agent_jkt": "33l4fEUWGgEKlmzQmoD-K-Ed4iegstMRIfa0GyeVp00",
          "created_at": "2026-12-01T13:03:21.600Z",
          "revoked_at": null,
          "tripped": [],
          "counters": {
            "calls": { "limit": 1000, "used": 0, "remaining": 1000 },
            "budgets": [
              {
                "asset": "USD",
                "period": "day",
                "limit": "5000",
                "spent": "0",
                "held": "0",
                "remaining": "5000",
                "window_start": "2026-12-01T00:00:00.000Z",
                "resets_at": "2026-12-02T00:00:00.000Z",
              },
              { "asset": "USD", "period": null, "limit": "1000000", "spent": "0", "held": "0", "remaining": "1000000", "window_start": null, "resets_at": null },
            ],
            "rate": { "requests": 1000, "per_seconds": 60, "remaining": 1000, "reset_seconds": 0 },
            "rate_limited": 0,
          },
        },
        "token":
          "eyJhbGciOiJFZERTQSIsInR5cCI6InJlbWl0LXNlc3Npb24rand0Iiwia2lkIjoiZTRoTERqN1QyR1hEWldVNiJ9.eyJpc3MiOiJyZW1pdCIsInN1YiI6InNlc19oMmhjemdmcndudDBwN3FkNGJzN243OTRhYiIsInRyZWUiOiJ0cmVfaDJoY3pnZnJ3bnQwcHkzMnBtZG13ZWM1YjgiLCJwcm4iOiJwcm5fZGVoMjF5dGFkYnlmZXJhOXIzYXIxeTJhdjQiLCJuYmYiOjE3OTYxMzAyMDEsImV4cCI6MTc5NjEzMzgwMSwiY25mIjp7ImprdCI6IjMzbDRmRVVXR2dFS2xtelFtb0QtSy1FZDRpZWdzdE1SSWZhMEd5ZVZwMDAifSwic2NvcGUiOiJodHRwOkdFVDphcGkuZXhhbXBsZS5jb20vKiIsImRlcHRoIjoxLCJpYXQiOjE3OTYxMzAyMDEsImp0aSI6ImIyODMyZDE4LTI5NmMtNDAyMS05ZWExLWFmM2ZmN2I3MGUyMSJ9.n9nED4Sj16HXGBvUtI-3t1AU26FTbTFWV81vD0YlTk7D-LG7vFYGRPTti-FbOK2j58S3hY8cBfLe0wRKtVa_CA",
      },
    },
  },
  "POST /v1/authorize": {
    "description":
      "Ask to do one action: `scope` (e.g. `http:POST:api.example.com/v1/pay`) and an optional `amount`. The scope must be covered, and the call and amount allowed, by the session and every ancestor. On success the call is counted, the amount debited up the tree, and a signed receipt returned with the session's counters after it; a refusal of authority (`scope-denied`, `budget-exceeded`, `calls-exhausted`) is receipted too and changes nothing else. Over an approval line the answer is `202` with a pending approval: the amount is reserved until someone decides (poll `Location`). Called by an agent: `Authorization: DPoP <session token>` and a fresh `DPoP` proof for this request, signed by the session's key. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {
      "scope": "http:GET:api.example.com/x",
      "amount": { "asset": "USD", "value": "7" },
      "request_digest": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    },
    "responses": {
      "200": {
        "receipt": {
          "receipt": {
            "v": 1,
            "id": "rcp_h2hczgfrwnt0prwva7phgc9chn",
            "kind": "authorize",
            "scope": "http:GET:api.example.com/x",
            "asset": "USD",
            "amount": "7",
            "request_digest": null,
            "reason": null,
            "hold": null,
            "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
            "path": ["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],
            "charged_to": [{ "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt", "asset": "USD", "period": "day", "window_start": "2026-12-01T00:00:00.000Z" }],
            "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
            "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
            "seq": 1,
            "at": "2026-12-01T13:03:21.676Z",
            "kid": "e4hLDj7T2GXDZWU6",
          },
          "bytes":
            '{"amount":"7","asset":"USD","at":"2026-12-01T13:03:21.676Z","charged_to":[{"asset":"USD","period":"day","session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","window_start":"2026-12-01T00:00:00.000Z"}],"hold":null,"id":"rcp_h2hczgfrwnt0prwva7phgc9chn","kid":"e4hLDj7T2GXDZWU6","kind":"authorize","path":["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],"principal":"prn_deh21ytadbyfera9r3ar1y2av4","reason":null,"request_digest":null,"scope":"http:GET:api.example.com/x","seq":1,"session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","tree":"tre_h2hczgfrwnt0py32pmdmwec5b8","v":1}',
          "signature": "PfOzpaHeaQjk_rdm9f0MotNTqdkC2jXFq3VG8hL1t77cT0jF08YCCXJUq2prbW_WA_LteJoKrEaR724kWzWHAQ",
          "leaf_hash": "0e7a38046a9f0ecb5677697037d6e970d53666e42bcd70b82d286898b06b59d9",
        },
        "session": {
          "id": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
          "object": "session",
          "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
          "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
          "parent": null,
          "depth": 0,
          "label": "research-agent",
          "status": "active",
          "scopes": ["http:GET:api.example.com/*"],
          "not_before": "2026-12-01T13:03:21.438Z",
          "expires_at": "2026-12-01T14:03:21.429Z",
          "max_depth": 3,
          "limits": {
            "calls": 1000,
            "rate": { "requests": 1000, "per_seconds": 60 },
            "budgets": [
              { "asset": "USD", "amount": "1000000" },
              { "asset": "USD", "amount": "5000", "period": "day" },
            ],
          },
          "agent_jkt": "_lYn_q66jn9-MRvFRrMXgGBzeQHRrnajKxpVbFbLWQ4",
          "created_at": "2026-12-01T13:03:21.466Z",
          "revoked_at": null,
          "tripped": [],
          "counters": {
            "calls": { "limit": 1000, "used": 1, "remaining": 999 },
            "budgets": [
              {
                "asset": "USD",
                "period": "day",
                "limit": "5000",
                "spent": "7",
                "held": "0",
                "remaining": "4993",
                "window_start": "2026-12-01T00:00:00.000Z",
                "resets_at": "2026-12-02T00:00:00.000Z",
              },
              { "asset": "USD", "period": null, "limit": "1000000", "spent": "7", "held": "0", "remaining": "999993", "window_start": null, "resets_at": null },
            ],
            "rate": { "requests": 1000, "per_seconds": 60, "remaining": 998, "reset_seconds": 1 },
            "rate_limited": 0,
          },
        },
      },
      "202": {
        "approval": {
          "id": "apr_42p0x2cez1k9dk45pbgrcnketf",
          "object": "approval",
          "status": "pending",
          "kind": "authorize",
          "session": "ses_42p0x2cez1k9dxyxjv5w9akhwt",
          "tree": "tre_42p0x2cez1k9df2mnpp3h2wc40",
          "label": "payments-agent",
          "path": ["ses_42p0x2cez1k9dxyxjv5w9akhwt"],
          "scope": "http:POST:payments.example.com/charge",
          "asset": "USD",
          "amount": "500",
          "request_digest": null,
          "approvers_needed": 1,
          "approved_by": [],
          "expires_at": "2026-12-01T13:13:22.609Z",
          "created_at": "2026-12-01T13:03:22.609Z",
          "decided_at": null,
          "note": null,
          "reason": null,
          "receipt": null,
          "hold": null,
        },
      },
    },
  },
  "POST /v1/holds": {
    "description":
      "Reserve an amount for a scope against every budget up the tree, for an action whose final price is not known yet (e.g. a metered call). Capture it later (`/capture`, all or part), or void it; an uncaptured hold is released at `expires_at` (`expires_in`, default 900 s, capped at the session's end). Over an approval line the answer is `202` with a pending approval. Called by an agent: `Authorization: DPoP <session token>` and a fresh `DPoP` proof for this request, signed by the session's key. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": { "scope": "http:GET:api.example.com/y", "amount": { "asset": "USD", "value": "10" }, "expires_in": 900 },
    "responses": {
      "201": {
        "id": "hld_h2hczgfrwnt0prdrfdqq7zz0ry",
        "object": "hold",
        "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
        "scope": "http:GET:api.example.com/y",
        "asset": "USD",
        "amount": "10",
        "captured": null,
        "status": "open",
        "expires_at": "2026-12-01T13:18:21.800Z",
        "created_at": "2026-12-01T13:03:21.800Z",
      },
      "202": {
        "approval": {
          "id": "apr_42p0x2cez1k9dh90h3td2zk69d",
          "object": "approval",
          "status": "pending",
          "kind": "hold",
          "session": "ses_42p0x2cez1k9dxyxjv5w9akhwt",
          "tree": "tre_42p0x2cez1k9df2mnpp3h2wc40",
          "label": "payments-agent",
          "path": ["ses_42p0x2cez1k9dxyxjv5w9akhwt"],
          "scope": "http:POST:payments.example.com/charge",
          "asset": "USD",
          "amount": "600",
          "request_digest": null,
          "approvers_needed": 1,
          "approved_by": [],
          "expires_at": "2026-12-01T13:13:22.639Z",
          "created_at": "2026-12-01T13:03:22.639Z",
          "decided_at": null,
          "note": null,
          "reason": null,
          "receipt": null,
          "hold": null,
        },
      },
    },
  },
  "POST /v1/holds/{id}/capture": {
    "description":
      "Spend up to the held amount (all of it when `amount` is omitted); the rest is released at once. Writes a `capture` receipt. Only the session that placed the hold may capture it, and only while it is open (`hold-closed` otherwise). Called by an agent: `Authorization: DPoP <session token>` and a fresh `DPoP` proof for this request, signed by the session's key. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": { "amount": "4" },
    "responses": {
      "200": {
        "hold": {
          "id": "hld_h2hczgfrwnt0prdrfdqq7zz0ry",
          "object": "hold",
          "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
          "scope": "http:GET:api.example.com/y",
          "asset": "USD",
          "amount": "10",
          "captured": "4",
          "status": "captured",
          "expires_at": "2026-12-01T13:18:21.800Z",
          "created_at": "2026-12-01T13:03:21.800Z",
        },
        "receipt": {
          "receipt": {
            "v": 1,
            "id": "rcp_h2hczgfrwnt0pqesw2tkk4xqqz",
            "kind": "capture",
            "scope": "http:GET:api.example.com/y",
            "asset": "USD",
            "amount": "4",
            "request_digest": null,
            "reason": null,
            "hold": "hld_h2hczgfrwnt0prdrfdqq7zz0ry",
            "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
            "path": ["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],
            "charged_to": [{ "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt", "asset": "USD", "period": "day", "window_start": "2026-12-01T00:00:00.000Z" }],
            "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
            "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
            "seq": 2,
            "at": "2026-12-01T13:03:21.844Z",
            "kid": "e4hLDj7T2GXDZWU6",
          },
          "bytes":
            '{"amount":"4","asset":"USD","at":"2026-12-01T13:03:21.844Z","charged_to":[{"asset":"USD","period":"day","session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","window_start":"2026-12-01T00:00:00.000Z"}],"hold":"hld_h2hczgfrwnt0prdrfdqq7zz0ry","id":"rcp_h2hczgfrwnt0pqesw2tkk4xqqz","kid":"e4hLDj7T2GXDZWU6","kind":"capture","path":["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],"principal":"prn_deh21ytadbyfera9r3ar1y2av4","reason":null,"request_digest":null,"scope":"http:GET:api.example.com/y","seq":2,"session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","tree":"tre_h2hczgfrwnt0py32pmdmwec5b8","v":1}',
          "signature": "M-qpv98ZRqrDO8EHE0w4FnbrwNCz5V1zEWSea-Yu81CPyga1cwYOmXK-00jgW7CbcQqNyVGxH6v2u0ibxd3VAA",
          "leaf_hash": "92614814b609e4c32aab390f2ec602b312322cac2230cbbb26ec2a33061002df",
        },
      },
    },
  },
  "POST /v1/holds/{id}/void": {
    "description":
      "Release a hold without spending: the whole amount returns to every budget it was reserved in. Writes a `void` receipt. Allowed even after the session was revoked or frozen, so reservations never leak. Called by an agent: `Authorization: DPoP <session token>` and a fresh `DPoP` proof for this request, signed by the session's key. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {},
    "responses": {
      "200": {
        "hold": {
          "id": "hld_h2hczgfrwnt0pmpbaz2cbds832",
          "object": "hold",
          "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
          "scope": "http:GET:api.example.com/z",
          "asset": "USD",
          "amount": "3",
          "captured": null,
          "status": "voided",
          "expires_at": "2026-12-01T13:18:21.872Z",
          "created_at": "2026-12-01T13:03:21.872Z",
        },
        "receipt": {
          "receipt": {
            "v": 1,
            "id": "rcp_h2hczgfrwnt0ptwchwfvv9wtdv",
            "kind": "void",
            "scope": "http:GET:api.example.com/z",
            "asset": "USD",
            "amount": "3",
            "request_digest": null,
            "reason": null,
            "hold": "hld_h2hczgfrwnt0pmpbaz2cbds832",
            "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
            "path": ["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],
            "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
            "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
            "seq": 3,
            "at": "2026-12-01T13:03:21.892Z",
            "kid": "e4hLDj7T2GXDZWU6",
          },
          "bytes":
            '{"amount":"3","asset":"USD","at":"2026-12-01T13:03:21.892Z","hold":"hld_h2hczgfrwnt0pmpbaz2cbds832","id":"rcp_h2hczgfrwnt0ptwchwfvv9wtdv","kid":"e4hLDj7T2GXDZWU6","kind":"void","path":["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],"principal":"prn_deh21ytadbyfera9r3ar1y2av4","reason":null,"request_digest":null,"scope":"http:GET:api.example.com/z","seq":3,"session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","tree":"tre_h2hczgfrwnt0py32pmdmwec5b8","v":1}',
          "signature": "0nGkgATSaUYuFJhcZ3qmT3aBUtB5k4Y0tVqmYOcVImZOmgGuvnoy47QTau8NJ8ojIf3d6uZQ4hXUaWmD7hv2Aw",
          "leaf_hash": "83012bb52114f09192fe866403481bb46d454d1237a06d9e608cb2c9a5d8a8da",
        },
      },
    },
  },
  "GET /v1/sessions/{id}/tree": {
    "responses": {
      "200": {
        "session": {
          "id": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
          "object": "session",
          "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
          "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
          "parent": null,
          "depth": 0,
          "label": "research-agent",
          "status": "active",
          "scopes": ["http:GET:api.example.com/*"],
          "not_before": "2026-12-01T13:03:21.438Z",
          "expires_at": "2026-12-01T14:03:21.429Z",
          "max_depth": 3,
          "limits": {
            "calls": 1000,
            "rate": { "requests": 1000, "per_seconds": 60 },
            "budgets": [
              { "asset": "USD", "amount": "1000000" },
              { "asset": "USD", "amount": "5000", "period": "day" },
            ],
          },
          "agent_jkt": "_lYn_q66jn9-MRvFRrMXgGBzeQHRrnajKxpVbFbLWQ4",
          "created_at": "2026-12-01T13:03:21.466Z",
          "revoked_at": null,
          "tripped": [],
          "counters": {
            "calls": { "limit": 1000, "used": 3, "remaining": 997 },
            "budgets": [
              {
                "asset": "USD",
                "period": "day",
                "limit": "5000",
                "spent": "11",
                "held": "0",
                "remaining": "4989",
                "window_start": "2026-12-01T00:00:00.000Z",
                "resets_at": "2026-12-02T00:00:00.000Z",
              },
              { "asset": "USD", "period": null, "limit": "1000000", "spent": "11", "held": "0", "remaining": "999989", "window_start": null, "resets_at": null },
            ],
            "rate": { "requests": 1000, "per_seconds": 60, "remaining": 997, "reset_seconds": 1 },
            "rate_limited": 0,
          },
        },
        "descendants": [
          {
            "id": "ses_h2hczgfrwnt0p7qd4bs7n794ab",
            "object": "session",
            "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
            "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
            "parent": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
            "depth": 1,
            "label": "web-search",
            "status": "active",
            "scopes": ["http:GET:api.example.com/*"],
            "not_before": "2026-12-01T13:03:21.600Z",
            "expires_at": "2026-12-01T14:03:21.429Z",
            "max_depth": 2,
            "limits": {
              "calls": 1000,
              "rate": { "requests": 1000, "per_seconds": 60 },
              "budgets": [
                { "asset": "USD", "amount": "1000000" },
                { "asset": "USD", "amount": "5000", "period": "day" },
              ],
            },
            "agent_jkt": "33l4fEUWGgEKlmzQmoD-K-Ed4iegstMRIfa0GyeVp00",
            "created_at": "2026-12-01T13:03:21.600Z",
            "revoked_at": null,
            "tripped": [],
            "counters": {
              "calls": { "limit": 1000, "used": 0, "remaining": 1000 },
              "budgets": [
                {
                  "asset": "USD",
                  "period": "day",
                  "limit": "5000",
                  "spent": "0",
                  "held": "0",
                  "remaining": "5000",
                  "window_start": "2026-12-01T00:00:00.000Z",
                  "resets_at": "2026-12-02T00:00:00.000Z",
                },
                { "asset": "USD", "period": null, "limit": "1000000", "spent": "0", "held": "0", "remaining": "1000000", "window_start": null, "resets_at": null },
              ],
              "rate": { "requests": 1000, "per_seconds": 60, "remaining": 1000, "reset_seconds": 0 },
              "rate_limited": 0,
            },
          },
        ],
        "has_more": false,
        "next_cursor": null,
      },
    },
  },
  "GET /v1/sessions/{id}/receipts": {
    "description":
      "The session's receipts in the order they were written: spends, captures, voids, expiries and denials, each with its signature. Pages with `limit` (default 20, at most 100) and `starting_after` (the last id of the previous page) while `has_more`. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "data": [
          {
            "receipt": {
              "amount": "7",
              "asset": "USD",
              "at": "2026-12-01T13:03:21.676Z",
              "charged_to": [{ "asset": "USD", "period": "day", "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt", "window_start": "2026-12-01T00:00:00.000Z" }],
              "hold": null,
              "id": "rcp_h2hczgfrwnt0prwva7phgc9chn",
              "kid": "e4hLDj7T2GXDZWU6",
              "kind": "authorize",
              "path": ["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],
              "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
              "reason": null,
              "request_digest": null,
              "scope": "http:GET:api.example.com/x",
              "seq": 1,
              "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
              "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
              "v": 1,
            },
            "bytes":
              '{"amount":"7","asset":"USD","at":"2026-12-01T13:03:21.676Z","charged_to":[{"asset":"USD","period":"day","session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","window_start":"2026-12-01T00:00:00.000Z"}],"hold":null,"id":"rcp_h2hczgfrwnt0prwva7phgc9chn","kid":"e4hLDj7T2GXDZWU6","kind":"authorize","path":["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],"principal":"prn_deh21ytadbyfera9r3ar1y2av4","reason":null,"request_digest":null,"scope":"http:GET:api.example.com/x","seq":1,"session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","tree":"tre_h2hczgfrwnt0py32pmdmwec5b8","v":1}',
            "signature": "PfOzpaHeaQjk_rdm9f0MotNTqdkC2jXFq3VG8hL1t77cT0jF08YCCXJUq2prbW_WA_LteJoKrEaR724kWzWHAQ",
            "leaf_hash": "0e7a38046a9f0ecb5677697037d6e970d53666e42bcd70b82d286898b06b59d9",
          },
        ],
        "has_more": true,
      },
    },
  },
  "GET /v1/receipts/{id}": {
    "description":
      "One signed receipt: the receipt, its exact signed bytes (`bytes`), the Ed25519 `signature` by the key `kid` (see `/.well-known/receipt-keys.json`) and its Merkle `leaf_hash`. A principal reads any receipt of its trees; an agent reads those of its own session and its descendants. Either a principal's API key or an agent's token and proof.",
    "responses": {
      "200": {
        "receipt": {
          "amount": "7",
          "asset": "USD",
          "at": "2026-12-01T13:03:21.676Z",
          "charged_to": [{ "asset": "USD", "period": "day", "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt", "window_start": "2026-12-01T00:00:00.000Z" }],
          "hold": null,
          "id": "rcp_h2hczgfrwnt0prwva7phgc9chn",
          "kid": "e4hLDj7T2GXDZWU6",
          "kind": "authorize",
          "path": ["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],
          "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
          "reason": null,
          "request_digest": null,
          "scope": "http:GET:api.example.com/x",
          "seq": 1,
          "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
          "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
          "v": 1,
        },
        "bytes":
          '{"amount":"7","asset":"USD","at":"2026-12-01T13:03:21.676Z","charged_to":[{"asset":"USD","period":"day","session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","window_start":"2026-12-01T00:00:00.000Z"}],"hold":null,"id":"rcp_h2hczgfrwnt0prwva7phgc9chn","kid":"e4hLDj7T2GXDZWU6","kind":"authorize","path":["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],"principal":"prn_deh21ytadbyfera9r3ar1y2av4","reason":null,"request_digest":null,"scope":"http:GET:api.example.com/x","seq":1,"session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","tree":"tre_h2hczgfrwnt0py32pmdmwec5b8","v":1}',
        "signature": "PfOzpaHeaQjk_rdm9f0MotNTqdkC2jXFq3VG8hL1t77cT0jF08YCCXJUq2prbW_WA_LteJoKrEaR724kWzWHAQ",
        "leaf_hash": "0e7a38046a9f0ecb5677697037d6e970d53666e42bcd70b82d286898b06b59d9",
      },
    },
  },
  "GET /v1/receipts/{id}/proof": {
    "responses": {
      "200": {
        "object": "receipt_proof",
        "id": "rcp_h2hczgfrwnt0prwva7phgc9chn",
        "status": "pending",
        "stage": "ledger",
        "receipt": {
          "receipt": {
            "amount": "7",
            "asset": "USD",
            "at": "2026-12-01T13:03:21.676Z",
            "charged_to": [{ "asset": "USD", "period": "day", "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt", "window_start": "2026-12-01T00:00:00.000Z" }],
            "hold": null,
            "id": "rcp_h2hczgfrwnt0prwva7phgc9chn",
            "kid": "e4hLDj7T2GXDZWU6",
            "kind": "authorize",
            "path": ["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],
            "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
            "reason": null,
            "request_digest": null,
            "scope": "http:GET:api.example.com/x",
            "seq": 1,
            "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
            "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
            "v": 1,
          },
          "bytes":
            '{"amount":"7","asset":"USD","at":"2026-12-01T13:03:21.676Z","charged_to":[{"asset":"USD","period":"day","session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","window_start":"2026-12-01T00:00:00.000Z"}],"hold":null,"id":"rcp_h2hczgfrwnt0prwva7phgc9chn","kid":"e4hLDj7T2GXDZWU6","kind":"authorize","path":["ses_h2hczgfrwnt0pvmmfmmwjfv7pt"],"principal":"prn_deh21ytadbyfera9r3ar1y2av4","reason":null,"request_digest":null,"scope":"http:GET:api.example.com/x","seq":1,"session":"ses_h2hczgfrwnt0pvmmfmmwjfv7pt","tree":"tre_h2hczgfrwnt0py32pmdmwec5b8","v":1}',
          "signature": "PfOzpaHeaQjk_rdm9f0MotNTqdkC2jXFq3VG8hL1t77cT0jF08YCCXJUq2prbW_WA_LteJoKrEaR724kWzWHAQ",
          "leaf_hash": "0e7a38046a9f0ecb5677697037d6e970d53666e42bcd70b82d286898b06b59d9",
        },
        "shard": 2,
        "received_at": "2026-12-01T13:03:21.830Z",
        "batch": null,
        "anchor": null,
        "proof": null,
        "expected_by": "2026-12-01T13:03:40.000Z",
        "overdue": false,
      },
    },
  },
  "GET /v1/webhook-endpoints/{id}/deliveries": {
    "description":
      "The endpoint's delivery log, newest first: each event's payload, its status (pending, retrying, succeeded, or failed once retries are spent, with `dead_lettered_at`) and every attempt with status code, latency and an excerpt of the response. Pages with `limit` and `starting_after` while `has_more`. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "data": [
          {
            "id": "dlv_dmh8tcvp9h7pbe2rnaddcce9sw",
            "msg_id": "msg_wf7qrbxmnfb32z7akpeq2rpma8",
            "endpoint": "whe_cd1ptx5kmpean6trp83r1z62kr",
            "event_id": "evt_f3q9v8g8g6qb4ze3shp663rxjc",
            "event_type": "session.delegated",
            "payload": {
              "id": "evt_f3q9v8g8g6qb4ze3shp663rxjc",
              "type": "session.delegated",
              "created_at": "2026-12-01T13:03:21.643Z",
              "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
              "data": {
                "session": "ses_h2hczgfrwnt0pfk8mdq00q1k0s",
                "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
                "agent_jkt": "Wb2zxemlZeIESy4OBgGsBDc3APjTlQsJm-yWlx8uRjI",
                "scopes": ["http:GET:api.example.com/*"],
                "not_before": "2026-12-01T13:03:21.643Z",
                "expires_at": "2026-12-01T14:03:21.429Z",
                "parent": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
                "depth": 1,
              },
            },
            "status": "succeeded",
            "attempts": 1,
            "next_attempt_at": null,
            "dead_lettered_at": null,
            "created_at": "2026-12-01T13:03:21.850Z",
            "updated_at": "2026-12-01T13:03:21.939Z",
            "attempt_log": [
              {
                "attempt": 1,
                "at": "2026-12-01T13:03:21.939Z",
                "status_code": 200,
                "latency_ms": 4,
                "response_excerpt": '{"ok":true}',
                "error": null,
                "next_attempt_at": null,
              },
            ],
            "object": "webhook_delivery",
          },
        ],
        "has_more": false,
      },
    },
  },
  "POST /v1/webhook-deliveries/{id}/redeliver": {
    "request": {},
    "responses": {
      "200": {
        "id": "dlv_h64pheqp2v6dbzvvd9f66ptkcw",
        "msg_id": "msg_r3gv346qqe1gnv7ayhf4nxxfhr",
        "endpoint": "whe_cd1ptx5kmpean6trp83r1z62kr",
        "event_id": "evt_4aexy5j637yc5wjzjggsnb70hc",
        "event_type": "session.granted",
        "payload": {
          "id": "evt_4aexy5j637yc5wjzjggsnb70hc",
          "type": "session.granted",
          "created_at": "2026-12-01T13:03:21.466Z",
          "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
          "data": {
            "session": "ses_h2hczgfrwnt0pvmmfmmwjfv7pt",
            "tree": "tre_h2hczgfrwnt0py32pmdmwec5b8",
            "agent_jkt": "_lYn_q66jn9-MRvFRrMXgGBzeQHRrnajKxpVbFbLWQ4",
            "scopes": ["http:GET:api.example.com/*"],
            "not_before": "2026-12-01T13:03:21.438Z",
            "expires_at": "2026-12-01T14:03:21.429Z",
            "parent": null,
          },
        },
        "status": "pending",
        "attempts": 1,
        "next_attempt_at": "2026-12-01T13:03:22.064Z",
        "dead_lettered_at": null,
        "created_at": "2026-12-01T13:03:21.516Z",
        "updated_at": "2026-12-01T13:03:22.064Z",
        "attempt_log": [
          {
            "attempt": 1,
            "at": "2026-12-01T13:03:21.597Z",
            "status_code": 200,
            "latency_ms": 6,
            "response_excerpt": '{"ok":true}',
            "error": null,
            "next_attempt_at": null,
          },
        ],
        "object": "webhook_delivery",
      },
    },
  },
  "POST /v1/admin/settle": {
    "description":
      "Run the settlement now instead of waiting for the schedule: seal what waits in every ledger shard (unless `seal: false`), fold the sealed batches into a new period and anchor its root on chain, as far as it goes now. Operator only (`Authorization: Bearer <REMIT_ADMIN_TOKEN>`). Safe to call repeatedly: a run with nothing new does nothing. `service-unavailable` when anchoring is disabled or misconfigured.",
    "request": { "seal": true },
    "responses": {
      "200": {
        "object": "settlement_run",
        "trigger": "admin",
        "sealed": 1,
        "action": "anchored",
        "anchor": {
          "object": "anchor",
          "period": 1,
          "root": "0x86005b15473e0f87ab9a213b38c7aa77f40de135c0d4c3cc7a4a8ad98fbb47b6",
          "count": 3,
          "status": "anchored",
          "batches": 1,
          "tx": "0x0000000000000000000000000000000000000000000000000000000000000001",
          "block": 101,
          "confirmations": 1,
          "gas_used": "50000",
          "contract": "0x00000000000000000000000000000000000000cc",
          "chain_id": 31337,
          "created_at": "2026-12-01T13:03:22.337Z",
          "anchored_at": "2026-12-01T13:03:22.340Z",
          "superseded_by": null,
        },
      },
    },
  },
  "GET /v1/anchors": {
    "description":
      "Anchored periods, newest first: each period's Merkle root of receipts, how many it holds and the transaction that wrote it on chain. Public, no authentication: anyone can check a receipt's proof against a root here and on chain. Pages with `limit` (default 20) and `starting_after` (a period).",
    "responses": {
      "200": {
        "data": [
          {
            "object": "anchor",
            "period": 1,
            "root": "0x86005b15473e0f87ab9a213b38c7aa77f40de135c0d4c3cc7a4a8ad98fbb47b6",
            "count": 3,
            "status": "anchored",
            "batches": 1,
            "tx": "0x0000000000000000000000000000000000000000000000000000000000000001",
            "block": 101,
            "confirmations": 1,
            "gas_used": "50000",
            "contract": "0x00000000000000000000000000000000000000cc",
            "chain_id": 31337,
            "created_at": "2026-12-01T13:03:22.337Z",
            "anchored_at": "2026-12-01T13:03:22.340Z",
            "superseded_by": null,
          },
        ],
        "has_more": false,
      },
    },
  },
  "GET /v1/anchors/{period}": {
    "description":
      "One period in whatever state it is (pending, confirming, anchored, failed or superseded), with its root, receipt count and chain transaction once anchored. Public, no authentication.",
    "responses": {
      "200": {
        "object": "anchor",
        "period": 1,
        "root": "0x86005b15473e0f87ab9a213b38c7aa77f40de135c0d4c3cc7a4a8ad98fbb47b6",
        "count": 3,
        "status": "anchored",
        "batches": 1,
        "tx": "0x0000000000000000000000000000000000000000000000000000000000000001",
        "block": 101,
        "confirmations": 1,
        "gas_used": "50000",
        "contract": "0x00000000000000000000000000000000000000cc",
        "chain_id": 31337,
        "created_at": "2026-12-01T13:03:22.337Z",
        "anchored_at": "2026-12-01T13:03:22.340Z",
        "superseded_by": null,
      },
    },
  },
  "GET /v1/admin/settlement": {
    "description":
      "The settlement's state for operators: the anchoring configuration, the last and current period, each ledger shard's cursor and head, and notices not yet sent. Operator only (`Authorization: Bearer <REMIT_ADMIN_TOKEN>`). Reads only.",
    "responses": {
      "200": {
        "object": "settlement_status",
        "anchoring": { "state": "ready", "contract": "0x00000000000000000000000000000000000000cc", "confirmations": 1 },
        "last_period": 1,
        "current": null,
        "shards": [
          {
            "shard": 0,
            "next_batch": 0,
            "ledger": {
              "shard": 0,
              "received": 0,
              "open": 0,
              "oldest_open_at": null,
              "batches": 0,
              "log_size": 0,
              "log_root": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            },
          },
          {
            "shard": 1,
            "next_batch": 0,
            "ledger": {
              "shard": 1,
              "received": 0,
              "open": 0,
              "oldest_open_at": null,
              "batches": 0,
              "log_size": 0,
              "log_root": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            },
          },
          {
            "shard": 2,
            "next_batch": 1,
            "ledger": {
              "shard": 2,
              "received": 3,
              "open": 0,
              "oldest_open_at": null,
              "batches": 1,
              "log_size": 3,
              "log_root": "5f8177e2e58f37bed6dbab44f9b439c61c4b712c965867c3b66fbedc7fa28eec",
            },
          },
          {
            "shard": 3,
            "next_batch": 0,
            "ledger": {
              "shard": 3,
              "received": 0,
              "open": 0,
              "oldest_open_at": null,
              "batches": 0,
              "log_size": 0,
              "log_root": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            },
          },
        ],
        "unsent_notices": 0,
      },
    },
  },
  "GET /v1/approvals": {
    "description":
      "The principal's approval queue, newest first, with each session's label and path, the scope and the reserved amount. Filter with `status` (e.g. `pending`); pages with `limit` and `starting_after` while `has_more`. Called with a principal's API key (`Authorization: Bearer rmt_…`); any role may read.",
    "responses": {
      "200": {
        "data": [
          {
            "id": "apr_42p0x2cez1k9demx3vfptrxac8",
            "object": "approval",
            "status": "pending",
            "kind": "authorize",
            "session": "ses_42p0x2cez1k9dxyxjv5w9akhwt",
            "tree": "tre_42p0x2cez1k9df2mnpp3h2wc40",
            "label": "payments-agent",
            "path": ["ses_42p0x2cez1k9dxyxjv5w9akhwt"],
            "scope": "http:POST:payments.example.com/charge",
            "asset": "USD",
            "amount": "700",
            "request_digest": null,
            "approvers_needed": 1,
            "approved_by": [],
            "expires_at": "2026-12-01T13:13:22.663Z",
            "created_at": "2026-12-01T13:03:22.663Z",
            "decided_at": null,
            "note": null,
            "reason": null,
            "receipt": null,
            "hold": null,
          },
        ],
        "has_more": false,
      },
    },
  },
  "GET /v1/approvals/{id}": {
    "responses": {
      "200": {
        "id": "apr_42p0x2cez1k9dk45pbgrcnketf",
        "object": "approval",
        "status": "pending",
        "kind": "authorize",
        "session": "ses_42p0x2cez1k9dxyxjv5w9akhwt",
        "tree": "tre_42p0x2cez1k9df2mnpp3h2wc40",
        "label": "payments-agent",
        "path": ["ses_42p0x2cez1k9dxyxjv5w9akhwt"],
        "scope": "http:POST:payments.example.com/charge",
        "asset": "USD",
        "amount": "500",
        "request_digest": null,
        "approvers_needed": 1,
        "approved_by": [],
        "expires_at": "2026-12-01T13:13:22.609Z",
        "created_at": "2026-12-01T13:03:22.609Z",
        "decided_at": null,
        "note": null,
        "reason": null,
        "receipt": null,
        "hold": null,
      },
    },
  },
  "POST /v1/approvals/{id}/approve": {
    "description":
      "Approve with the calling key: one vote per API key. When the votes reach `approvers_needed` the waiting action is committed (the spend debited, or the hold placed) and receipted; before that the approval stays `pending`. Needs the `approver` or `admin` role (`forbidden` otherwise). A key that already voted is `approval-already-voted`; an ended approval is `approval-closed`. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": { "note": "OK for the monthly invoice" },
    "responses": {
      "200": {
        "id": "apr_42p0x2cez1k9dk45pbgrcnketf",
        "object": "approval",
        "status": "approved",
        "kind": "authorize",
        "session": "ses_42p0x2cez1k9dxyxjv5w9akhwt",
        "tree": "tre_42p0x2cez1k9df2mnpp3h2wc40",
        "label": "payments-agent",
        "path": ["ses_42p0x2cez1k9dxyxjv5w9akhwt"],
        "scope": "http:POST:payments.example.com/charge",
        "asset": "USD",
        "amount": "500",
        "request_digest": null,
        "approvers_needed": 1,
        "approved_by": ["key_sneaj1sdg1c3qtstrj3emz2e2w"],
        "expires_at": "2026-12-01T13:13:22.609Z",
        "created_at": "2026-12-01T13:03:22.609Z",
        "decided_at": "2026-12-01T13:03:22.799Z",
        "note": "OK for the monthly invoice",
        "reason": null,
        "receipt": {
          "receipt": {
            "amount": "500",
            "approval": {
              "decided_at": "2026-12-01T13:03:22.799Z",
              "decided_by": ["key_sneaj1sdg1c3qtstrj3emz2e2w"],
              "id": "apr_42p0x2cez1k9dk45pbgrcnketf",
              "note": "OK for the monthly invoice",
            },
            "asset": "USD",
            "at": "2026-12-01T13:03:22.799Z",
            "charged_to": [],
            "hold": null,
            "id": "rcp_42p0x2cez1k9d5tg40gy7mb007",
            "kid": "e4hLDj7T2GXDZWU6",
            "kind": "authorize",
            "path": ["ses_42p0x2cez1k9dxyxjv5w9akhwt"],
            "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
            "reason": null,
            "request_digest": null,
            "scope": "http:POST:payments.example.com/charge",
            "seq": 1,
            "session": "ses_42p0x2cez1k9dxyxjv5w9akhwt",
            "tree": "tre_42p0x2cez1k9df2mnpp3h2wc40",
            "v": 1,
          },
          "bytes":
            '{"amount":"500","approval":{"decided_at":"2026-12-01T13:03:22.799Z","decided_by":["key_sneaj1sdg1c3qtstrj3emz2e2w"],"id":"apr_42p0x2cez1k9dk45pbgrcnketf","note":"fine"},"asset":"USD","at":"2026-12-01T13:03:22.799Z","charged_to":[],"hold":null,"id":"rcp_42p0x2cez1k9d5tg40gy7mb007","kid":"e4hLDj7T2GXDZWU6","kind":"authorize","path":["ses_42p0x2cez1k9dxyxjv5w9akhwt"],"principal":"prn_deh21ytadbyfera9r3ar1y2av4","reason":null,"request_digest":null,"scope":"http:POST:payments.example.com/charge","seq":1,"session":"ses_42p0x2cez1k9dxyxjv5w9akhwt","tree":"tre_42p0x2cez1k9df2mnpp3h2wc40","v":1}',
          "signature": "MjRPKRDVhcQw2hkoGBaI1ZXSmx_AC4A9W6p5O6TMa1kemeTonGx7gUxQMM5t2JBY79dou5I692rLg_d0ZWQMDQ",
          "leaf_hash": "eca9544d4fd2cac5db237619c0726b729da0b51442ad5360309d460465fdf75e",
        },
        "hold": null,
      },
    },
  },
  "POST /v1/approvals/{id}/deny": {
    "description":
      "Deny: the approval ends at once, its reservation is released and a denial receipt written; `reason` is kept with it and shown to the agent. Needs the `approver` or `admin` role. An ended approval is `approval-closed`. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": { "reason": "Not this vendor" },
    "responses": {
      "200": {
        "id": "apr_42p0x2cez1k9dh90h3td2zk69d",
        "object": "approval",
        "status": "denied",
        "kind": "hold",
        "session": "ses_42p0x2cez1k9dxyxjv5w9akhwt",
        "tree": "tre_42p0x2cez1k9df2mnpp3h2wc40",
        "label": "payments-agent",
        "path": ["ses_42p0x2cez1k9dxyxjv5w9akhwt"],
        "scope": "http:POST:payments.example.com/charge",
        "asset": "USD",
        "amount": "600",
        "request_digest": null,
        "approvers_needed": 1,
        "approved_by": [],
        "expires_at": "2026-12-01T13:13:22.639Z",
        "created_at": "2026-12-01T13:03:22.639Z",
        "decided_at": "2026-12-01T13:03:22.856Z",
        "note": null,
        "reason": null,
        "receipt": {
          "receipt": {
            "amount": "600",
            "approval": {
              "decided_at": "2026-12-01T13:03:22.856Z",
              "decided_by": ["key_sneaj1sdg1c3qtstrj3emz2e2w"],
              "id": "apr_42p0x2cez1k9dh90h3td2zk69d",
              "note": null,
            },
            "asset": "USD",
            "at": "2026-12-01T13:03:22.856Z",
            "hold": null,
            "id": "rcp_42p0x2cez1k9d8cd0watzqm0a0",
            "kid": "e4hLDj7T2GXDZWU6",
            "kind": "denial",
            "path": ["ses_42p0x2cez1k9dxyxjv5w9akhwt"],
            "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
            "reason": "approval-denied",
            "request_digest": null,
            "scope": "http:POST:payments.example.com/charge",
            "seq": 2,
            "session": "ses_42p0x2cez1k9dxyxjv5w9akhwt",
            "tree": "tre_42p0x2cez1k9df2mnpp3h2wc40",
            "v": 1,
          },
          "bytes":
            '{"amount":"600","approval":{"decided_at":"2026-12-01T13:03:22.856Z","decided_by":["key_sneaj1sdg1c3qtstrj3emz2e2w"],"id":"apr_42p0x2cez1k9dh90h3td2zk69d","note":null},"asset":"USD","at":"2026-12-01T13:03:22.856Z","hold":null,"id":"rcp_42p0x2cez1k9d8cd0watzqm0a0","kid":"e4hLDj7T2GXDZWU6","kind":"denial","path":["ses_42p0x2cez1k9dxyxjv5w9akhwt"],"principal":"prn_deh21ytadbyfera9r3ar1y2av4","reason":"approval-denied","request_digest":null,"scope":"http:POST:payments.example.com/charge","seq":2,"session":"ses_42p0x2cez1k9dxyxjv5w9akhwt","tree":"tre_42p0x2cez1k9df2mnpp3h2wc40","v":1}',
          "signature": "e6x4z-KZqPWQwqW6xyB9Mpy3UEfkS5apPJ9yP_bqoh283WD17cD8LDN0np8EWx2sRJ5Hsb5GBknluEqHTSE1BA",
          "leaf_hash": "52eadfae3f8b27361df1470adc99278c0c1264ec8a673997a255b5c6a734d0e9",
        },
        "hold": null,
      },
    },
  },
  "POST /v1/approvals/{id}/cancel": {
    "description":
      "Withdraw a pending approval the agent no longer needs: it ends `canceled`, its reservation is released and a receipt written. Allowed after the session was revoked or frozen. Called by an agent: `Authorization: DPoP <session token>` and a fresh `DPoP` proof for this request, signed by the session's key. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {},
    "responses": {
      "200": {
        "id": "apr_42p0x2cez1k9demx3vfptrxac8",
        "object": "approval",
        "status": "canceled",
        "kind": "authorize",
        "session": "ses_42p0x2cez1k9dxyxjv5w9akhwt",
        "tree": "tre_42p0x2cez1k9df2mnpp3h2wc40",
        "label": "payments-agent",
        "path": ["ses_42p0x2cez1k9dxyxjv5w9akhwt"],
        "scope": "http:POST:payments.example.com/charge",
        "asset": "USD",
        "amount": "700",
        "request_digest": null,
        "approvers_needed": 1,
        "approved_by": [],
        "expires_at": "2026-12-01T13:13:22.663Z",
        "created_at": "2026-12-01T13:03:22.663Z",
        "decided_at": "2026-12-01T13:03:22.902Z",
        "note": null,
        "reason": "agent",
        "receipt": {
          "receipt": {
            "amount": "700",
            "approval": { "decided_at": "2026-12-01T13:03:22.902Z", "decided_by": [], "id": "apr_42p0x2cez1k9demx3vfptrxac8", "note": null },
            "asset": "USD",
            "at": "2026-12-01T13:03:22.902Z",
            "hold": null,
            "id": "rcp_42p0x2cez1k9dzf752kqakg684",
            "kid": "e4hLDj7T2GXDZWU6",
            "kind": "void",
            "path": ["ses_42p0x2cez1k9dxyxjv5w9akhwt"],
            "principal": "prn_deh21ytadbyfera9r3ar1y2av4",
            "reason": "approval-canceled",
            "request_digest": null,
            "scope": "http:POST:payments.example.com/charge",
            "seq": 3,
            "session": "ses_42p0x2cez1k9dxyxjv5w9akhwt",
            "tree": "tre_42p0x2cez1k9df2mnpp3h2wc40",
            "v": 1,
          },
          "bytes":
            '{"amount":"700","approval":{"decided_at":"2026-12-01T13:03:22.902Z","decided_by":[],"id":"apr_42p0x2cez1k9demx3vfptrxac8","note":null},"asset":"USD","at":"2026-12-01T13:03:22.902Z","hold":null,"id":"rcp_42p0x2cez1k9dzf752kqakg684","kid":"e4hLDj7T2GXDZWU6","kind":"void","path":["ses_42p0x2cez1k9dxyxjv5w9akhwt"],"principal":"prn_deh21ytadbyfera9r3ar1y2av4","reason":"approval-canceled","request_digest":null,"scope":"http:POST:payments.example.com/charge","seq":3,"session":"ses_42p0x2cez1k9dxyxjv5w9akhwt","tree":"tre_42p0x2cez1k9df2mnpp3h2wc40","v":1}',
          "signature": "bDxryYHsFQaDeI9g_aXs6e8hMB89EmbhnHr3udJhSc8mDXs28DpLd6SnHbjLlJru4XE26QJ08SP2kZ4F-TmlAg",
          "leaf_hash": "e6b6124ab8b30e3c65cd444bc67110032f1ce80362995026b24250659e684ec1",
        },
        "hold": null,
      },
    },
  },
  "POST /v1/sessions/{id}/revoke": { "request": {}, "responses": { "200": { "revoked": 1, "session": "ses_h2hczgfrwnt0p7qd4bs7n794ab" } } },
  "POST /v1/freeze": {
    "description":
      "The kill switch: every session of the principal, in every tree, is refused from the moment this returns (`principal-frozen`, with a denial receipt), pending approvals are canceled, and no new session can be granted. Open holds can still be voided. Answers with how many trees it reached. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {},
    "responses": {
      "200": {
        "id": "prn_deh21ytadbyfera9r3ar1y2av4",
        "object": "principal",
        "name": "Acme",
        "max_session_seconds": 86400,
        "frozen": true,
        "created_at": "2026-12-01T13:03:21.297Z",
        "trees": 2,
      },
    },
  },
  "POST /v1/unfreeze": {
    "description":
      "Lift the freeze: sessions that have not expired or been revoked work again, and new sessions can be granted. Approvals canceled by the freeze stay canceled. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "request": {},
    "responses": {
      "200": {
        "id": "prn_deh21ytadbyfera9r3ar1y2av4",
        "object": "principal",
        "name": "Acme",
        "max_session_seconds": 86400,
        "frozen": false,
        "created_at": "2026-12-01T13:03:21.297Z",
        "trees": 2,
      },
    },
  },
  "DELETE /v1/webhook-endpoints/{id}": {
    "description":
      "Delete an endpoint and its delivery log; nothing more is sent to it. Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result (`Idempotent-Replayed: true`) for 24 h; the same key with another body is `idempotency-key-reused`.",
    "responses": { "200": { "id": "whe_cd1ptx5kmpean6trp83r1z62kr", "object": "webhook_endpoint", "deleted": true } },
  },
};

type Media = { schema?: unknown; example?: unknown };
type Content = { content?: Record<string, Media> } & Record<string, unknown>;

const withExample = <T extends Content | undefined>(part: T, example: unknown): T => {
  const media = part?.content?.["application/json"];
  if (!part || !media || example === undefined) return part;
  return { ...part, content: { ...part.content, "application/json": { ...media, example } } };
};

/**
 * Adds the descriptions and examples above to the routes registered so far. Each route
 * definition gets a copy of its route: the configs the handlers were built from are left
 * as they were.
 */
export function documentOperations(registry: OpenAPIRegistry): void {
  // `definitions` is a fresh array each time; its entries are the registry's own.
  for (const def of registry.definitions) {
    if (def.type !== "route") continue;
    const route = def.route;
    const key = `${route.method.toUpperCase()} ${route.path}`;
    const doc = OPERATION_DOCS[key];
    if (!doc) continue;
    if (doc.description !== undefined && route.description) throw new Error(`${key}: described both in its route and in OPERATION_DOCS`);
    const responses = Object.fromEntries(
      Object.entries(route.responses).map(([status, r]) => [status, withExample(r as Content, doc.responses[Number(status) as 200 | 201 | 202])]),
    );
    const body = route.request?.body as Content | undefined;
    def.route = {
      ...route,
      ...(doc.description !== undefined ? { description: doc.description } : {}),
      ...(route.request && body ? { request: { ...route.request, body: withExample(body, doc.request) as typeof route.request.body } } : {}),
      responses: responses as typeof route.responses,
    };
  }
}
