import { constants } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { ConfigData } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { access, stat } from "../fs-async.ts";
import { isoTime } from "../icu-free.ts";
import { errnoCode } from "./errors.ts";
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
    ...(port.source === "process" && config.runningPort ? { portPid: config.runningPort.pid } : {}),
    ...(port.source === "process" && config.port !== null && config.port !== port.port
      ? { pendingPort: config.port }
      : {}),
    authMode: config.authMode,
    tokenConfigured: config.tokenConfigured,
    workspace: config.workspace === null ? null : await inspectWorkspace(config.workspace, ctx.env.HOME),
    modelRefs: config.modelRefs.slice(0, MAX_MODEL_REFS).map((r) => ({ ref: cut(r.ref), source: r.source })),
  };
  const modifiedAt = config.exists ? await modifiedTime(config.path) : undefined;
  if (modifiedAt) data.modifiedAt = modifiedAt;
  const problem = config.parseError ?? config.readError;
  if (problem) data.parseError = problem;
  return data;
};

const MAX_MODEL_REFS = 20;
const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

async function modifiedTime(path: string): Promise<string | undefined> {
  try {
    return isoTime((await stat(path)).mtime);
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
    if (code !== "ENOENT" && code !== "ENOTDIR") {
      return {
        path,
        exists: false,
        isDirectory: false,
        error: code ?? errorMessage(err),
        blockedBy: { path, code: code ?? "unknown" },
      };
    }
    const blockedBy = await whyUncreatable(path);
    return {
      path,
      exists: false,
      isDirectory: false,
      ...(code === "ENOTDIR" ? { error: code } : {}),
      ...(blockedBy ? { blockedBy } : {}),
    };
  }
}

/**
 * A missing workspace is created by the gateway (on the first agent turn) only if `mkdir -p`
 * can: the nearest existing ancestor must be a directory this user may write. A regular file
 * there (ENOTDIR) is the case that makes the next restart fail (GATEWAY-FACTS §6d).
 */
async function whyUncreatable(path: string): Promise<{ path: string; code: string } | undefined> {
  let parent = dirname(path);
  for (;;) {
    try {
      const s = await stat(parent);
      if (!s.isDirectory()) return { path: parent, code: "ENOTDIR" };
      await access(parent, constants.W_OK | constants.X_OK);
      return undefined;
    } catch (err) {
      const code = errnoCode(err);
      if ((code === "ENOENT" || code === "ENOTDIR") && dirname(parent) !== parent) {
        parent = dirname(parent);
        continue;
      }
      return { path: parent, code: code ?? "unknown" };
    }
  }
}

function expandHome(p: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return join(home, p.slice(2));
  return isAbsolute(p) ? p : resolve(p);
}
