import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNode } from "../support/run-node.ts";

/**
 * `npm run demo` as a new user runs it (issue 33, item 3): the pinned OpenClaw gateway from the
 * cache (installed there first if missing, as the test setup does), started isolated on loopback,
 * the control plane and its local agent pointed at it; `clawops triage demo` gets a real triage;
 * `--break token-drift|down|hung` puts the real gateway into each fault and the triage says so;
 * `stop` ends it all and removes the lab. A real gateway: run through /work/tools/gw-slot on a
 * shared machine (`npx vitest run --project demo`).
 */
const DEMO = fileURLToPath(new URL("../../scripts/demo.ts", import.meta.url));
const CLI = fileURLToPath(new URL("../../src/node/cli/main.mjs", import.meta.url));

let dataDir: string;
let demo: ChildProcess;
let demoOut = "";

const env = () => ({
  ...process.env,
  CLAWOPS_DATA_DIR: dataDir,
  CLAWOPS_PORT: "0",
  // Triages here are the ones the test asks for.
  CLAWOPS_WATCH_INTERVAL_S: "0",
  NO_COLOR: "1",
});

async function run(file: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await runNode(file, args, env());
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** `clawops triage demo --json`: the CLI finds the demo's control plane through the data folder. */
async function triage(): Promise<{
  code: number | null;
  doc: { status: string; failingLayers: string[]; findings: { id: string }[] };
}> {
  const r = await run(CLI, ["triage", "demo", "--json", "--timeout", "150"]);
  return { code: r.code, doc: JSON.parse(r.out || "{}") };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "clawops-demo-"));
  demo = spawn(process.execPath, [DEMO], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
  demo.stdout?.on("data", (d) => {
    demoOut += d;
  });
  demo.stderr?.on("data", (d) => {
    demoOut += d;
  });
  const deadline = Date.now() + 400_000;
  while (!/Demo gateway: +openclaw \S+ on ws:\/\/127\.0\.0\.1:\d+/.test(demoOut)) {
    if (demo.exitCode !== null) throw new Error(`the demo exited ${demo.exitCode}:\n${demoOut.slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`the demo did not start:\n${demoOut.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  // The local agent enrolls and connects after the banner.
  const online = Date.now() + 60_000;
  for (;;) {
    const hosts = await run(CLI, ["hosts"]);
    if (hosts.out.includes("demo — 🟢 online")) break;
    if (Date.now() > online)
      throw new Error(
        `the demo's agent did not come online; \`clawops hosts\` exited ${hosts.code}:\n${hosts.out}${hosts.err}\n${demoOut.slice(-4000)}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}, 480_000);

afterAll(async () => {
  if (demo && demo.exitCode === null) {
    demo.kill("SIGTERM");
    await new Promise((r) => demo.once("exit", r));
  }
  rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

describe("npm run demo", () => {
  it("shows a real triage of a real gateway: no failing layer", async () => {
    const { code, doc } = await triage();
    expect(doc.status).toBe("done");
    expect(doc.failingLayers).toEqual([]);
    expect(code).toBe(0);
  }, 200_000);

  it("--break token-drift: the running gateway refuses the configured token, and the triage says so", async () => {
    const broke = await run(DEMO, ["--break", "token-drift"]);
    expect(broke.code, broke.err).toBe(0);
    expect(broke.err).toContain("broke the gateway: token-drift. See what clawops says: bin/clawops triage demo");
    const { code, doc } = await triage();
    expect(code).toBe(1);
    expect(doc.findings[0]?.id).toBe("token-drift");
  }, 300_000);

  it("--break down: the gateway is stopped, and the triage says so", async () => {
    expect((await run(DEMO, ["--break", "down"])).code).toBe(0);
    const { code, doc } = await triage();
    expect(code).toBe(1);
    expect(doc.findings[0]?.id).toBe("gateway-down");
  }, 300_000);

  it("--break hung: the port takes connections and nothing answers, and the triage says so", async () => {
    expect((await run(DEMO, ["--break", "hung"])).code).toBe(0);
    const { code, doc } = await triage();
    expect(code).toBe(1);
    expect(doc.findings.map((f) => f.id)).toContain("gateway-unresponsive");
  }, 300_000);

  it("--fix brings it back; stop ends the demo, stops the gateway and removes the lab", async () => {
    expect((await run(DEMO, ["--fix"])).code).toBe(0);
    expect((await triage()).doc.failingLayers).toEqual([]);
    const state = JSON.parse(readFileSync(join(dataDir, "demo.json"), "utf8")) as { lab: string };
    expect(existsSync(state.lab)).toBe(true);
    const stopped = await run(DEMO, ["stop"]);
    expect(stopped.code).toBe(0);
    await new Promise((r) => (demo.exitCode === null ? demo.once("exit", r) : r(null)));
    expect(demo.exitCode).toBe(0);
    expect(existsSync(state.lab)).toBe(false);
    expect(existsSync(join(dataDir, "demo.json"))).toBe(false);
    expect(demoOut).toContain("gateway stopped and the lab removed");
    expect((await run(DEMO, ["--break", "down"])).err).toContain("no demo is running");
  }, 300_000);
});
