import { join } from "node:path";
import type { TokenSourceName } from "../../contract/catalog.ts";
import { readFile, readlink } from "../fs-async.ts";
import type { ProbeContext } from "./context.ts";
import type { GatewayProcess } from "./host/gateway-processes.ts";
import { parseEnvFile, readServiceTokens, tokenArg } from "./host/service-units.ts";
import type { ConfigReading } from "./openclaw-config.ts";

/**
 * Every place a gateway token can come from on this host, with the value (which stays on the
 * host: the tokens step reports fingerprints, and redaction removes every value read here).
 * Token drift (GATEWAY-FACTS §6a) is two of these disagreeing.
 */
export type TokenReading = {
  source: TokenSourceName;
  /** Where it was read: a file path, `pid 123 environ`. Never the value. */
  where: string;
  token: string | undefined;
};

const TOKEN_VAR = "OPENCLAW_GATEWAY_TOKEN";

export async function readTokenSources(
  ctx: Pick<ProbeContext, "env" | "serviceUnitDirs" | "stateDir" | "procRoot">,
  config: ConfigReading,
  gateways: readonly GatewayProcess[],
): Promise<TokenReading[]> {
  const readings: TokenReading[] = [
    {
      source: "config",
      where: `${config.path} gateway.auth.token${config.tokenUnresolved ? ` (${config.tokenUnresolved})` : ""}`,
      token: config.token,
    },
    { source: "shell-env", where: `agent env ${TOKEN_VAR}`, token: nonEmpty(ctx.env[TOKEN_VAR]) },
  ];
  if (config.envToken) {
    readings.push({
      source: "config-env",
      where: `${config.path} ${config.envToken.key}`,
      token: config.envToken.token,
    });
  }
  readings.push(...(await readDotenvTokens(ctx, gateways)));
  for (const g of gateways) readings.push(...processTokens(g));
  for (const s of await readServiceTokens(ctx.serviceUnitDirs)) {
    readings.push({ source: "service-env", where: s.via === "argv" ? `${s.where} --token` : s.where, token: s.token });
  }
  return readings;
}

export function processTokens(g: GatewayProcess): TokenReading[] {
  const readings: TokenReading[] = [];
  const startEnvToken = nonEmpty(g.env?.[TOKEN_VAR]);
  readings.push({
    source: "process-env",
    where: g.env === undefined ? `pid ${g.pid} (environ not readable)` : `pid ${g.pid}`,
    token: startEnvToken,
  });
  const argvToken = tokenArg(g.argv);
  if (argvToken) readings.push({ source: "process-argv", where: `pid ${g.pid}`, token: argvToken });
  // The gateway overwrote its argv with its title, but `--token` lives on in its runtime env,
  // which its workers inherit (see host/gateway-processes.ts). A worker value that the
  // gateway was not started with came from `--token` (or, rarely, a .env file it loaded).
  // `where` stays `pid <gateway>`: the token belongs to the gateway, the worker is the window.
  for (const w of g.workers) {
    const inherited = nonEmpty(w.env?.[TOKEN_VAR]);
    if (!inherited || inherited === startEnvToken || inherited === argvToken) continue;
    readings.push({
      source: "process-argv",
      where: `pid ${g.pid}`,
      token: inherited,
    });
    break;
  }
  return readings;
}

/**
 * OpenClaw loads `.env` files into its process env at start, after the env it was given and
 * without overriding it: the one in its working directory, then `$OPENCLAW_STATE_DIR/.env`
 * (`~/.openclaw/.env`). A token there never shows in /proc/<pid>/environ, and the local CLI
 * loads the same file, so it is a drift source of its own. Only files that exist are listed.
 */
async function readDotenvTokens(
  ctx: Pick<ProbeContext, "stateDir" | "procRoot">,
  gateways: readonly GatewayProcess[],
): Promise<TokenReading[]> {
  const files = new Map<string, string>([[join(ctx.stateDir, ".env"), join(ctx.stateDir, ".env")]]);
  for (const g of gateways) {
    const cwd = await readlink(join(ctx.procRoot, String(g.pid), "cwd")).catch(() => undefined);
    const path = cwd ? join(cwd, ".env") : undefined;
    if (path && !files.has(path)) files.set(path, `${path} (working directory of pid ${g.pid})`);
  }
  const readings: TokenReading[] = [];
  for (const [path, where] of files) {
    const text = await readFile(path, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    readings.push({ source: "dotenv", where, token: nonEmpty(parseEnvFile(text)[TOKEN_VAR]) });
  }
  return readings;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
