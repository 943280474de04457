/** The CLI's configuration: where the service is and the principal's API key. */
import { errnoCode, fs, os, path, proc } from "./node";
import { UsageError } from "./parse";

export interface Config {
  url?: string;
  api_key?: string;
}

/** `$REMIT_CONFIG`, else `~/.config/remit/config.json` (or `$XDG_CONFIG_HOME/remit/config.json`). */
export function configPath(): string {
  const explicit = proc.env.REMIT_CONFIG;
  if (explicit) return path.resolve(explicit);
  const base = proc.env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return path.join(base, "remit", "config.json");
}

export async function readConfig(file = configPath()): Promise<Config> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return {};
    throw err;
  }
  try {
    const value = JSON.parse(text) as Config;
    return typeof value === "object" && value !== null ? value : {};
  } catch {
    throw new UsageError(`${file} is not valid JSON; fix or remove it, then run remit login again`);
  }
}

/** Writes the config with mode 0600 (its directory 0700): it holds a secret. */
export async function writeConfig(config: Config, file = configPath()): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.writeFile(file, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  await fs.chmod(file, 0o600);
}
