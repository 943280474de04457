/** `GET /v1/assets`: the decimals of every asset the service knows, so clients show major units. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../middleware/auth";
import { assetTable, parseAssetDecimals } from "../core/policy/money";
import { AssetList } from "../contract/wire/assets";
import { json } from "./common";

export const assets = new OpenAPIHono<AppEnv>();

assets.openapi(
  createRoute({
    method: "get",
    path: "/v1/assets",
    tags: ["Meta"],
    summary: "Assets and their decimals: ISO 4217 currencies and the configured ones (ASSET_DECIMALS)",
    responses: { 200: json(AssetList, "The asset table, sorted by code") },
  }),
  (c) => c.json({ data: assetTable(parseAssetDecimals(c.env.ASSET_DECIMALS)) }, 200, { "cache-control": "public, max-age=300" }),
);
