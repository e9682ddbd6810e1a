import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
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
export function agentFilesSource(opts: { publicUrl: () => string; logger: Logger }): () => Promise<AgentFiles> {
  let made: Promise<Omit<AgentFiles, "installScript"> & { template: string }> | null = null;
  return async () => {
    made ??= makeFiles(opts.logger).catch((err: unknown) => {
      // Not kept: after `npm run build:agent` (or a fix) the next request tries again.
      made = null;
      throw err;
    });
    const { template, ...files } = await made;
    return { ...files, installScript: renderInstallScript(template, opts.publicUrl(), files.sha256) };
  };
}

async function makeFiles(logger: Logger): Promise<Omit<AgentFiles, "installScript"> & { template: string }> {
  const started = Date.now();
  const { agent, from } = await loadAgent();
  const sha256 = createHash("sha256").update(agent).digest("hex");
  const files = {
    agent,
    sha256,
    template: readFileSync(INSTALL_TEMPLATE, "utf8"),
    systemdUnit: readFileSync(SYSTEMD_UNIT, "utf8"),
    launchdPlist: readFileSync(LAUNCHD_PLIST, "utf8"),
  };
  logger.info("agent ready to serve to hosts", { from, bytes: agent.byteLength, sha256, ms: Date.now() - started });
  return files;
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
