import { stat } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { ConfigData } from "../../contract/catalog.ts";
import { errnoCode, errorMessage } from "./errors.ts";
import { effectivePort } from "./openclaw-config.ts";
import type { Probe } from "./probe.ts";

/** The config as the gateway would read it: mode, bind, port, auth, workspace. Never the token. */
export const probeConfig: Probe<"config"> = async (ctx, _args, run) => {
  const config = await run.readings.config();
  const port = effectivePort(ctx, config);
  const data: ConfigData = {
    path: config.path,
    exists: config.exists,
    mode: config.mode,
    bind: config.bind,
    port: port.port,
    portSource: port.source,
    authMode: config.authMode,
    tokenConfigured: config.tokenConfigured,
    workspace: config.workspace === null ? null : await inspectWorkspace(config.workspace, ctx.env.HOME),
  };
  const modifiedAt = config.exists ? await modifiedTime(config.path) : undefined;
  if (modifiedAt) data.modifiedAt = modifiedAt;
  const problem = config.parseError ?? config.readError;
  if (problem) data.parseError = problem;
  return data;
};

async function modifiedTime(path: string): Promise<string | undefined> {
  try {
    return (await stat(path)).mtime.toISOString();
  } catch {
    return undefined;
  }
}

async function inspectWorkspace(raw: string, home: string | undefined): Promise<NonNullable<ConfigData["workspace"]>> {
  const path = expandHome(raw, home ?? homedir());
  try {
    const s = await stat(path);
    return { path, exists: true, isDirectory: s.isDirectory() };
  } catch (err) {
    const code = errnoCode(err);
    // ENOTDIR: a path component is a file, the case that blocks gateway start (GATEWAY-FACTS §6d).
    if (code === "ENOENT") return { path, exists: false, isDirectory: false };
    return { path, exists: false, isDirectory: false, error: code ?? errorMessage(err) };
  }
}

function expandHome(p: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return join(home, p.slice(2));
  return isAbsolute(p) ? p : resolve(p);
}
