import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV, bundleAgent } from "../../scripts/build-agent.ts";
import type { AgentFiles } from "../adapters/http/agent-routes.ts";
import { AGENT_VERSION } from "../agent/version.ts";
import { errorMessage } from "../contract/errors.ts";
import { ClawopsError } from "../core/errors.ts";
import type { Logger } from "../core/ports/basics.ts";

const file = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const INSTALL_TEMPLATE = file("infra/install/install.sh");
const SYSTEMD_UNIT = file("infra/systemd/clawops-agent.service");
const LAUNCHD_PLIST = file("infra/launchd/ai.clawops.agent.plist");
const PREBUILT_AGENT = file("dist/clawops-agent.mjs");

/**
 * The files `GET /agent/*` serves (src/adapters/http/agent-routes.ts), made on the first
 * request and kept for the life of the process: the agent built from this checkout's sources
 * with esbuild (as `npm run build:agent` does), or, where esbuild is not installed (a
 * production install without development dependencies), the prebuilt dist/clawops-agent.mjs.
 * The install script carries the agent's SHA-256 and `publicUrl()`, read per request.
 */
export function agentFilesSource(opts: {
  publicUrl: () => string;
  logger: Logger;
  /** CLAWOPS_AGENT_FILE: served instead, and read again when its size or time changes (a new build dropped in). */
  agentFile?: string;
}): () => Promise<AgentFiles> {
  let made: Promise<Omit<AgentFiles, "installScript"> & { template: string }> | null = null;
  let stamp = "";
  return async () => {
    if (opts.agentFile) {
      const st = statSync(opts.agentFile, { throwIfNoEntry: false });
      const now = st ? `${st.size}:${st.mtimeMs}` : "absent";
      if (now !== stamp) made = null;
      stamp = now;
    }
    made ??= makeFiles(opts.logger, opts.agentFile).catch((err: unknown) => {
      // Not kept: after `npm run build:agent` (or a fix) the next request tries again.
      made = null;
      throw err;
    });
    const { template, ...files } = await made;
    return { ...files, installScript: renderInstallScript(template, opts.publicUrl(), files.sha256) };
  };
}

async function makeFiles(
  logger: Logger,
  agentFile?: string,
): Promise<Omit<AgentFiles, "installScript"> & { template: string }> {
  const started = Date.now();
  const { agent, from, version } = agentFile
    ? loadAgentFile(agentFile)
    : { ...(await loadAgent()), version: AGENT_VERSION };
  const sha256 = createHash("sha256").update(agent).digest("hex");
  const files = {
    agent,
    sha256,
    version,
    template: readFileSync(INSTALL_TEMPLATE, "utf8"),
    systemdUnit: readFileSync(SYSTEMD_UNIT, "utf8"),
    launchdPlist: readFileSync(LAUNCHD_PLIST, "utf8"),
  };
  logger.info("agent ready to serve to hosts", {
    from,
    version,
    bytes: agent.byteLength,
    sha256,
    ms: Date.now() - started,
  });
  return files;
}

/** An agent built elsewhere: its version is what it says it is (`--version`), as the upgrade checks on the host. */
function loadAgentFile(path: string): { agent: Uint8Array<ArrayBuffer>; from: string; version: string } {
  let said: string;
  try {
    said = execFileSync(process.execPath, [path, "--version"], { encoding: "utf8", timeout: 15_000 }).trim();
  } catch (err) {
    throw new ClawopsError(
      "not_configured",
      `CLAWOPS_AGENT_FILE ${path} does not run (\`node ${path} --version\`: ${errorMessage(err).slice(0, 200)}): point it at a file \`npm run build:agent\` made.`,
      { status: 503 },
    );
  }
  const version = /^clawops-agent (\S+)$/.exec(said)?.[1];
  if (!version) {
    throw new ClawopsError(
      "not_configured",
      `CLAWOPS_AGENT_FILE ${path} says "${said.slice(0, 80)}", not "clawops-agent <version>".`,
      {
        status: 503,
      },
    );
  }
  return { agent: new Uint8Array(readFileSync(path)), from: path, version };
}

async function loadAgent(): Promise<{ agent: Uint8Array<ArrayBuffer>; from: string }> {
  try {
    const code = await bundleAgent();
    // esbuild keeps a helper process for the next build; there is none.
    await (await import("esbuild")).stop();
    return { agent: new Uint8Array(Buffer.from(code, "utf8")), from: "built from the sources" };
  } catch (err) {
    const missing = (err as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && /esbuild/.test(errorMessage(err));
    if (!missing) throw err;
  }
  if (existsSync(PREBUILT_AGENT)) return { agent: new Uint8Array(readFileSync(PREBUILT_AGENT)), from: PREBUILT_AGENT };
  throw new ClawopsError(
    "not_configured",
    "This control plane cannot serve the agent: esbuild (a development dependency) is not installed to build it, " +
      "and there is no prebuilt dist/clawops-agent.mjs. Run `npm run build:agent` where clawops is installed (or install it with its development dependencies).",
    { status: 503 },
  );
}

/** The install script with this control plane's values in place of its `@@…@@` placeholders. */
export function renderInstallScript(template: string, publicUrl: string, sha256: string): string {
  const values: Record<string, string> = {
    CLAWOPS_URL: publicUrl,
    AGENT_SHA256: sha256,
    AGENT_VERSION,
    AGENT_NODE_FLAGS: AGENT_NODE_FLAGS.join(" "),
    AGENT_SERVICE_ENV: Object.entries(AGENT_SERVICE_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(" "),
  };
  const script = template.replace(/@@([A-Z0-9_]+)@@/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`install script: unknown placeholder ${whole}`);
    // Each value sits between single quotes in the script.
    if (/['\n\r\\]/.test(value)) throw new Error(`install script: ${name} cannot be quoted safely`);
    return value;
  });
  return script;
}
