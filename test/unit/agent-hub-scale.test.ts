import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { AgentCloseCode } from "../../src/contract/agent-wire.ts";
import { probeFleet } from "../../src/core/fleet/fleet.ts";
import { enrollHost, issueEnrollmentCode } from "../../src/core/hub/enrollment.ts";
import { AgentHub } from "../../src/node/agent-hub.ts";
import { type ControlPlane, startControlPlane } from "../../src/node/server.ts";
import { quietLogger } from "../support/harness.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { newSimIdentity, type SimAgentSpec, SimAgents } from "../support/sim-agents.ts";

const quiet = quietLogger;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe("agent hub at scale", () => {
  it("closes a connection that never says hello (shared handshake sweep, no timer per socket)", async () => {
    const hub = new AgentHub({ store: new InMemoryStore(), clock: Date, logger: quiet, handshakeTimeoutMs: 200 });
    const server: Server = createServer();
    server.on("upgrade", (req, socket, head) => {
      if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(async () => {
      await hub.close();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/agent/connect`);
    const closed = await new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    expect(closed).toBe(AgentCloseCode.handshakeTimeout);
  });

  it("a reconnect storm after a control-plane restart: every agent comes back, the in-flight job ends lost, a re-run succeeds", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawops-storm-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const start = (port: number) =>
      startControlPlane({ port, bind: "127.0.0.1", dataDir: dir, console: true, logger: quiet, heartbeatMs: 60_000 });
    let cp: ControlPlane = await start(0);
    const port = cp.port;
    cleanups.push(() => cp.close());

    const specs: SimAgentSpec[] = [];
    for (let i = 1; i <= 50; i++) {
      const host = `storm-${i}`;
      const id = newSimIdentity(host);
      const { code } = await issueEnrollmentCode(cp.deps, host);
      await enrollHost(cp.deps, { code, host, publicKey: id.publicKey });
      specs.push({ host, keyPem: id.keyPem, profile: i === 1 ? "stall-once" : "healthy" });
    }
    const sims = new SimAgents(`ws://127.0.0.1:${port}/agent/connect`, specs, { baseMs: 200, maxMs: 1_000 });
    cleanups.push(() => sims.stop());
    sims.start();
    await sims.whenAllConnected();
    expect(sims.snapshot().welcomes).toBe(50);

    const command = async (text: string) =>
      (await fetch(`${cp.url}/api/console/command`, {
        method: "POST",
        headers: { "content-type": "application/json", ...cp.consoleHeaders() },
        body: JSON.stringify({ text }),
      }).then((r) => r.json())) as { jobId: string | null; error: unknown };
    const waitJob = async (id: string) => {
      for (;;) {
        const job = await cp.store.getJob(id);
        if (job && job.status !== "running") return job;
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    // storm-1 leaves its first job unanswered: it is in flight when the control plane goes down.
    const first = await command("triage storm-1");
    expect(first.error).toBeNull();
    const firstId = first.jobId ?? "";
    while ((await cp.store.getJob(firstId))?.progressTs == null) await new Promise((r) => setTimeout(r, 20));

    await cp.close();
    while (sims.snapshot().connected > 0) await new Promise((r) => setTimeout(r, 20));
    cp = await start(port);
    await sims.whenAllConnected();
    const stats = sims.snapshot();
    expect(stats.connected).toBe(50);
    expect(stats.welcomes).toBeGreaterThanOrEqual(100);
    expect((await cp.deps.transport.isOnline("storm-50")) && (await cp.deps.transport.isOnline("storm-1"))).toBe(true);

    const lost = await cp.store.getJob(firstId);
    expect(lost?.status).toBe("lost");
    expect(lost?.detail ?? "").toMatch(/disconnected|restarted/);

    const again = await command("triage storm-1");
    expect(again.error).toBeNull();
    const rerun = await waitJob(again.jobId ?? "");
    expect(rerun.status).toBe("done");
    expect(rerun.results.length).toBeGreaterThan(5);

    // And the whole fleet answers the quick probe after the storm.
    const fleet = await probeFleet(cp.deps, { kind: "pattern", glob: "storm-*" }, { deadlineMs: 5_000 });
    expect(fleet.counts).toEqual({ ok: 50, warn: 0, fail: 0, "no-answer": 0, offline: 0 });
  }, 120_000);
});
