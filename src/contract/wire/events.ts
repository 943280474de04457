/** The event log on the wire: `GET /v1/events` pages (each event the envelope webhooks deliver). */
import { z } from "@hono/zod-openapi";
import { webhookEventSchema } from "../../core/webhooks/events";
import type * as W from "../wire-types";
import type { Assert, Equal } from "./check";

export const EventPage = z
  .object({
    data: z.array(webhookEventSchema),
    has_more: z.boolean().openapi({ description: "Pass the last event's id as `starting_after` for the next page" }),
  })
  .openapi("EventList");

export type EventPage = W.EventPage;

export type _EventPageWire = Assert<Equal<z.output<typeof EventPage>, EventPage>>;
