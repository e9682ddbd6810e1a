import { join } from "node:path";
import { readdir, readFile } from "../../fs-async.ts";

/**
 * Gateway tokens a service manager would hand the gateway: systemd `Environment=`,
 * `EnvironmentFile=` and `ExecStart=… --token X` (plus drop-ins), launchd
 * `EnvironmentVariables` and `ProgramArguments`. Only units whose file name contains
 * `openclaw` are read.
 */
export type ServiceTokenReading = {
  /** `<unit path> Environment=`, `<env file> (EnvironmentFile of <unit>)` … never the value. */
  where: string;
  token: string;
  /** `env` for an environment variable, `argv` for a `--token` in the start command. */
  via: "env" | "argv";
};

const TOKEN_VAR = "OPENCLAW_GATEWAY_TOKEN";

export async function readServiceTokens(dirs: readonly string[]): Promise<ServiceTokenReading[]> {
  const perDir = await Promise.all(dirs.map((dir) => readDir(dir)));
  return perDir.flat();
}

async function readDir(dir: string): Promise<ServiceTokenReading[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const readings: ServiceTokenReading[] = [];
  for (const name of names.filter((n) => n.toLowerCase().includes("openclaw")).sort()) {
    const path = join(dir, name);
    if (name.endsWith(".plist")) {
      const text = await readText(path);
      if (text !== undefined) readings.push(...launchdTokens(text, path));
    } else if (/\.(service|socket|target)$/.test(name)) {
      const unit = await readText(path);
      const dropIns = await readDropIns(`${path}.d`);
      for (const [file, text] of [[path, unit] as const, ...dropIns]) {
        if (text === undefined) continue;
        readings.push(...(await systemdTokens(text, file, path)));
      }
    }
  }
  return readings;
}

async function readDropIns(dir: string): Promise<[string, string | undefined][]> {
  try {
    const names = (await readdir(dir)).filter((n) => n.endsWith(".conf")).sort();
    return Promise.all(
      names.map(async (n): Promise<[string, string | undefined]> => [join(dir, n), await readText(join(dir, n))]),
    );
  } catch {
    return [];
  }
}

export async function systemdTokens(
  text: string,
  file: string,
  unitPath: string,
  readEnvFile: (path: string) => Promise<string | undefined> = readText,
): Promise<ServiceTokenReading[]> {
  const readings: ServiceTokenReading[] = [];
  for (const { key, value } of systemdDirectives(text)) {
    if (key === "Environment") {
      for (const word of splitSystemdWords(value)) {
        const token = assignmentValue(word, TOKEN_VAR);
        if (token) readings.push({ where: `${file} Environment=`, token, via: "env" });
      }
    } else if (key === "EnvironmentFile") {
      const envPath = value.trim().replace(/^-/, "");
      const content = await readEnvFile(envPath);
      const token = content === undefined ? undefined : parseEnvFile(content)[TOKEN_VAR];
      if (token) readings.push({ where: `${envPath} (EnvironmentFile of ${unitPath})`, token, via: "env" });
    } else if (key === "ExecStart") {
      const token = tokenArg(splitSystemdWords(value));
      if (token) readings.push({ where: `${file} ExecStart=`, token, via: "argv" });
    }
  }
  return readings;
}

/** `Key=value` lines, with `\` line continuations joined and comments dropped. */
function systemdDirectives(text: string): { key: string; value: string }[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  const out: { key: string; value: string }[] = [];
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";") || line.startsWith("[")) continue;
    const eq = line.indexOf("=");
    if (eq > 0) out.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return out;
}

/** systemd word splitting: whitespace separates, "…" and '…' quote (a whole `A=b c` may be quoted). */
export function splitSystemdWords(value: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: string | null = null;
  let inWord = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] ?? "";
    if (quote) {
      if (ch === "\\" && i + 1 < value.length) current += value[++i];
      else if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** `KEY=value` lines of an env file (`export KEY=…`, quotes and comments allowed). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m?.[1] || raw.trim().startsWith("#")) continue;
    let value = m[2] ?? "";
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, "");
    env[m[1]] = value;
  }
  return env;
}

/** The value after `--token` / `--token=` in an argument vector. */
export function tokenArg(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--token") return argv[i + 1] || undefined;
    if (arg.startsWith("--token=")) return arg.slice("--token=".length) || undefined;
  }
  return undefined;
}

function assignmentValue(word: string, name: string): string | undefined {
  return word.startsWith(`${name}=`) ? word.slice(name.length + 1) || undefined : undefined;
}

export function launchdTokens(xml: string, path: string): ServiceTokenReading[] {
  const readings: ServiceTokenReading[] = [];
  const envDict = /<key>\s*EnvironmentVariables\s*<\/key>\s*<dict>([\s\S]*?)<\/dict>/.exec(xml)?.[1];
  if (envDict) {
    const m = new RegExp(`<key>\\s*${TOKEN_VAR}\\s*</key>\\s*<string>([\\s\\S]*?)</string>`).exec(envDict);
    const token = m?.[1] === undefined ? undefined : decodeXml(m[1]);
    if (token) readings.push({ where: `${path} EnvironmentVariables`, token, via: "env" });
  }
  const args = /<key>\s*ProgramArguments\s*<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(xml)?.[1];
  if (args) {
    const argv = [...args.matchAll(/<string>([\s\S]*?)<\/string>/g)].map((m) => decodeXml(m[1] ?? ""));
    const token = tokenArg(argv);
    if (token) readings.push({ where: `${path} ProgramArguments`, token, via: "argv" });
  }
  return readings;
}

function decodeXml(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}
