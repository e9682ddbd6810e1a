import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { freePort } from "../support/ports.ts";

/**
 * Issue 44, item 3: on SIGTERM `npm start` stopped its local agent before the control plane
 * drained, so the agent's running triage was answered "lost" although its last probe finished
 * a moment later, inside the drain's allowance for work in flight. Real processes: `npm start`
 * with its local agent, whose gateway is a loopback HTTP server that holds the agent's
 * `gateway.http` probe (its `/healthz` and `/readyz`) for 2 s, within the probe's 3 s deadline
 * and the drain's 5 s for work after an answer. SIGTERM lands while the probe waits; the job must
 * end `done` with that probe's answer, and the process exit 0.
 */
const HOLD_MS = 2_000;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A gateway stand-in that answers its HTTP health routes after HOLD_MS; nothing else (no WebSocket). */
async function slowGateway(): Promise<{ port: number; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(req.url ?? "");
    const timer = setTimeout(() => res.end(JSON.stringify({ ok: true })), HOLD_MS);
    res.once("close", () => clearTimeout(timer));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port, requests, server };
}

async function startWithLocalAgent(
  gatewayPort: number,
  opts: { detached?: boolean } = {},
): Promise<ControlPlaneProcess> {
  const dir = mkdtempSync(join(tmpdir(), "clawops-drain-local-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const home = join(dir, "home");
  mkdirSync(home, { recursive: true });
  const cp = await spawnControlPlane(
    {
      CLAWOPS_LOCAL_AGENT: "1",
      CLAWOPS_LOCAL_HOST: "drain-local",
      // The local agent's host: its own home, no openclaw CLI, the gateway stand-in's port.
      HOME: home,
      OPENCLAW_STATE_DIR: join(home, ".openclaw"),
      OPENCLAW_GATEWAY_PORT: String(gatewayPort),
      CLAWOPS_OPENCLAW_BIN: join(home, "no-openclaw"),
    },
    { dataDir: join(dir, "data"), keepData: true, ...opts },
  );
  cleanup.push(() => cp.stop());
  return cp;
}

/** Starts a triage on the local agent, stops the control plane with `stop` while its probe waits, and checks the job. */
async function stopDuringTriage(cp: ControlPlaneProcess, gateway: { requests: string[] }, stop: () => void) {
  await expect
    .poll(
      async () => {
        const res = await fetch(`${cp.url}/api/console/hosts`, { headers: cp.consoleHeaders() });
        return JSON.stringify(await res.json()).includes('"state":"online"');
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  const ack = await fetch(`${cp.url}/api/console/command`, {
    method: "POST",
    headers: { "content-type": "application/json", ...cp.consoleHeaders() },
    body: JSON.stringify({ text: "triage drain-local" }),
  });
  expect(ack.status).toBe(200);
  // The probe is waiting on the gateway: now the stop comes.
  await expect.poll(() => gateway.requests.length, { timeout: 20_000, interval: 20 }).toBeGreaterThan(0);
  const exited = new Promise<number | null>((resolve) => cp.child.once("exit", (code) => resolve(code)));
  stop();
  expect(await exited).toBe(0);

  const db = new DatabaseSync(join(cp.dataDir, "clawops.sqlite"), { readOnly: true });
  try {
    const jobs = db.prepare("SELECT id, status FROM jobs WHERE kind = 'triage'").all() as {
      id: string;
      status: string;
    }[];
    expect(jobs.map((j) => j.status)).toEqual(["done"]);
    const http = db
      .prepare("SELECT result FROM job_results WHERE job_id = ? AND step = 'gateway.http'")
      .get(jobs[0]?.id ?? "") as { result: string } | undefined;
    // The held probe's answer arrived: both health routes answered 200.
    expect(JSON.parse(http?.result ?? "{}")).toMatchObject({
      step: "gateway.http",
      status: "ok",
      data: { healthz: { status: 200 }, readyz: { status: 200 } },
    });
  } finally {
    db.close();
  }
  expect(cp.stderr()).toContain('"msg":"drained"');
}

describe("a stop with the local agent's triage running", () => {
  it("SIGTERM drains first: the triage ends done with its last probe's answer, then the agent stops, exit 0", async () => {
    const gateway = await slowGateway();
    const cp = await startWithLocalAgent(gateway.port);
    await stopDuringTriage(cp, gateway, () => cp.child.kill("SIGTERM"));
  }, 60_000);

  it("Ctrl-C in the terminal (SIGINT to the whole process group) drains the same way", async () => {
    const gateway = await slowGateway();
    const cp = await startWithLocalAgent(gateway.port, { detached: true });
    await stopDuringTriage(cp, gateway, () => process.kill(-(cp.child.pid ?? 0), "SIGINT"));
  }, 60_000);
});
