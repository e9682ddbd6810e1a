import { z } from "zod";

/**
 * What both runtimes need to serve the agent to hosts, without a runtime in it: the install
 * script rendered from its template (infra/install/install.sh), the release a Worker reads
 * beside the agent it serves (scripts/worker-assets.ts writes it), and the script served when
 * the agent cannot be.
 */

/** The values the install script's `@@…@@` placeholders take. */
export interface InstallScriptValues {
  publicUrl: string;
  sha256: string;
  version: string;
  /** scripts/build-agent.ts AGENT_NODE_FLAGS. */
  nodeFlags: readonly string[];
  /** scripts/build-agent.ts AGENT_SERVICE_ENV. */
  serviceEnv: Readonly<Record<string, string>>;
}

/** `release.json` beside the agent a Worker serves: what the build knew about it. */
export const AgentReleaseFile = z.object({
  version: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  nodeFlags: z.array(z.string().regex(/^--[a-z0-9-]+(=[0-9]+)?$/)),
  serviceEnv: z.record(z.string().regex(/^[A-Z_]+$/), z.string().regex(/^[0-9]+$/)),
});
export type AgentReleaseFile = z.infer<typeof AgentReleaseFile>;

/** The install script with this control plane's values in place of its `@@…@@` placeholders. */
export function renderInstallScript(template: string, v: InstallScriptValues): string {
  const values: Record<string, string> = {
    CLAWOPS_URL: v.publicUrl,
    AGENT_SHA256: v.sha256,
    AGENT_VERSION: v.version,
    AGENT_NODE_FLAGS: v.nodeFlags.join(" "),
    AGENT_SERVICE_ENV: Object.entries(v.serviceEnv)
      .map(([k, value]) => `${k}=${value}`)
      .join(" "),
  };
  return template.replace(/@@([A-Z0-9_]+)@@/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`install script: unknown placeholder ${whole}`);
    // Each value sits between single quotes in the script.
    if (/['\n\r\\]/.test(value)) throw new Error(`install script: ${name} cannot be quoted safely`);
    return value;
  });
}

/**
 * What `GET /agent/install.sh` serves when it cannot serve the installer (the agent cannot be
 * built or read, too many downloads): a script that prints the control plane's reason and exits
 * 1. The documented command is `curl -fsSL …/install.sh | sh -s -- …`; an HTTP error there makes
 * curl print only its status line and hand `sh` nothing, and the pipeline ends 0 as if it had
 * installed (issue 33). So this answer is a 200 whose program fails, and says why.
 */
export function failingInstallScript(reason: string, status: number): string {
  const quoted = `'${`${reason} Nothing was installed.`.replace(/[\r\n]+/g, " ").replaceAll("'", "'\\''")}'`;
  return [
    "#!/bin/sh",
    `# clawops agent installer: the control plane could not serve the installer (HTTP ${status}).`,
    `printf 'clawops-install: %s\\n' ${quoted} >&2`,
    "exit 1",
    "",
  ].join("\n");
}
