/**
 * The files a Worker serves at `/agent/*` (src/worker/agent-files.ts), written into the folder
 * wrangler.toml's `[assets]` uploads with the Worker: wrangler runs this as the `[build]`
 * command before each `wrangler deploy` and `wrangler dev`, so a deployed Worker always carries
 * the agent built from the same sources as itself. workerd cannot run esbuild; the Worker reads
 * these through its ASSETS binding (never served directly: `run_worker_first`).
 *
 *   node scripts/worker-assets.ts [dir]      (default: dist/worker-assets)
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentReleaseFile } from "../src/adapters/http/agent-files.ts";
import { AGENT_VERSION } from "../src/agent/version.ts";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV, buildAgent, writeFileAtomically } from "./build-agent.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The folder under the assets directory the Worker reads (src/worker/agent-files.ts AGENT_ASSETS). */
export const AGENT_ASSETS_DIR = "agent-files";
/** The agent's bundle in it (buildAgent writes its SHA-256 beside it, `<file>.sha256`). */
const AGENT_FILE = "clawops-agent.mjs";

/**
 * Each file is written beside its place and renamed over it (writeFileAtomically), the agent
 * before `release.json`: a Worker already serving this folder (another wrangler run of the same
 * checkout, e.g. a test lane's workerd beside another's build) reads the old file or the new one,
 * never a missing or half-written one. Removing the folder first answered its `release.json`
 * with HTTP 500 for the seconds of the build. Files of an older layout that are no longer written
 * are removed after.
 */
export async function writeWorkerAssets(dir: string): Promise<{ dir: string; version: string; sha256: string }> {
  const out = join(dir, AGENT_ASSETS_DIR);
  mkdirSync(out, { recursive: true });
  const built = await buildAgent(join(out, AGENT_FILE));
  (await import("esbuild")).stop();
  const written = new Set([AGENT_FILE, `${AGENT_FILE}.sha256`]);
  const place = (name: string, data: string | Uint8Array) => {
    writeFileAtomically(join(out, name), data);
    written.add(name);
  };
  const release: AgentReleaseFile = {
    version: AGENT_VERSION,
    sha256: built.sha256,
    nodeFlags: [...AGENT_NODE_FLAGS],
    serviceEnv: { ...AGENT_SERVICE_ENV },
  };
  place("install.sh.in", readFileSync(join(root, "infra/install/install.sh")));
  place("clawops-agent.service", readFileSync(join(root, "infra/systemd/clawops-agent.service")));
  place("ai.clawops.agent.plist", readFileSync(join(root, "infra/launchd/ai.clawops.agent.plist")));
  place("release.json", `${JSON.stringify(release, null, 2)}\n`);
  for (const name of readdirSync(out)) {
    if (!written.has(name) && !name.startsWith(".")) rmSync(join(out, name), { force: true, recursive: true });
  }
  return { dir: out, version: release.version, sha256: release.sha256 };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await writeWorkerAssets(resolve(process.argv[2] ?? join(root, "dist/worker-assets")));
  process.stdout.write(
    `Wrote the agent files the Worker serves to ${out.dir} (agent ${out.version}, SHA-256 ${out.sha256}).\n`,
  );
}
