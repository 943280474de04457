/**
 * `remit`: the command line of Remit, for principals (grant, watch, revoke) and
 * for agents (keys, delegation). Human output by default, `--json` for scripts.
 * This file only assembles the program from commands/ and maps failures to exit codes.
 */
import { Command, CommanderError } from "commander";
import { isRemitError, RemitNetworkError } from "@remit/sdk";
import { registerAnchors } from "./commands/anchors";
import { registerApiKeys } from "./commands/api-keys";
import { registerApprovals } from "./commands/approvals";
import { registerDelegate } from "./commands/delegate";
import { registerFreeze } from "./commands/freeze";
import { registerGrant } from "./commands/grant";
import { registerKeygen } from "./commands/keygen";
import { registerLogin } from "./commands/login";
import { registerReceipt } from "./commands/receipt";
import { registerRevoke } from "./commands/revoke";
import { registerExposure } from "./commands/exposure";
import { registerReceipts } from "./commands/receipts";
import { registerSessions } from "./commands/sessions";
import { registerSession } from "./commands/session";
import { registerSettle } from "./commands/settle";
import { registerSpend } from "./commands/spend";
import { registerTree } from "./commands/tree";
import { registerTripwires } from "./commands/tripwires";
import { printError, printProblem } from "./errors";
import { EXIT, type RunState } from "./exit";
import { VERSION } from "./globals";
import { proc } from "./node";
import { UsageError } from "./parse";

export { EXIT, type RunState } from "./exit";

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
  REMIT_TOKEN     the agent's session token for authorize, hold, capture, void, delegate (--token overrides it)
  REMIT_AGENT_KEY the agent's private JWK file for the same (--key overrides it)
  REMIT_RPC_URL   chain RPC endpoint for remit receipt verify (--rpc-url overrides it;
                  without either, the local stack's .dev/chain.json written by npm start)
  REMIT_ADMIN_TOKEN the operator token for remit settle (--admin-token overrides it)

Amounts are major units with the asset (12.50USD, USD:50.00/day); --minor takes
integer minor units (1250USD, USD:5000/day). Keys go to .remit/keys/ (0600) unless --out.
`;

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

  // The order here is the order `remit --help` lists the commands in.
  registerKeygen(program);
  registerLogin(program);
  registerGrant(program);
  registerDelegate(program);
  registerSpend(program);
  registerRevoke(program);
  registerFreeze(program);
  registerSession(program);
  registerTree(program);
  registerReceipts(program);
  registerSessions(program);
  registerExposure(program);
  registerTripwires(program);
  registerReceipt(program, state);
  registerAnchors(program);
  registerSettle(program);
  registerApprovals(program);
  registerApiKeys(program);
  return program;
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
