/** Helpers for the webhook tests: the real receiver (test/support/webhook-receiver.mjs), endpoints, delivery logs, alarms. */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { vi } from "vitest";
import { treeKey } from "../../src/core/tree-ids";
import type { EventType } from "../../src/core/webhooks/events";
import { call } from "./harness";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of test/support/webhook-receiver.mjs (globalSetup of the workers project). */
    webhookReceiver: string;
  }
}

/** One request the receiver got, as it recorded it. */
export interface Received {
  at: number;
  status: number;
  headers: { "webhook-id": string; "webhook-timestamp": string; "webhook-signature": string; "user-agent": string };
  body: string;
  verified: boolean;
  error: string | null;
}

const bindings = env as unknown as {
  WEBHOOK_TEST_RECEIVER: string;
  SESSION_TREE: DurableObjectNamespace;
  PRINCIPAL: DurableObjectNamespace;
};

/** Base URL of the receiver (http://127.0.0.1:port); loopback is allowed because REMIT_ENV=development. */
export const RECEIVER = bindings.WEBHOOK_TEST_RECEIVER;

export const bearer = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });

/** A fresh hook on the receiver; returns its URL. */
export async function hook(name: string, config: { secrets?: string[]; fail_first?: number; down?: boolean } = {}): Promise<string> {
  const r = await fetch(`${RECEIVER}/_hooks/${name}`, { method: "PUT", body: JSON.stringify(config) });
  if (!r.ok) throw new Error(`receiver: ${r.status}`);
  return `${RECEIVER}/hooks/${name}`;
}

export async function configureHook(name: string, config: { secrets?: string[]; fail_first?: number; down?: boolean }): Promise<void> {
  const r = await fetch(`${RECEIVER}/_hooks/${name}`, { method: "PATCH", body: JSON.stringify(config) });
  if (!r.ok) throw new Error(`receiver: ${r.status}`);
}

export async function received(name: string): Promise<Received[]> {
  const r = await fetch(`${RECEIVER}/_hooks/${name}`);
  return ((await r.json()) as { received: Received[] }).received;
}

/** Verify anything with `standardwebhooks` on the receiver's side. */
export async function verifyOnReceiver(secret: string, headers: Record<string, string>, body: string): Promise<{ ok: boolean; error: string | null }> {
  const r = await fetch(`${RECEIVER}/_verify`, { method: "POST", body: JSON.stringify({ secret, headers, body }) });
  return (await r.json()) as { ok: boolean; error: string | null };
}

export const uniqueName = () => crypto.randomUUID().slice(0, 8);

/** An endpoint on a fresh receiver hook that knows the endpoint's secret. */
export async function endpointOnReceiver(
  apiKey: string,
  events: (EventType | "*")[] = ["*"],
  config: { fail_first?: number; down?: boolean } = {},
): Promise<{ id: string; secret: string; name: string; url: string }> {
  const name = uniqueName();
  const url = await hook(name, config);
  const r = await call("POST", "/v1/webhook-endpoints", { headers: bearer(apiKey), body: { url, events } });
  if (r.status !== 201) throw new Error(`create endpoint: ${r.status} ${r.text}`);
  await configureHook(name, { secrets: [r.json.secret] });
  return { id: r.json.id, secret: r.json.secret, name, url };
}

export async function deliveries(apiKey: string, endpointId: string, query = ""): Promise<any[]> {
  const r = await call("GET", `/v1/webhook-endpoints/${endpointId}/deliveries?limit=100${query}`, { headers: bearer(apiKey) });
  if (r.status !== 200) throw new Error(`deliveries: ${r.status} ${r.text}`);
  return r.json.data;
}

export function treeStub(anyIdInTree: string) {
  return bindings.SESSION_TREE.get(bindings.SESSION_TREE.idFromName(treeKey(anyIdInTree)));
}

export function principalStub(principalId: string) {
  return bindings.PRINCIPAL.get(bindings.PRINCIPAL.idFromName(principalId));
}

/** Runs the tree's alarm now if one is set (it usually fires by itself within moments). */
export async function runTreeAlarm(anyIdInTree: string): Promise<boolean> {
  return runDurableObjectAlarm(treeStub(anyIdInTree));
}

/**
 * Polls `check` until it returns something truthy, running the given trees' alarms
 * between polls so their outboxes drain without waiting on the alarm clock.
 */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, opts: { trees?: string[]; timeout?: number } = {}): Promise<T> {
  return vi.waitUntil(
    async () => {
      const value = await check();
      if (value) return value;
      for (const t of opts.trees ?? []) await runTreeAlarm(t);
      return value;
    },
    { timeout: opts.timeout ?? 10_000, interval: 50 },
  ) as Promise<T>;
}

/** Waits for the deliveries of `endpointId` to hold one of `type` matching `where`; returns them all of that type. */
export async function deliveriesOf(
  apiKey: string,
  endpointId: string,
  type: EventType,
  opts: { trees?: string[]; count?: number; timeout?: number } = {},
): Promise<any[]> {
  return eventually(async () => {
    const found = (await deliveries(apiKey, endpointId)).filter((d) => d.event_type === type);
    return found.length >= (opts.count ?? 1) ? found : null;
  }, opts);
}
