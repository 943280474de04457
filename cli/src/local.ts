/**
 * What `npm start` records about the local stack in `.dev/` (under the working
 * directory): the chain's RPC URL (`.dev/chain.json`) and the stack (`.dev/stack.json`).
 * Only ever a fallback, after flags and environment.
 */
import { fs, path, proc } from "./node";

export interface LocalChain {
  rpc_url: string;
  contract?: string;
  chain_id?: number;
}

export interface LocalStack {
  url?: string;
  admin_token?: string;
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as T;
  } catch {
    return null;
  }
}

/** The directory `npm start` writes: REMIT_DEV_DIR, else `.dev` in the working directory. */
export function devDir(): string {
  return path.resolve(proc.env.REMIT_DEV_DIR ?? ".dev");
}

export async function localChain(): Promise<(LocalChain & { file: string }) | null> {
  const file = path.join(devDir(), "chain.json");
  const c = await readJson<LocalChain>(file);
  return c && typeof c.rpc_url === "string" ? { ...c, file } : null;
}

export async function localStack(): Promise<LocalStack | null> {
  return readJson<LocalStack>(path.join(devDir(), "stack.json"));
}
