/** The asset table on the wire: how many decimals each asset's minor units have. */
import { z } from "@hono/zod-openapi";
import type { AssetTableEntry } from "../../core/policy/money";
import type { Assert, Same } from "./check";

export const AssetInfo = z
  .object({
    asset: z.string().openapi({ example: "USD" }),
    decimals: z.number().int().min(0).openapi({ description: "Minor units per major unit are 10^decimals (USD 2: 1250 is $12.50)", example: 2 }),
    symbol: z.string().optional().openapi({ description: "Written before the number (`$12.50`); assets without one are written after it (`12.50 CHF`)", example: "$" }),
  })
  .openapi("AssetInfo");

export const AssetList = z.object({ data: z.array(AssetInfo) }).openapi("AssetList");

export type AssetInfo = z.output<typeof AssetInfo>;
export type AssetList = z.output<typeof AssetList>;

// Core builds the table; the wire must say exactly the same.
export type _AssetTie = Assert<Same<AssetInfo, AssetTableEntry>>;
