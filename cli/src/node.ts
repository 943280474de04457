/**
 * The few Node APIs the CLI uses, typed here: this project type-checks against the
 * Workers types only (no @types/node), and the SDK must stay free of Node.
 * A non-literal specifier keeps the compiler from looking for declarations.
 */
const load = <T>(specifier: string): Promise<T> => import(specifier) as Promise<T>;

export interface FsPromises {
  readFile(path: string, encoding: "utf8"): Promise<string>;
  writeFile(path: string, data: string, options?: { mode?: number; flag?: string }): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<string | undefined>;
  chmod(path: string, mode: number): Promise<void>;
  stat(path: string): Promise<{ mode: number; isFile(): boolean }>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  mkdtemp(prefix: string): Promise<string>;
}

export interface PathModule {
  join(...parts: string[]): string;
  dirname(path: string): string;
  resolve(...parts: string[]): string;
}

export interface OsModule {
  homedir(): string;
  tmpdir(): string;
}

export interface WritableLike {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface NodeProcess {
  argv: string[];
  env: Record<string, string | undefined>;
  exitCode: number | undefined;
  stdout: WritableLike;
  stderr: WritableLike;
  exit(code?: number): never;
}

export const fs = await load<FsPromises>("node:fs/promises");
export const path = await load<PathModule>("node:path");
export const os = await load<OsModule>("node:os");
export const proc = (globalThis as unknown as { process: NodeProcess }).process;

/** An error from a Node API with its `code` (ENOENT, EEXIST…). */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}
