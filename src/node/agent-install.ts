import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV, bundleAgent, esbuildUnavailable } from "../../scripts/build-agent.ts";
import { renderInstallScript } from "../adapters/http/agent-files.ts";
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
 * with esbuild (as `npm run build:agent` does), or, where esbuild cannot run, the prebuilt
 * dist/clawops-agent.mjs checked against its SHA-256 (loadAgent).
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
    return { ...files, installScript: installScript(template, opts.publicUrl(), files.sha256, files.version) };
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
    said = execFileSync(process.execPath, [path, "--version"], {
      encoding: "utf8",
      timeout: 15_000,
      // Its complaint belongs in the reason below, not on this process's stderr.
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
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

/**
 * The agent this control plane serves: built from its own sources with esbuild (a dependency, so
 * every install has it: `npm install`, `npm ci --omit=dev`, the container image), or, where esbuild
 * cannot run here, the prebuilt dist/clawops-agent.mjs that `npm pack` ships, served only when its
 * SHA-256 matches the dist/clawops-agent.mjs.sha256 written with it.
 */
export async function loadAgent(
  opts: {
    /** Why esbuild cannot build here (null: it can); tests stand in for a machine without it. */
    esbuildUnavailable?: () => Promise<string | null>;
    prebuilt?: string;
  } = {},
): Promise<{ agent: Uint8Array<ArrayBuffer>; from: string }> {
  const unavailable = await (opts.esbuildUnavailable ?? esbuildUnavailable)();
  if (!unavailable) {
    try {
      const code = await bundleAgent();
      return { agent: new Uint8Array(Buffer.from(code, "utf8")), from: "built from the sources" };
    } catch (err) {
      throw new ClawopsError(
        "not_configured",
        `This control plane could not build the agent from its sources (${errorMessage(err).split("\n")[0]?.slice(0, 300)}); its log has the whole error.`,
        { status: 503, cause: err },
      );
    } finally {
      // esbuild keeps a helper process for the next build; there is none.
      await (await import("esbuild")).stop();
    }
  }
  const prebuilt = opts.prebuilt ?? PREBUILT_AGENT;
  return { agent: prebuiltAgent(prebuilt, unavailable), from: prebuilt };
}

/** dist/clawops-agent.mjs, checked against the SHA-256 written beside it; else why not, as a 503. */
function prebuiltAgent(path: string, unavailable: string): Uint8Array<ArrayBuffer> {
  const cannot = `This control plane cannot serve the agent: esbuild cannot build it here (${unavailable.slice(0, 200)})`;
  const reinstall =
    "Install clawops with its dependencies (`npm ci --omit=dev` installs esbuild and its binary for this platform), or set CLAWOPS_AGENT_FILE to an agent `npm run build:agent` made.";
  if (!existsSync(path))
    throw new ClawopsError("not_configured", `${cannot}, and there is no prebuilt ${path}. ${reinstall}`, {
      status: 503,
    });
  const agent = new Uint8Array(readFileSync(path));
  const expected = existsSync(`${path}.sha256`) ? readFileSync(`${path}.sha256`, "utf8").split(/\s/)[0] : undefined;
  const actual = createHash("sha256").update(agent).digest("hex");
  if (expected !== actual)
    throw new ClawopsError(
      "not_configured",
      `${cannot}, and the prebuilt ${path} ${expected ? `has SHA-256 ${actual}, not the ${expected} written when it was built` : "has no .sha256 beside it to check it against"}: it is not served. ${reinstall}`,
      { status: 503 },
    );
  return agent;
}

/** The install script with this control plane's URL and this agent's SHA-256 and version in it. */
function installScript(template: string, publicUrl: string, sha256: string, version: string): string {
  return renderInstallScript(template, {
    publicUrl,
    sha256,
    version,
    nodeFlags: AGENT_NODE_FLAGS,
    serviceEnv: AGENT_SERVICE_ENV,
  });
}
