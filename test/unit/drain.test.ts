import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AgentConnection } from "../../src/agent/connection.ts";
import { enroll } from "../../src/agent/enroll.ts";
import { loadOrCreateIdentity } from "../../src/agent/identity.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { scriptedHealthyResults } from "../support/evidence.ts";
import { requestFrom } from "../support/from-address.ts";

/**
 * Issue 32, item 8: SIGTERM cut the requests in flight (closeAllConnections before close) and
 * agents saw 1006 instead of a going-away close. Here `npm start` in its own process gets
 * SIGTERM while a request waits on an agent: the request is answered, new connections are
 * refused at once, the agent is closed with 1001, and the process exits 0.
 */
const dir = mkdtempSync(join(tmpdir(), "clawops-drain-"));
let cp: ControlPlaneProcess | null = null;
let agent: AgentConnection | null = null;
afterAll(async () => {
  await agent?.stop();
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("SIGTERM drains", () => {
  it("answers the request in flight, refuses new connections, closes agents with 1001, exits 0", async () => {
    cp = await spawnControlPlane({}, { dataDir: join(dir, "data"), keepData: true });
    const agentDir = join(dir, "agent");
    const identity = loadOrCreateIdentity(agentDir);
    await enroll({ dir: agentDir, server: cp.url, host: "node-1", code: await cp.enrollmentCode("node-1") });
    const closes: number[] = [];
    let jobs = 0;
    const healthy = scriptedHealthyResults();
    agent = new AgentConnection({
      server: cp.url,
      host: "node-1",
      identity,
      agentVersion: "test",
      gatewayVersion: () => "2026.9.6",
      logger: {
        info: (msg, f) => {
          if (/hub (connection )?closed/.test(msg)) closes.push(Number(f?.code));
        },
        warn() {},
        error: (msg, f) => {
          if (/hub (connection )?closed/.test(msg)) closes.push(Number(f?.code));
        },
      },
      // It does not redial within the test: the control plane is gone for good.
      backoff: { baseMs: 50_000, maxMs: 50_000 },
      runner: {
        run: async (job) => {
          jobs++;
          // Slow enough that SIGTERM lands while the request waits on this answer.
          await new Promise((r) => setTimeout(r, 1_200));
          return healthy.filter((r) => job.steps.some((s) => s.step === r.step));
        },
      },
    });
    agent.start();
    await expect
      .poll(async () => {
        const res = await fetch(`${cp?.url}/api/console/hosts`, { headers: cp?.consoleHeaders() });
        return JSON.stringify(await res.json()).includes('"state":"online"');
      })
      .toBe(true);

    const url = cp.url;
    const inFlight = fetch(`${url}/api/console/fleet?selector=${encodeURIComponent("all --live")}`, {
      headers: cp.consoleHeaders(),
    });
    await expect.poll(() => jobs, { interval: 20 }).toBe(1);
    const exited = new Promise<number | null>((resolve) => cp?.child.once("exit", (code) => resolve(code)));
    cp.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));

    // Stopped accepting: a new connection is refused while the request above is still answered.
    const late = await requestFrom("127.0.0.1", `${url}/livez`).then(
      (r) => `answered ${r.status}`,
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(late).toBe("ECONNREFUSED");

    const answer = await inFlight;
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { rows: { host: string }[] };
    expect(body.rows.map((r) => r.host)).toEqual(["node-1"]);

    expect(await exited).toBe(0);
    expect(closes).toContain(1001);
    expect(closes).not.toContain(1006);
    expect(cp.stderr()).toContain('"msg":"drained"');
  }, 60_000);
});
