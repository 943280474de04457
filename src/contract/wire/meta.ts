/** The service's public keys and liveness on the wire. */
import { z } from "@hono/zod-openapi";
import type { jwks, receiptKeySet } from "../../core/auth/service-keys";
import type * as W from "../wire-types";
import type { Assert, Equal, Same } from "./check";

export const Jwks = z
  .object({
    keys: z.array(z.object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string(), kid: z.string(), alg: z.literal("EdDSA"), use: z.literal("sig") })),
  })
  .openapi("Jwks");

export const ReceiptKeys = z
  .object({
    keys: z.array(
      z.object({
        kty: z.literal("OKP"),
        crv: z.literal("Ed25519"),
        x: z.string(),
        kid: z.string().openapi({ description: "The first 16 characters of the key's RFC 7638 thumbprint: a verifier checks the key against it" }),
        alg: z.literal("EdDSA"),
        use: z.literal("sig"),
        signing_from: z.string().openapi({ description: "When the service first registered the key (RFC 3339)" }),
        signing_until: z
          .string()
          .nullable()
          .openapi({ description: "When a newer key registered (RFC 3339); null for the current key. An isolate still on the old secret may sign briefly after." }),
      }),
    ),
  })
  .openapi("ReceiptKeys");

export const Health = z.object({ ok: z.literal(true) }).openapi("Health");

export type Jwks = W.Jwks;
export type Health = W.Health;
export type ReceiptKeys = W.ReceiptKeys;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _JwksWire = Assert<Equal<z.output<typeof Jwks>, Jwks>>;
export type _HealthWire = Assert<Equal<z.output<typeof Health>, Health>>;
export type _ReceiptKeysWire = Assert<Equal<z.output<typeof ReceiptKeys>, ReceiptKeys>>;

// Core builds the key set; the wire must say exactly the same.
export type _JwksTie = Assert<Same<Jwks, ReturnType<typeof jwks>>>;
export type _ReceiptKeysTie = Assert<Same<ReceiptKeys, ReturnType<typeof receiptKeySet>>>;
