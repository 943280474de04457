/**
 * The common prologue of every agent call, then the call's own decision, all in one
 * synchronous transaction: the replay cache, liveness of the session and every ancestor,
 * the rate limit, and the Idempotency-Key record. The order is the contract
 * (each step below says why it comes where it does).
 */
import type { AgentCall, AgentResult } from "../../src/contract/session-tree";
import { dpopChallenge } from "../../src/core/auth/dpop";
import { problem, refused, type Outcome } from "../../src/core/errors";
import type { DecisionContext } from "./decision-context";
import { eventsDueAt } from "./event-outbox";
import { isStored, readIdempotent, storeIdempotent } from "./idempotency";
import { lifeless, refuseLifeless } from "./liveness";
import { consumeRate, countRateRefusal } from "./rate";
import { readChain, readSession } from "./store";
import { countRefusal } from "./tripwires";
import type { Tree } from "./tree";

export function agentDecision<T>(tree: Tree, call: AgentCall, opts: { liveness: boolean }, decide: (ctx: DecisionContext) => Outcome<T>): AgentResult<T> {
  const { sql } = tree;
  const now = Date.now();
  // An object with no tables holds no session (a token names only sessions that exist): nothing to write.
  if (!tree.stored) return { outcome: refused(problem("invalid-token", "the session does not exist")) };
  const result = tree.transaction((): AgentResult<T> => {
    // A proof is good once, whatever happens next (invariant 5).
    const fresh = sql.exec("INSERT INTO jti (jti, expires_at) VALUES (?, ?) ON CONFLICT(jti) DO NOTHING RETURNING 1", call.jti, call.jtiExpiresAt).toArray().length === 1;
    if (!fresh) {
      const detail = "this DPoP proof was already used";
      return { outcome: refused(problem("proof-replayed", detail, undefined, dpopChallenge("invalid_dpop_proof", detail))) };
    }

    const session = readSession(sql, call.session);
    if (!session) return { outcome: refused(problem("invalid-token", "the session does not exist")) };

    const chain = readChain(sql, session);
    const ctx: DecisionContext = { session, chain, now };
    // Liveness before anything is charged: a revoked, frozen, expired or not-yet-valid
    // session is refused without touching any counter — its own or a live ancestor's rate,
    // calls, idempotency records — so a dead agent in a loop cannot throttle its tree, and
    // its revocation or freeze is receipted once per window, not once per call (./denials.ts).
    // Liveness also comes before any replay: after revocation or freeze not even a stored
    // success is handed out again, or an agent that lost its answer would act after
    // revocation (invariant 3).
    const dead = lifeless(tree, ctx);
    if (dead && opts.liveness) return { outcome: refuseLifeless(tree, ctx, dead) };

    // Then rate, so a live agent in a loop is throttled before its decision reads or
    // receipts anything. The few calls a dead session may still make (voiding its holds,
    // reading its receipts) are charged to its own rate only, never to an ancestor's.
    const rate = consumeRate(sql, dead ? [session] : chain, now);
    const rateLimit = rate.headers ? { rateLimit: rate.headers } : {};
    if (!rate.allowed) {
      countRateRefusal(sql, session.id);
      return { outcome: refused(rate.problem!), ...rateLimit };
    }

    if (call.idempotency) {
      const stored = readIdempotent(sql, session.id, call.idempotency.key, now);
      if (stored) {
        if (stored.fingerprint !== call.idempotency.fingerprint)
          return {
            outcome: refused(
              problem("idempotency-key-reused", "this Idempotency-Key was used with a different request", {
                idempotency_key: call.idempotency.key,
              }),
            ),
            ...rateLimit,
          };
        return { outcome: (JSON.parse(stored.response) as AgentResult<T>).outcome, ...rateLimit, replayed: true };
      }
    }

    // A refusal that reached this step counts for the principal's `denials` trip-wires (./tripwires.ts).
    const outcome = countRefusal(tree, ctx, decide(ctx));
    const result: AgentResult<T> = { outcome, ...rateLimit };
    if (call.idempotency && isStored(outcome)) storeIdempotent(sql, session.id, call.idempotency, result, now);
    return result;
  });
  tree.scheduleAlarmSoon(call.jtiExpiresAt); // sweeps the replay cache
  const eventsAt = eventsDueAt(sql, now);
  if (eventsAt !== null) tree.scheduleAlarmSoon(eventsAt);
  return result;
}
