/**
 * `remit`: the command line of Remit, for principals (grant, watch, revoke) and
 * for agents (keys, delegation). Human output by default, `--json` for scripts.
 */
import { Command, CommanderError, Option } from "commander";
import { sha256 } from "@noble/hashes/sha2.js";
import { b64urlEncode, utf8 } from "../../src/core/encoding";
import { RemitAgent } from "@remit/sdk";
import type { SessionBounds } from "@remit/sdk";
import { isRemitError, RemitNetworkError, type RemitError } from "@remit/sdk";
import type { ClientOptions } from "@remit/sdk";
import { generateAgentKey, loadAgentKey, type AgentKey } from "@remit/sdk/keys";
import { RemitPrincipal } from "@remit/sdk";
import { RemitClient } from "@remit/sdk";
import type { Budget, Limits, PublicJwk, RateLimit } from "@remit/sdk";
import { configPath, readConfig, writeConfig } from "./config";
import { errnoCode, fs, proc } from "./node";
import { parseBudget, parseCount, parseRate, parseWhen, UsageError } from "./parse";
import { renderAnchors, renderReceipt, renderSession, renderTree } from "./render";

export const EXIT = {
  OK: 0,
  USAGE: 1,
  REFUSED: 2,
  UNAVAILABLE: 3,
  UNVERIFIED: 4,
} as const;

const VERSION = "0.1.0";

const EXIT_HELP = `
Exit codes:
  0  success
  1  usage error: a bad flag or argument, a missing login, an unreadable key file
  2  refused by the API: a problem document (RFC 9457) with a 4xx status;
     its title and detail (and each field in errors[]) are printed on stderr
  3  network or server error: the service could not be reached, or answered 5xx
  4  remit receipt verify: the receipt did not verify (or is not anchored yet)

Environment:
  REMIT_CONFIG    config file (default ~/.config/remit/config.json, written by remit login)
  REMIT_URL       service URL (overrides the config; --url overrides both)
  REMIT_API_KEY   principal API key (overrides the config; --api-key overrides both)
  REMIT_TOKEN     session token for remit delegate (--token overrides it)
  REMIT_RPC_URL   chain RPC endpoint for remit receipt verify (--rpc-url overrides it)
`;

interface GlobalOptions {
  json?: boolean;
  url?: string;
  apiKey?: string;
}

interface BoundOptions {
  scope: string[];
  budget: Budget[];
  rate?: RateLimit;
  calls?: number;
  expires?: Date;
  notBefore?: Date;
  maxDepth?: number;
  label?: string;
}

/** What a command writes: the human text, or the JSON value with --json. */
class Output {
  constructor(readonly json: boolean) {}
  result(human: string, value: unknown): void {
    proc.stdout.write(this.json ? JSON.stringify(value, null, 2) + "\n" : human.endsWith("\n") ? human : human + "\n");
  }
  note(text: string): void {
    if (!this.json) proc.stderr.write(text + "\n");
  }
}

const clientDefaults: Omit<ClientOptions, "baseUrl"> = { maxRetries: 2, timeoutMs: 30_000, userAgent: `remit-cli/${VERSION}` };

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

async function serviceUrl(g: GlobalOptions): Promise<string> {
  const url = g.url ?? proc.env.REMIT_URL ?? (await readConfig()).url;
  if (!url) throw new UsageError("no service URL: run `remit login --url <url> --api-key <key>`, or pass --url");
  try {
    new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL`);
  }
  return url;
}

async function principalFrom(g: GlobalOptions): Promise<RemitPrincipal> {
  const config = await readConfig();
  const apiKey = g.apiKey ?? proc.env.REMIT_API_KEY ?? config.api_key;
  if (!apiKey) throw new UsageError("not logged in: run `remit login --url <url> --api-key <key>`, or pass --api-key");
  return new RemitPrincipal({ ...clientDefaults, baseUrl: await serviceUrl(g), apiKey });
}

/** A JWK given inline (`{…}`) or as a file. */
async function readJwk(value: string, flag: string): Promise<Record<string, unknown>> {
  let text = value.trim();
  if (!text.startsWith("{")) {
    try {
      text = await fs.readFile(value, "utf8");
    } catch (err) {
      throw new UsageError(`${flag} ${value}: cannot read the file (${errnoCode(err) ?? String(err)})`);
    }
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new UsageError(`${flag}: not a JSON JWK`);
  }
  if (typeof jwk !== "object" || jwk === null) throw new UsageError(`${flag}: not a JWK object`);
  const k = jwk as Record<string, unknown>;
  if (k.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.x !== "string") throw new UsageError(`${flag}: not an Ed25519 JWK (kty OKP, crv Ed25519, x)`);
  return k;
}

/** Only the public members: a private key file may be given, its `d` never leaves. */
async function readPublicJwk(value: string, flag: string): Promise<PublicJwk> {
  const k = await readJwk(value, flag);
  return { kty: "OKP", crv: "Ed25519", x: k.x as string };
}

async function readPrivateKey(value: string, flag: string): Promise<AgentKey> {
  const k = await readJwk(value, flag);
  if (typeof k.d !== "string") throw new UsageError(`${flag}: this JWK has no private part ("d")`);
  let key: AgentKey;
  try {
    key = loadAgentKey({ d: k.d });
  } catch {
    throw new UsageError(`${flag}: "d" is not a base64url 32-byte Ed25519 seed`);
  }
  if (key.publicJwk.x !== k.x) throw new UsageError(`${flag}: "x" does not match "d"`);
  return key;
}

export function thumbprint(jwk: PublicJwk): string {
  return b64urlEncode(sha256(utf8(`{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`)));
}

/** Writes a private JWK to a new file, mode 0600. */
async function writePrivateKey(file: string, key: AgentKey, force: boolean): Promise<void> {
  try {
    await fs.writeFile(file, JSON.stringify(key.privateJwk, null, 2) + "\n", { mode: 0o600, flag: force ? "w" : "wx" });
    await fs.chmod(file, 0o600);
  } catch (err) {
    if (errnoCode(err) === "EEXIST") throw new UsageError(`${file} exists; pass --force to overwrite it`);
    throw new UsageError(`cannot write ${file} (${errnoCode(err) ?? String(err)})`);
  }
}

function boundsFrom(o: BoundOptions): SessionBounds {
  const limits: Limits = {
    ...(o.calls !== undefined ? { calls: o.calls } : {}),
    ...(o.rate ? { rate: o.rate } : {}),
    ...(o.budget.length > 0 ? { budgets: o.budget } : {}),
  };
  return {
    scopes: o.scope,
    ...(o.expires ? { expiresAt: o.expires } : {}),
    ...(o.notBefore ? { notBefore: o.notBefore } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(o.maxDepth !== undefined ? { maxDepth: o.maxDepth } : {}),
    ...(o.label !== undefined ? { label: o.label } : {}),
  };
}

/** The options that bound a session, shared by grant and delegate. */
function withBounds(cmd: Command, expiresRequired: boolean): Command {
  const expires = new Option("--expires <when>", `end of the session: 30m, 2h, 1d or RFC 3339${expiresRequired ? "" : " (default: the parent's)"}`).argParser(
    (v) => parseWhen(v, "--expires"),
  );
  if (expiresRequired) expires.makeOptionMandatory();
  return cmd
    .option("--scope <scope>", "a scope, resource:action:target (repeatable), e.g. 'http:GET:api.example.com/*'", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--budget <budget>", "ASSET:AMOUNT[/period] in minor units, period hour|day|week|month (repeatable), e.g. USD:5000/day", (v: string, prev: Budget[]) => [...prev, parseBudget(v)], [] as Budget[])
    .option("--rate <rate>", "N/s, N/m, N/h or N/<seconds>s, e.g. 10/s", (v: string) => parseRate(v))
    .option("--calls <n>", "total number of calls", (v: string) => parseCount(v, "--calls"))
    .addOption(expires)
    .option("--not-before <when>", "start of the session: a duration from now or RFC 3339", (v: string) => parseWhen(v, "--not-before"))
    .option("--max-depth <n>", "how deep it may delegate", (v: string) => parseCount(v, "--max-depth"))
    .option("--label <text>", "a label for people");
}

function requireScopes(o: BoundOptions): void {
  if (o.scope.length === 0) throw new UsageError("at least one --scope is required");
}

/** What an action may set besides throwing: the exit code of a command that ran but failed its check. */
export interface RunState {
  code: number;
}

export function buildProgram(state: RunState = { code: 0 }): Command {
  const program = new Command("remit")
    .description("Bounded authority for AI agents: grant, delegate, watch and revoke sessions; verify receipts.")
    .version(VERSION, "-V, --version")
    .option("--json", "machine-readable output (JSON on stdout; errors as JSON on stderr)")
    .option("--url <url>", "service URL (default: from remit login, or REMIT_URL)")
    .option("--api-key <key>", "principal API key (default: from remit login, or REMIT_API_KEY)")
    .showHelpAfterError("(run `remit --help` for usage)")
    .addHelpText("after", EXIT_HELP)
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: (s) => proc.stdout.write(s), writeErr: (s) => proc.stderr.write(s) });

  program
    .command("keygen")
    .description("generate an agent key pair: the private JWK goes to a 0600 file, the public JWK to stdout")
    .option("--out <file>", "where to write the private JWK", "agent.jwk")
    .option("--force", "overwrite an existing file")
    .action(async (o: { out: string; force?: boolean }, cmd: Command) => {
      const out = new Output(!!globals(cmd).json);
      const key = generateAgentKey();
      await writePrivateKey(o.out, key, !!o.force);
      out.result(JSON.stringify(key.publicJwk), { public_jwk: key.publicJwk, thumbprint: thumbprint(key.publicJwk), private_key_file: o.out });
      out.note(`private key written to ${o.out} (mode 0600); hand the public JWK above to whoever grants the session`);
    });

  program
    .command("login")
    .description("check a principal API key against the service and keep both in the config file (0600)")
    .usage("--url <url> --api-key <key>")
    .addHelpText("after", "\n--url and --api-key (the global options), or REMIT_URL and REMIT_API_KEY, are both required here.")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const out = new Output(!!g.json);
      const url = g.url ?? proc.env.REMIT_URL;
      const apiKey = g.apiKey ?? proc.env.REMIT_API_KEY;
      if (!url || !apiKey) throw new UsageError("remit login needs --url <url> and --api-key <key> (or REMIT_URL and REMIT_API_KEY)");
      const o = { url, apiKey };
      try {
        new URL(o.url);
      } catch {
        throw new UsageError(`--url "${o.url}" is not a URL`);
      }
      const principal = new RemitPrincipal({ ...clientDefaults, baseUrl: o.url, apiKey: o.apiKey });
      const keys = await principal.apiKeys.list();
      const file = configPath();
      const config = { ...(await readConfig(file)), url: principal.baseUrl, api_key: o.apiKey };
      await writeConfig(config, file);
      const id = /^rmt_([0-9a-z]{26})_/.exec(o.apiKey)?.[1];
      const who = id ? `prn_${id}` : "the principal";
      out.result(`logged in to ${principal.baseUrl} as ${who} (${keys.length} API key${keys.length === 1 ? "" : "s"}); config in ${file}`, {
        url: principal.baseUrl,
        principal: id ? `prn_${id}` : null,
        config: file,
      });
    });

  withBounds(
    program
      .command("grant")
      .description("grant a root session to an agent key; prints the session id and its token")
      .requiredOption("--agent-key <jwk>", "the agent's public JWK: a file, or inline JSON"),
    true,
  ).action(async (o: BoundOptions & { agentKey: string }, cmd: Command) => {
    const g = globals(cmd);
    const out = new Output(!!g.json);
    requireScopes(o);
    const agentJwk = await readPublicJwk(o.agentKey, "--agent-key");
    const principal = await principalFrom(g);
    const grant = await principal.grant({ agentJwk, ...boundsFrom(o) });
    out.result(`session ${grant.session.id}\ntoken   ${grant.token}`, grant);
  });

  withBounds(
    program
      .command("delegate")
      .description("as an agent, delegate a narrower child session to another key; prints the child's id and token")
      .option("--token <token>", "the delegating agent's session token (or @file; default REMIT_TOKEN)")
      .requiredOption("--key <file>", "the delegating agent's private JWK file")
      .option("--agent-key <jwk>", "the child's public JWK: a file, or inline JSON")
      .option("--out <file>", "instead: generate the child's key pair and write its private JWK here (0600)")
      .option("--force", "with --out: overwrite an existing file"),
    false,
  ).action(async (o: BoundOptions & { token?: string; key: string; agentKey?: string; out?: string; force?: boolean }, cmd: Command) => {
    const g = globals(cmd);
    const out = new Output(!!g.json);
    requireScopes(o);
    let token = o.token ?? proc.env.REMIT_TOKEN;
    if (!token) throw new UsageError("--token is required (or set REMIT_TOKEN)");
    if (token.startsWith("@")) {
      try {
        token = (await fs.readFile(token.slice(1), "utf8")).trim();
      } catch (err) {
        throw new UsageError(`--token ${token}: cannot read the file (${errnoCode(err) ?? String(err)})`);
      }
    }
    if (!!o.agentKey === !!o.out) throw new UsageError("give the child's key with --agent-key, or --out to generate one (not both)");
    const key = await readPrivateKey(o.key, "--key");
    const agent = new RemitAgent({ ...clientDefaults, baseUrl: await serviceUrl(g), token, key });
    let childKey: AgentKey | undefined;
    if (o.out) {
      childKey = generateAgentKey();
      await writePrivateKey(o.out, childKey, !!o.force);
    }
    const publicJwk = childKey ? undefined : await readPublicJwk(o.agentKey!, "--agent-key");
    const d = await agent.delegate({ ...(childKey ? { key: childKey } : { publicJwk: publicJwk! }), ...boundsFrom(o) });
    const { agent: _child, ...grant } = d;
    out.result(`session ${d.session.id}\ntoken   ${d.token}`, { ...grant, ...(o.out ? { private_key_file: o.out } : {}) });
    if (o.out) out.note(`the child's private key is in ${o.out} (mode 0600)`);
  });

  program
    .command("revoke")
    .description("revoke a session and every session delegated beneath it")
    .argument("<session>", "session id, ses_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const r = await (await principalFrom(g)).revoke(id);
      new Output(!!g.json).result(`revoked ${r.revoked} session${r.revoked === 1 ? "" : "s"} (${r.session} and beneath)`, r);
    });

  for (const frozen of [true, false]) {
    program
      .command(frozen ? "freeze" : "unfreeze")
      .description(frozen ? "kill switch: stop every session of the principal at once" : "lift the freeze")
      .action(async (_o: unknown, cmd: Command) => {
        const g = globals(cmd);
        const principal = await principalFrom(g);
        const r = frozen ? await principal.freeze() : await principal.unfreeze();
        new Output(!!g.json).result(
          `${r.id} is ${r.frozen ? "frozen" : "no longer frozen"} (${r.trees} tree${r.trees === 1 ? "" : "s"} reached)`,
          r,
        );
      });
  }

  program
    .command("session")
    .description("a session with its live counters")
    .argument("<id>", "session id, ses_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const s = await (await principalFrom(g)).session(id);
      new Output(!!g.json).result(renderSession(s), s);
    });

  program
    .command("tree")
    .description("a session and everything delegated beneath it, with budget bars (█ spent, ▒ held, ░ remaining)")
    .argument("<id>", "session id, ses_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const t = await (await principalFrom(g)).tree(id);
      new Output(!!g.json).result(renderTree(t), t);
    });

  const receipt = program.command("receipt").description("signed receipts");
  receipt
    .command("get")
    .description("a signed receipt")
    .argument("<id>", "receipt id, rcp_…")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const r = await (await principalFrom(g)).receipt(id);
      new Output(!!g.json).result(renderReceipt(r), r);
    });
  receipt
    .command("verify")
    .description("verify a receipt offline: signature, Merkle inclusion, and the root anchored on chain")
    .argument("<id>", "receipt id, rcp_…")
    .option("--rpc-url <url>", "JSON-RPC endpoint of the anchor chain (default REMIT_RPC_URL)")
    .option("--contract <address>", "the RemitAnchor contract (default: as the proof names it)")
    .action(async (id: string, o: { rpcUrl?: string; contract?: string }, cmd: Command) => {
      const g = globals(cmd);
      const out = new Output(!!g.json);
      const rpcUrl = o.rpcUrl ?? proc.env.REMIT_RPC_URL;
      if (!rpcUrl) throw new UsageError("--rpc-url is required (or set REMIT_RPC_URL)");
      const principal = await principalFrom(g);
      // The proof answer carries the signed receipt too; ask for the receipt itself all the same
      // (the same call a third party would make).
      const [signed, proof] = await Promise.all([principal.receipt(id), principal.receiptProof(id)]);
      if (!proof?.proof) {
        const stage = proof?.stage ?? "pending";
        out.result(`${id} is not anchored yet (stage: ${stage})`, { ok: false, reason: "not anchored yet", stage });
        state.code = EXIT.UNVERIFIED;
        return;
      }
      // viem is heavy: loaded only for this command.
      const { verifyReceipt } = await import("@remit/sdk/verify");
      let result;
      try {
        result = await verifyReceipt(signed, proof, { jwksUrl: `${principal.baseUrl}/.well-known/jwks.json`, rpcUrl, ...(o.contract ? { contract: o.contract } : {}) });
      } catch (err) {
        if (err instanceof TypeError) throw new UsageError(err.message);
        throw err;
      }
      const mark = (b: boolean) => (b ? "✓" : "✗");
      const lines = [
        `${id} ${result.ok ? "verifies" : "does NOT verify"}`,
        ...Object.entries(result.checks).map(([k, v]) => `  ${mark(v)} ${k}`),
        ...(result.reason ? [`  ${result.reason}`] : []),
      ];
      out.result(lines.join("\n"), result);
      if (!result.ok) state.code = EXIT.UNVERIFIED;
    });

  program
    .command("anchors")
    .description("anchored period roots and their transactions")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const client = new RemitClient({ ...clientDefaults, baseUrl: await serviceUrl(g) });
      const anchors = await client.anchors();
      new Output(!!g.json).result(renderAnchors(anchors), anchors);
    });

  return program;
}

function printProblem(err: RemitError, json: boolean): void {
  if (json) {
    proc.stderr.write(JSON.stringify({ error: err.problem }) + "\n");
    return;
  }
  const lines = [`error: ${err.title} (${err.code || err.type}, HTTP ${err.status})`];
  if (err.detail) lines.push(`  ${err.detail}`);
  for (const f of err.errors) lines.push(`  - ${f.field}: ${f.message} [${f.rule}]`);
  const retryAfter = err.retryAfter;
  if (retryAfter !== undefined) lines.push(`  retry after ${retryAfter} s`);
  proc.stderr.write(lines.join("\n") + "\n");
}

function printError(title: string, detail: string, json: boolean): void {
  proc.stderr.write(json ? JSON.stringify({ error: { title, detail } }) + "\n" : `error: ${detail}\n`);
}

/** Runs the CLI; resolves with the exit code (never calls process.exit). */
export async function run(argv: string[]): Promise<number> {
  const state: RunState = { code: EXIT.OK };
  const program = buildProgram(state);
  const json = argv.includes("--json");
  try {
    await program.parseAsync(argv);
    return state.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every parse error is a usage error.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof UsageError) {
      printError("usage", err.message, json);
      return EXIT.USAGE;
    }
    if (isRemitError(err)) {
      printProblem(err, json);
      return err.status >= 500 ? EXIT.UNAVAILABLE : EXIT.REFUSED;
    }
    if (err instanceof RemitNetworkError) {
      printError("unavailable", `cannot reach the service: ${err.message}`, json);
      return EXIT.UNAVAILABLE;
    }
    printError("error", err instanceof Error ? err.message : String(err), json);
    return EXIT.USAGE;
  }
}
