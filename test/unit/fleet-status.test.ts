import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBlockKit } from "../../src/adapters/slack/render.ts";
import { parseCommand } from "../../src/core/commands/parse.ts";
import { countRows, type FleetReport, probeFleet } from "../../src/core/fleet/fleet.ts";
import { MAX_FLEET_ROWS, MAX_TRIAGE_BUTTONS, renderFleetStatus } from "../../src/core/fleet/render.ts";
import type { FleetRow } from "../../src/core/ports/fleet.ts";
import { LAYERS } from "../../src/core/vocabulary/layers.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { runCliProcess } from "../support/cli-process.ts";
import { type NodePlane, startNodePlane } from "../support/node-plane.ts";
import { newSimIdentity, type SimAgentSpec, SimAgents, type SimProfile } from "../support/sim-agents.ts";

let plane: NodePlane;
let cp: ControlPlane;
let dir: string;
let sims: SimAgents;

/** 25 healthy + 5 with the gateway down (all answer), 2 that never answer, 1 never connected. */
const HEALTHY = Array.from({ length: 25 }, (_, i) => `node-${i + 1}`);
const DOWN = ["node-26", "node-27", "node-28", "edge-1", "edge-2"];
const SILENT = ["edge-3", "node-29"];
const OFFLINE = "node-30";

async function enroll(host: string, profile: SimProfile): Promise<SimAgentSpec> {
  const id = newSimIdentity(host);
  await plane.enroll(host, id.publicKey);
  return { host, keyPem: id.keyPem, profile };
}

beforeAll(async () => {
  plane = await startNodePlane({ name: "fleet" });
  ({ cp, dir } = plane);
  const specs = [
    ...(await Promise.all(HEALTHY.map((h) => enroll(h, "healthy")))),
    ...(await Promise.all(DOWN.map((h) => enroll(h, "down")))),
    ...(await Promise.all(SILENT.map((h) => enroll(h, "silent")))),
  ];
  await plane.enroll(OFFLINE, newSimIdentity(OFFLINE).publicKey);
  sims = new SimAgents(`${cp.url.replace("http", "ws")}/agent/connect`, specs);
  sims.start();
  await sims.whenAllConnected();
}, 60_000);

afterAll(async () => {
  await sims?.stop();
  await plane?.close();
});

const stateOf = (r: FleetReport, host: string): FleetRow | undefined => r.rows.find((x) => x.host === host);

describe("/openclaw status <selector>", () => {
  it("parses all, globs and tags, and leaves bare `status` to freezes", () => {
    expect(parseCommand("status all")).toEqual({ kind: "fleet-status", selector: { kind: "all" } });
    expect(parseCommand("status all --live")).toEqual({ kind: "fleet-status", selector: { kind: "all" }, live: true });
    expect(parseCommand("status node-*")).toEqual({
      kind: "fleet-status",
      selector: { kind: "pattern", glob: "node-*" },
    });
    expect(parseCommand("status tag:Prod")).toEqual({ kind: "fleet-status", selector: { kind: "tag", tag: "prod" } });
    expect(parseCommand("status").kind).not.toBe("fleet-status");
    expect(() => parseCommand("status a b")).toThrow(/Usage/);
    expect(() => parseCommand("status no/pe")).toThrow(/neither a host name nor a glob/);
    expect(parseCommand("tag node-3 eu Prod")).toEqual({ kind: "tag", host: "node-3", tags: ["eu", "prod"] });
  });

  it("probes every host under one deadline: counts, worst first, no answer and offline shown", async () => {
    const r = await probeFleet(cp.deps, { kind: "all" });
    expect(r.rows).toHaveLength(33);
    expect(r.counts).toEqual({ ok: 25, warn: 0, fail: 5, "no-answer": 2, offline: 1 });
    // Worst first: the five broken hosts, then the two silent ones, then the offline one, then ok.
    expect(r.rows.slice(0, 5).map((x) => x.state)).toEqual(Array(5).fill("fail"));
    expect(
      r.rows
        .slice(5, 7)
        .map((x) => x.host)
        .sort(),
    ).toEqual([...SILENT].sort());
    expect(r.rows[7]).toMatchObject({ host: OFFLINE, state: "offline" });
    expect(r.rows.slice(8).every((x) => x.state === "ok")).toBe(true);
    expect(stateOf(r, "edge-3")?.reason).toMatch(/no answer within 2\.0 s/);
    expect(stateOf(r, "edge-1")?.layers.process).toBe("fail");
    expect(stateOf(r, "node-1")?.layers.transport).toBe("ok");
    // Columns are the layers the quick probe decides, in matrix order.
    expect(r.columns).toEqual(LAYERS.filter((l) => r.columns.includes(l)));
    expect(r.columns).toContain("process");

    const msg = toBlockKit(renderFleetStatus(r));
    const body = JSON.stringify(msg.blocks);
    expect(msg.text).toContain("33 hosts: 25 ok · 0 warn · 5 fail · 2 no answer · 1 offline");
    expect(body.indexOf("edge-1")).toBeLessThan(body.indexOf("edge-3"));
    expect(body.indexOf("edge-3")).toBeLessThan(body.indexOf(OFFLINE));
    expect(body.indexOf(OFFLINE)).toBeLessThan(body.indexOf("node-1*"));
    expect(body).toContain("no answer");
  }, 90_000);

  it("matches a glob and a tag", async () => {
    const edges = await probeFleet(cp.deps, { kind: "pattern", glob: "edge-?" });
    expect(edges.rows.map((x) => x.host).sort()).toEqual(["edge-1", "edge-2", "edge-3"]);
    const nodes = await probeFleet(cp.deps, { kind: "pattern", glob: "node-2*" });
    expect(nodes.rows.map((x) => x.host).sort()).toEqual(
      ["node-2", ...Array.from({ length: 10 }, (_, i) => `node-2${i}`)].sort(),
    );

    const tagged = await fetch(`${cp.url}/api/console/command`, {
      method: "POST",
      headers: { "content-type": "application/json", ...cp.consoleHeaders() },
      body: JSON.stringify({ text: "/openclaw tag node-3 prod eu" }),
    }).then((res) => res.json() as Promise<{ ack: { text: string }; error: unknown }>);
    expect(tagged.error).toBeNull();
    await cp.deps.store.setHostTags?.("edge-2", ["prod"]);
    const prod = await probeFleet(cp.deps, { kind: "tag", tag: "prod" });
    expect(prod.rows.map((x) => `${x.host}:${x.state}`)).toEqual(["edge-2:fail", "node-3:ok"]);
    expect((await cp.store.getHost("node-3"))?.tags).toEqual(["prod", "eu"]);
    const none = await probeFleet(cp.deps, { kind: "tag", tag: "nowhere" });
    expect(none.rows).toEqual([]);
    expect(JSON.stringify(toBlockKit(renderFleetStatus(none)).blocks)).toContain("No enrolled host matches");
  }, 90_000);

  it("posts one fleet matrix message through the console", async () => {
    const head = await cp.consoleChat?.head();
    const res = await fetch(`${cp.url}/api/console/command`, {
      method: "POST",
      headers: { "content-type": "application/json", ...cp.consoleHeaders() },
      body: JSON.stringify({ text: "/openclaw status edge-* --live" }),
    });
    const body = (await res.json()) as { ack: { text: string }; error: unknown };
    expect(body.error).toBeNull();
    expect(body.ack.text).toContain("Quick-probing 3 hosts");
    let events: { text: string }[] = [];
    while (!events.some((e) => e.text.startsWith("Fleet status"))) {
      await new Promise((r) => setTimeout(r, 100));
      events = (await cp.consoleChat?.since(head ?? 0)) ?? [];
    }
    const fleet = events.filter((e) => e.text.startsWith("Fleet status"));
    expect(fleet).toHaveLength(1);
    expect(fleet[0]?.text).toContain("3 hosts: 0 ok · 0 warn · 2 fail · 1 no answer · 0 offline");
  }, 90_000);
});

describe("the quick probe on the wire", () => {
  it("gets one result frame per host from current agents, and the same matrix from agents that stream progress", async () => {
    // Agents from before `job.run`'s progress flag: they stream every step, then the result.
    const legacy = await Promise.all([enroll("old-1", "healthy"), enroll("old-2", "down")]);
    const old = new SimAgents(
      `${cp.url.replace("http", "ws")}/agent/connect`,
      legacy.map((s) => ({ ...s, legacy: true })),
    );
    old.start();
    try {
      await old.whenAllConnected();
      const before = sims.snapshot();
      const current = await probeFleet(cp.deps, { kind: "pattern", glob: "node-1" });
      const older = await probeFleet(cp.deps, { kind: "pattern", glob: "old-*" });
      const downNow = await probeFleet(cp.deps, { kind: "pattern", glob: "edge-1" });
      // Current agents answered every probe with the result alone.
      const after = sims.snapshot();
      expect(after.jobsAnswered - before.jobsAnswered).toBe(2);
      expect(after.progressSent).toBe(0);
      // The older agents streamed the quick probe's six steps each, and read the same.
      expect(old.snapshot()).toMatchObject({ jobsAnswered: 2, progressSent: 12 });
      const row = (r: FleetReport, h: string) => {
        const x = stateOf(r, h);
        return { state: x?.state, layers: x?.layers, reason: x?.reason };
      };
      expect(row(older, "old-1")).toEqual(row(current, "node-1"));
      expect(row(older, "old-2")).toEqual(row(downNow, "edge-1"));
      expect(row(older, "old-2").state).toBe("fail");
      expect(row(older, "old-1").state).toBe("ok");
    } finally {
      await old.stop();
    }
  }, 90_000);
});

describe("clawops status (CLI)", () => {
  it("prints the fleet matrix and exits 1 when a host fails", async () => {
    const run = await runCliProcess(["status", "edge-*", "--live"], { server: cp.url, dataDir: dir });
    expect(run.stdout).toContain("Quick-probing 3 hosts");
    expect(run.stdout).toContain("3 hosts: 0 ok · 0 warn · 2 fail · 1 no answer · 0 offline");
    expect(run.stdout.indexOf("edge-1")).toBeLessThan(run.stdout.indexOf("edge-3"));
    expect(run.code).toBe(1);
  }, 90_000);
});

describe("fleet matrix rendering", () => {
  it("stays inside Block Kit limits for 1,000 hosts and says what it left out", () => {
    const rows: FleetRow[] = Array.from({ length: 1000 }, (_, i) => ({
      host: `a-very-long-host-name-for-the-render-limit-test-${String(i).padStart(4, "0")}`,
      state: i % 10 === 0 ? "fail" : i % 7 === 0 ? "no-answer" : "ok",
      layers: i % 7 === 0 && i % 10 !== 0 ? {} : { process: i % 10 === 0 ? "fail" : "ok", port: "ok", transport: "ok" },
      reason: "x".repeat(300),
    }));
    const counts = countRows(rows);
    const msg = toBlockKit(
      renderFleetStatus({
        selector: { kind: "all" },
        rows,
        counts,
        columns: ["process", "port", "transport"],
        deadlineMs: 2000,
        elapsedMs: 2010,
      }),
    );
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    for (const b of msg.blocks) {
      const texts = [
        (b as { text?: { text: string } }).text?.text,
        ...((b as { elements?: { text: string | { text: string } }[] }).elements ?? []).map((e) =>
          typeof e.text === "string" ? e.text : e.text.text,
        ),
      ].filter((t): t is string => t !== undefined);
      for (const t of texts) expect(t.length).toBeLessThanOrEqual(3000);
    }
    const all = JSON.stringify(msg.blocks);
    expect(all).toContain(
      `Showing the worst ${MAX_FLEET_ROWS} of 1000 hosts; ${1000 - MAX_FLEET_ROWS} more not listed`,
    );
    expect(msg.text).toContain(
      `1000 hosts: ${counts.ok} ok · 0 warn · ${counts.fail} fail · ${counts["no-answer"]} no answer`,
    );
    // A Triage button per failing host, 25 to an actions block, capped, the rest counted.
    const rowsOfButtons = msg.blocks.filter((b) => b.type === "actions") as { elements: { value: string }[] }[];
    expect(rowsOfButtons.map((b) => b.elements.length)).toEqual([25, 25]);
    expect(rowsOfButtons[0]?.elements[0]?.value).toBe(`triage ${rows[0]?.host}`);
    expect(all).toContain(
      `Triage buttons for the first ${MAX_TRIAGE_BUTTONS} failing hosts; ${counts.fail - MAX_TRIAGE_BUTTONS} more failing hosts left off`,
    );
  });
});
