/** The body of every error answer (RFC 9457 problem details), as the OpenAPI document shows it. */
import { z } from "@hono/zod-openapi";

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          field: z.string().openapi({ description: "Dotted JSON path (`limits.budgets.0.amount`), or a header or parameter name" }),
          rule: z.string().openapi({ description: "Stable, machine-readable (`required`, `scope_method`, `amount_format`)" }),
          message: z.string().openapi({ description: "What is wrong and how to fix it" }),
          suggestion: z.string().optional().openapi({ description: "The value to send instead, when it can be derived" }),
          example: z.string().optional().openapi({ description: "A valid value to write by" }),
        }),
      )
      .optional(),
  })
  .catchall(z.unknown())
  .openapi("Problem");
