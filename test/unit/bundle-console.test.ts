import { rmSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyArchive } from "../../src/core/bundles/archive.ts";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { type BundleLab, makeBundleLab, SECRETS } from "../support/bundle-lab.ts";
import { runCliProcess } from "../support/cli-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";

/**
 * Bundles without Slack: the control plane in console mode (as `npm start` runs it), a real
 * agent process on a lab host with planted secrets, and the `clawops bundle` CLI, which prints
 * the summary and the signed download link.
 */
const HOST = "lab-console";

let lab: BundleLab;
let cp: ControlPlaneProcess;
let agentDir: string;
let agent: AgentProcess;

function clawops(args: string[]) {
  return runCliProcess(args, { server: cp.url, dataDir: cp.dataDir });
}

beforeAll(async () => {
  lab = await makeBundleLab();
  cp = await spawnControlPlane({ CLAWOPS_BUNDLE_RETENTION_DAYS: "3" }, { keepData: true });
  const env = { ...process.env, ...lab.env, CLAWOPS_GATEWAY_PORT: "1" };
  agentDir = await enrollAgent({ server: cp.url, host: HOST, code: await cp.enrollmentCode(HOST), env });
  agent = runAgent({ dir: agentDir, env });
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const r = await fetch(`${cp.url}/api/console/command`, {
      method: "POST",
      headers: { "content-type": "application/json", ...cp.consoleHeaders() },
      body: JSON.stringify({ text: "hosts" }),
    });
    if (JSON.stringify(await r.json()).includes(`*${HOST}* — 🟢 online`)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the agent did not come online:\n${agent.log()}`);
}, 60_000);

afterAll(async () => {
  await agent?.kill();
  await cp?.stop();
  if (cp) rmSync(cp.dataDir, { recursive: true, force: true });
  if (agentDir) rmSync(agentDir, { recursive: true, force: true });
  if (lab) rmSync(lab.dir, { recursive: true, force: true });
});

describe("clawops bundle (local console, no Slack)", () => {
  it("prints the summary and a signed link that downloads a verified, secret-free bundle kept on disk", async () => {
    const run = await clawops(["bundle", HOST]);
    expect(run.stderr).toBe("");
    expect(run.code, run.stdout).toBe(0);
    if (process.env.SHOW_BUNDLE_OUTPUT) console.log(run.stdout);
    expect(run.stdout).toContain(`Collecting a repro bundle from ${HOST}`);
    expect(run.stdout).toContain("Repro bundle");
    // The progress message's last state, once (issue 33, item 8: it was printed twice).
    expect(run.stdout.match(/Bundle bundle_\w+ of \S+ stored \(\d+ ms\)\./g)).toHaveLength(1);
    expect(run.stdout).toMatch(/Versions: CLI 2026\.9\.6/);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/bundles\/\S+)/.exec(run.stdout)?.[1] ?? "";
    expect(link).toMatch(/exp=\d+&sig=[0-9a-f]{64}$/);
    const res = await fetch(link);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    const zip = new Uint8Array(await res.arrayBuffer());
    const { manifest, problems } = await verifyArchive(zip);
    expect(problems).toEqual([]);
    expect(manifest.host).toBe(HOST);
    // Stored under the data folder with its retention.
    const stored = await readdir(join(cp.dataDir, "bundles"));
    expect(stored).toContain(`${manifest.bundleId}.zip`);
    // Nothing planted on the host reached the terminal or the archive.
    const zipText = Buffer.from(zip).toString("latin1");
    for (const secret of Object.values(SECRETS)) {
      expect(run.stdout).not.toContain(secret);
      expect(zipText).not.toContain(secret);
    }
    // A link for another bundle id with this signature is refused.
    expect((await fetch(link.replace(manifest.bundleId, `${manifest.bundleId}x`))).status).toBe(403);
  }, 90_000);

  it("refuses a malformed ticket key before doing anything", async () => {
    const run = await clawops(["bundle", HOST, "--ticket", "not a key"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("is not a ticket key");
  });

  it("a 7 MiB log of long lines with binary junk crosses the real agent socket as a bounded bundle marked partial", async () => {
    const line = (i: number) =>
      `2026-11-22T08:${String(i % 60).padStart(2, "0")}:00.000Z [agent] line ${i} ${"y".repeat(3_000)}`;
    const lines = Array.from({ length: 2_400 }, (_, i) => line(i));
    lines.splice(
      1_200,
      0,
      "2026-11-22T09:00:00.000Z [gateway] loading configuration…",
      "\u0000\u0001binary\u0002\u0003junk\u0004",
    );
    lines.push("2026-11-22T09:10:00.000Z [ws] closed before connect conn=z code=1008 reason=unauthorized");
    await writeFile(lab.logPath, `${lines.join("\n")}\n`);
    const run = await clawops(["bundle", HOST]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("INCOMPLETE");
    const link = /(http:\/\/127\.0\.0\.1:\d+\/bundles\/\S+)/.exec(run.stdout)?.[1] ?? "";
    const zip = new Uint8Array(await (await fetch(link)).arrayBuffer());
    const { manifest, problems } = await verifyArchive(zip);
    expect(problems).toEqual([]);
    expect(manifest.complete).toBe(false);
    // ~1.2 MB per excerpt would not fit one agent frame (1 MiB): the largest is cut (newest end
    // kept) and says so; the binary line in it is marked too.
    const start = manifest.files.find((f) => f.name === "logs/around-last-start.log");
    expect(start?.complete).toBe(false);
    expect(start?.reason).toMatch(/binary data replaced/);
    expect(start?.reason).toMatch(/cut to \d+ of \d+ characters to fit the 640 KiB transfer limit/);
    expect(manifest.incomplete.join("\n")).toMatch(/cut to fit the transfer limit: logs\/around-last-start\.log/);
    expect(manifest.files.reduce((n, f) => n + f.size, 0)).toBeLessThan(1024 * 1024);
    const disconnect = manifest.files.find((f) => f.name === "logs/around-last-disconnect.log");
    expect(disconnect?.size).toBeGreaterThan(500_000);
  }, 90_000);
});
