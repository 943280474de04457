/** The service's public keys and liveness on the wire. */
import { z } from "@hono/zod-openapi";
import type { jwks, receiptKeySet } from "../../core/auth/service-keys";
import type { Assert, Same } from "./check";

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

export type Jwks = z.output<typeof Jwks>;
export type Health = z.output<typeof Health>;
export type ReceiptKeys = z.output<typeof ReceiptKeys>;

// Core builds the key set; the wire must say exactly the same.
export type _JwksTie = Assert<Same<Jwks, ReturnType<typeof jwks>>>;
export type _ReceiptKeysTie = Assert<Same<ReceiptKeys, ReturnType<typeof receiptKeySet>>>;
