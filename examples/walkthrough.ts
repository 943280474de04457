/**
 * Five minutes with Remit, against the stack `npm start` runs:
 * grant → authorize → delegate → a refusal → revoke → settle → verify on chain.
 *
 *   npm start            (one terminal)
 *   npm run walkthrough  (another)
 */
import { readFile } from "node:fs/promises";
import { BudgetExceededError, formatMoney, RemitOperator, RemitPrincipal, SessionRevokedError, generateAgentKey, verifyReceipt } from "@remit/sdk";

const stack = JSON.parse(await readFile(new URL("../.dev/stack.json", import.meta.url), "utf8")) as {
  url: string;
  api_key: string;
  admin_token: string;
  chain: { rpcUrl: string; contract: string } | null;
};
const baseUrl = process.env.REMIT_URL ?? stack.url;
const step = (n: number, text: string) => console.log(`\n${n}. ${text}`);

step(1, "The principal grants an agent a session: 2 h, one API, 50.00 USD a day, 100 calls, 10 requests/s.");
const principal = new RemitPrincipal({ baseUrl, apiKey: stack.api_key });
const { session, agent } = await principal.grant({
  agentKey: generateAgentKey(),
  scopes: ["http:GET:api.example.com/*"],
  expiresIn: 2 * 3600,
  limits: { budgets: [{ amount: "50.00USD", period: "day" }], calls: 100, rate: { requests: 10, per_seconds: 1 } },
  maxDepth: 2,
  label: "walkthrough",
});
console.log(`   session ${session.id}, token bound to the agent's key (cnf.jkt ${session.agent_jkt.slice(0, 12)}…)`);

step(2, "The agent authorizes a call that costs 12.50 USD; a signed receipt comes back.");
const first = await agent.authorize("http:GET:api.example.com/v1/quotes", { amount: "12.50USD" });
console.log(`   receipt ${first.receipt.receipt.id}, ${formatMoney("USD", first.session.counters.budgets[0]!.remaining)} left today`);

step(3, "It delegates a narrower slice (one path, 5.00 USD a day) to a sub-agent.");
const { agent: child, session: childSession } = await agent.delegate({
  scopes: ["http:GET:api.example.com/v1/*"],
  limits: { budgets: [{ amount: "5.00USD", period: "day" }], calls: 10, rate: { requests: 2, per_seconds: 1 } },
});
await child.authorize("http:GET:api.example.com/v1/news", { amount: "3.00USD" });
try {
  await child.authorize("http:GET:api.example.com/v1/news", { amount: "3.00USD" });
} catch (e) {
  if (!(e instanceof BudgetExceededError)) throw e;
  console.log(`   the sub-agent's second spend is refused: ${formatMoney(e.asset ?? "USD", e.remaining ?? "0")} remains of its budget`);
}

step(4, "The principal looks at the tree (a parent's figures include its descendants'), then revokes the root: the sub-agent stops at once.");
const tree = await principal.tree(session.id);
for (const s of [tree.session, ...tree.descendants])
  console.log(`   ${"  ".repeat(s.depth)}${s.id} ${s.status}, spent ${s.counters.budgets.map((b) => formatMoney(b.asset, b.spent)).join(", ")}`);
const { revoked } = await principal.revoke(session.id);
console.log(`   revoked ${revoked} sessions`);
try {
  await child.authorize("http:GET:api.example.com/v1/news");
} catch (e) {
  if (!(e instanceof SessionRevokedError)) throw e;
  console.log(`   ${childSession.id}: ${e.title}`);
}

if (!stack.chain) {
  console.log("\n(no chain: start without --no-chain to anchor and verify receipts)");
  process.exit(0);
}

step(5, "The operator settles now (the cron would do it within a minute); the receipt verifies against the root on chain.");
const operator = new RemitOperator({ baseUrl, adminToken: stack.admin_token });
let proof = await principal.receiptProof(first.receipt.receipt.id);
for (let i = 0; i < 20 && proof.status !== "anchored"; i++) {
  await operator.settle({ seal: true });
  await new Promise((r) => setTimeout(r, 500));
  proof = await principal.receiptProof(first.receipt.receipt.id);
}
const verified = await verifyReceipt(proof.receipt, proof, { jwksUrl: `${baseUrl}/.well-known/jwks.json`, rpcUrl: stack.chain.rpcUrl });
console.log(`   period ${proof.anchor?.period}, tx ${proof.anchor?.tx}: verified ${verified.ok} ${JSON.stringify(verified.checks)}`);
const tampered = { ...proof.receipt, bytes: proof.receipt.bytes.replace('"1250"', '"1"') };
const forged = await verifyReceipt(tampered, proof, { jwksUrl: `${baseUrl}/.well-known/jwks.json`, rpcUrl: stack.chain.rpcUrl });
console.log(`   the same receipt with its amount changed: verified ${forged.ok}`);
