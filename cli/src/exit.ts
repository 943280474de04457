/** The exit codes are the CLI's contract with scripts: one table, so no command invents its own. */
export const EXIT = {
  OK: 0,
  USAGE: 1,
  REFUSED: 2,
  UNAVAILABLE: 3,
  UNVERIFIED: 4,
} as const;

/** What an action may set besides throwing: the exit code of a command that ran but failed its check. */
export interface RunState {
  code: number;
}
