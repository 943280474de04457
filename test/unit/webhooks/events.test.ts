import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { isId } from "../../../src/core/ids";
import {
  buildEvent,
  EVENT_TYPES,
  eventDataSchemas,
  eventSchemas,
  eventSelectionSchema,
  isEventType,
  registerWebhookEvents,
  selects,
  webhookEventSchema,
  type EventData,
} from "../../../src/core/webhooks/events";
import { ISO, NOW, PRN, SAMPLE_DATA } from "./fixtures";

describe("event catalogue", () => {
  it("has one data schema and one envelope schema per type, and nothing else", () => {
    expect(Object.keys(eventDataSchemas).sort()).toEqual([...EVENT_TYPES].sort());
    expect(Object.keys(eventSchemas).sort()).toEqual([...EVENT_TYPES].sort());
    expect(new Set(EVENT_TYPES).size).toBe(19);
  });

  it.each(EVENT_TYPES)("builds a valid %s envelope", (type) => {
    const event = buildEvent(type, PRN, SAMPLE_DATA[type] as never, NOW);
    expect(isId(event.id, "evt")).toBe(true);
    expect(event).toMatchObject({ type, created_at: ISO, principal: PRN, data: SAMPLE_DATA[type] });
    expect(eventSchemas[type].parse(event)).toEqual(event);
    expect(webhookEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it("gives every event a fresh id", () => {
    const a = buildEvent("principal.frozen", PRN, { frozen_at: ISO }, NOW);
    const b = buildEvent("principal.frozen", PRN, { frozen_at: ISO }, NOW);
    expect(a.id).not.toBe(b.id);
  });

  it("refuses data that does not match the catalogue", () => {
    const bad = { ...SAMPLE_DATA["budget.threshold"], threshold: 75 } as unknown as EventData<"budget.threshold">;
    expect(() => buildEvent("budget.threshold", PRN, bad, NOW)).toThrow(/budget\.threshold/);
    const float = { ...SAMPLE_DATA["hold.expired"], amount: "2.50" };
    expect(() => buildEvent("hold.expired", PRN, float, NOW)).toThrow();
    expect(() => buildEvent("principal.frozen", "usr_1", { frozen_at: ISO }, NOW)).toThrow(/principal/);
    expect(() => buildEvent("session.revoked", PRN, { ...SAMPLE_DATA["session.revoked"], revoked_root: "x" }, NOW)).toThrow();
  });

  it("drops keys outside the catalogue", () => {
    const event = buildEvent("principal.frozen", PRN, { frozen_at: ISO, secret: "x" } as EventData<"principal.frozen">, NOW);
    expect(event.data).toEqual({ frozen_at: ISO });
  });

  it("keeps budget.threshold thresholds to 50, 80 and 100 and allows a life-long budget", () => {
    for (const threshold of [50, 80, 100] as const) {
      expect(eventDataSchemas["budget.threshold"].safeParse({ ...SAMPLE_DATA["budget.threshold"], threshold }).success).toBe(true);
    }
    expect(eventDataSchemas["budget.threshold"].safeParse({ ...SAMPLE_DATA["budget.threshold"], period: null }).success).toBe(true);
    expect(eventDataSchemas["budget.threshold"].safeParse({ ...SAMPLE_DATA["budget.threshold"], period: "year" }).success).toBe(false);
  });

  it("validates event selections", () => {
    expect(eventSelectionSchema.safeParse(["*"]).success).toBe(true);
    expect(eventSelectionSchema.safeParse(["session.revoked", "budget.threshold"]).success).toBe(true);
    expect(eventSelectionSchema.safeParse([]).success).toBe(false);
    expect(eventSelectionSchema.safeParse(["*", "session.revoked"]).success).toBe(false);
    expect(eventSelectionSchema.safeParse(["session.nope"]).success).toBe(false);
    expect(selects(["*"], "hold.expired")).toBe(true);
    expect(selects(["session.revoked"], "hold.expired")).toBe(false);
    expect(isEventType("session.revoked")).toBe(true);
    expect(isEventType("*")).toBe(false);
  });

  it("goes into the OpenAPI document as named components and webhooks", () => {
    const app = new OpenAPIHono();
    registerWebhookEvents(app.openAPIRegistry);
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    const names = Object.keys(doc.components?.schemas ?? {});
    for (const type of EVENT_TYPES) {
      expect(names).toContain(`WebhookEvent_${type.replace(/\./g, "_")}`);
      expect(doc.webhooks?.[type]?.post).toBeDefined();
    }
  });
});
