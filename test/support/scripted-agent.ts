import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentConnection } from "../../src/agent/connection.ts";
import { enroll } from "../../src/agent/enroll.ts";
import { loadOrCreateIdentity } from "../../src/agent/identity.ts";
import type { StepResult } from "../../src/contract/catalog.ts";

/**
 * A host whose agent is clawops' own connection code (src/agent/connection.ts: a real `ws`
 * socket, a real Ed25519 identity enrolled with a one-time code through `/api/enroll`, the real
 * wire protocol) with a scripted job runner: each job is answered with the canned results of
 * the steps it asks for. Works against the Node control plane and the Worker alike (bench's
 * scripted-plane.ts does the same for one host). `stop()` closes the socket and removes its folder.
 */
export interface ScriptedHost {
  host: string;
  /** The steps each job asked for, in order. */
  jobs: string[][];
  stop(): Promise<void>;
}

export async function startScriptedHost(opts: {
  server: string;
  host: string;
  code: string;
  results: () => StepResult[];
}): Promise<ScriptedHost> {
  const dir = mkdtempSync(join(tmpdir(), `clawops-scripted-${opts.host}-`));
  const quiet = { info() {}, warn() {}, error() {} };
  await enroll({ dir, server: opts.server, host: opts.host, code: opts.code });
  const jobs: string[][] = [];
  const agent = new AgentConnection({
    server: opts.server,
    host: opts.host,
    identity: loadOrCreateIdentity(dir),
    agentVersion: "0.1.0",
    gatewayVersion: () => "2026.9.6",
    logger: quiet,
    runner: {
      run: async (job, on) => {
        const wanted = job.steps.map((s) => s.step);
        jobs.push(wanted);
        const results = opts.results().filter((r) => wanted.includes(r.step));
        for (const r of results) on(r);
        return results;
      },
    },
  });
  agent.start();
  return {
    host: opts.host,
    jobs,
    async stop() {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
