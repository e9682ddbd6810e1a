import { AgentReleaseFile, renderInstallScript } from "../adapters/http/agent-files.ts";
import type { AgentFiles, AgentFilesSource } from "../adapters/http/agent-routes.ts";
import { toHex } from "../contract/encoding.ts";
import { ClawopsError } from "../core/errors.ts";
import { capabilityOff, capabilityOn } from "../core/ports/deps.ts";
import type { WorkerEnv } from "./env.ts";

/**
 * `GET /agent/*` on Workers: the agent, its install script and units, from the files
 * wrangler.toml's build step writes beside the Worker (scripts/worker-assets.ts, under
 * `[assets]`), read through the ASSETS binding. workerd cannot run esbuild, so the agent is built
 * when the Worker is (`wrangler deploy`, `wrangler dev`), from the same sources.
 */
export const AGENT_ASSETS = "agent-files";

const DEPLOY_HINT =
  "deploy with `npx wrangler deploy` from a clawops checkout: wrangler.toml's build step writes them (scripts/worker-assets.ts)";

/** Read once per isolate: a deployment's assets never change under it. */
let loaded: Promise<Omit<AgentFiles, "installScript"> & { template: string; release: AgentReleaseFile }> | null = null;

export function workerAgentFiles(env: WorkerEnv, publicUrl: string): AgentFilesSource {
  const assets = env.ASSETS;
  if (!assets) {
    return capabilityOff(
      `This Worker has no ASSETS binding, so it does not serve the agent: ${DEPLOY_HINT}, with wrangler.toml's [assets] section.`,
    );
  }
  return capabilityOn(async (): Promise<AgentFiles> => {
    loaded ??= readAgentAssets(assets).catch((err: unknown) => {
      loaded = null;
      throw err;
    });
    const { template, release, ...files } = await loaded;
    return {
      ...files,
      installScript: renderInstallScript(template, {
        publicUrl,
        sha256: release.sha256,
        version: release.version,
        nodeFlags: release.nodeFlags,
        serviceEnv: release.serviceEnv,
      }),
    };
  });
}

async function readAgentAssets(assets: Fetcher) {
  const file = async (name: string): Promise<Response> => {
    const res = await assets.fetch(`https://assets.invalid/${AGENT_ASSETS}/${name}`);
    if (!res.ok) {
      throw new ClawopsError(
        "not_configured",
        `This Worker was deployed without the agent's files (${AGENT_ASSETS}/${name}: HTTP ${res.status}): ${DEPLOY_HINT}.`,
        { status: 503 },
      );
    }
    return res;
  };
  const parsed = AgentReleaseFile.safeParse(await (await file("release.json")).json().catch(() => null));
  if (!parsed.success) {
    throw new ClawopsError(
      "not_configured",
      `This Worker's ${AGENT_ASSETS}/release.json is not valid: ${DEPLOY_HINT}.`,
      {
        status: 503,
      },
    );
  }
  const release = parsed.data;
  const agent = new Uint8Array(await (await file("clawops-agent.mjs")).arrayBuffer());
  const sha256 = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", agent)));
  if (sha256 !== release.sha256) {
    throw new ClawopsError(
      "not_configured",
      `This Worker's agent has SHA-256 ${sha256}, not the ${release.sha256} its release.json names, so it is not served: ${DEPLOY_HINT}.`,
      { status: 503 },
    );
  }
  const [template, systemdUnit, launchdPlist] = await Promise.all(
    ["install.sh.in", "clawops-agent.service", "ai.clawops.agent.plist"].map(async (n) => (await file(n)).text()),
  );
  return {
    agent,
    sha256,
    version: release.version,
    release,
    template: template ?? "",
    systemdUnit: systemdUnit ?? "",
    launchdPlist: launchdPlist ?? "",
  };
}
