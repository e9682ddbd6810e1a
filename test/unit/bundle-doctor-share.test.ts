import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { DoctorCache, doctorCache, doctorCacheKey } from "../../src/agent/probes/doctor-cache.ts";
import { runDoctorLint } from "../../src/agent/probes/doctor-lint.ts";
import { JobReadings } from "../../src/agent/probes/job-readings.ts";
import { readOpenclawConfig } from "../../src/agent/probes/openclaw-config.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { BundleFile } from "../../src/contract/catalog.ts";

/**
 * The repro bundle's `cli/doctor-lint.json` without a second doctor on the host: the real
 * `bundle.collect` probe and the agent's doctor cache, with a stand-in `openclaw` that logs each
 * command it is asked to run and prints a captured `doctor --lint --json` document for doctor.
 */
const fixture = new URL("./fixtures/openclaw/doctor-lint-json.up.out", import.meta.url);
/** The lab token, in the config; doctor's output names it too, and the bundle must not. */
const TOKEN = "bundle-doctor-share-token-8d1e44";

let lab: string;
let stateDir: string;
let configPath: string;
let commandsFile: string;

beforeAll(async () => {
  lab = await mkdtemp(join(tmpdir(), "clawops-bundle-doctor-"));
  stateDir = join(lab, "state");
  configPath = join(stateDir, "openclaw.json");
  commandsFile = join(lab, "commands");
  const bin = join(lab, "openclaw");
  const doctorOutput = join(lab, "doctor-output.json");
  await mkdir(join(stateDir, "workspace"), { recursive: true });
  await writeFile(configPath, JSON.stringify({ gateway: { mode: "local", port: 1, auth: { token: TOKEN } } }));
  const doc = JSON.parse(await readFile(fixture, "utf8")) as { findings: { message?: string }[] };
  doc.findings.push({ ...doc.findings[0], message: `token ${TOKEN} is stored in plain text` });
  await writeFile(doctorOutput, JSON.stringify(doc));
  await writeFile(commandsFile, "");
  await writeFile(
    bin,
    [
      "#!/bin/sh",
      `echo "$*" >> "${commandsFile}"`,
      'case "$1" in',
      `  doctor) sleep "\${DOCTOR_SLEEP:-0.5}"; cat "${doctorOutput}"; exit 1 ;;`,
      "  *) echo '{}' ;;",
      "esac",
      "",
    ].join("\n"),
  );
  await chmod(bin, 0o755);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await rm(lab, { recursive: true, force: true });
});

const ctx = (doctorSleep = "0.5") =>
  resolveProbeContext(
    {
      HOME: join(lab, "home"),
      OPENCLAW_STATE_DIR: stateDir,
      OPENCLAW_CONFIG_PATH: configPath,
      PATH: "/usr/bin:/bin",
      DOCTOR_SLEEP: doctorSleep,
    },
    { openclawBin: join(lab, "openclaw"), procRoot: join(lab, "no-proc"), serviceUnitDirs: [] },
  );

const doctorRuns = async () =>
  (await readFile(commandsFile, "utf8")).split("\n").filter((line) => line.startsWith("doctor")).length;

/** The doctor file of a bundle collected now. */
async function bundleDoctorFile(deadlineMs = 30_000): Promise<BundleFile> {
  const [result] = await runSteps(ctx(), [{ step: "bundle.collect", args: {} }], { deadlineMs });
  const data = result?.step === "bundle.collect" ? result.data : undefined;
  const file = data?.files.find((f) => f.name === "cli/doctor-lint.json");
  if (!file) throw new Error(`no cli/doctor-lint.json in the bundle: ${JSON.stringify(result)}`);
  return file;
}

/** A triage's doctor run, through the cache as the `doctor.lint` step makes it. */
async function triageDoctor(doctorSleep?: string): Promise<void> {
  const c = ctx(doctorSleep);
  const key = await doctorCacheKey(c, await readOpenclawConfig(configPath, c.env));
  await doctorCache.refresh(c, key, (x) => runDoctorLint(x, new JobReadings(x), 10_000), "test");
}

describe("the repro bundle takes doctor's output from the agent when it has it", () => {
  it("right after a triage's doctor run: no second doctor, the output the same, redacted, and said where it came from", async () => {
    await triageDoctor();
    expect(await doctorRuns()).toBe(1);
    const file = await bundleDoctorFile();
    expect(await doctorRuns()).toBe(1);
    expect(file.complete).toBe(true);
    expect(file.content).toContain('"checksRun"');
    expect(file.content).toMatch(
      /^\$ openclaw doctor --lint --json\n# exit 1 after \d+ ms; the agent's reading of \d{4}-\d\d-\d\dT[\d:.]+Z \(nothing doctor reads has changed since\)\n/,
    );
    expect(file.content).toContain("stored in plain text");
    expect(file.content).not.toContain(TOKEN);
  });

  it("joins the agent's run under way instead of starting another", async () => {
    await writeFile(configPath, JSON.stringify({ gateway: { mode: "local", port: 2, auth: { token: TOKEN } } }));
    const before = await doctorRuns();
    const [, file] = await Promise.all([triageDoctor(), bundleDoctorFile()]);
    expect(await doctorRuns()).toBe(before + 1);
    expect(file.complete).toBe(true);
    expect(file.content).toContain('"checksRun"');
    expect(file.content).toMatch(/^# exit 1 after \d+ ms; the agent's run under way, joined; finished /m);
  });

  it("a joined run that outlasts the bundle's budget: the file says so, partial, and no second doctor", async () => {
    await writeFile(configPath, JSON.stringify({ gateway: { mode: "local", port: 4, auth: { token: TOKEN } } }));
    const before = await doctorRuns();
    const slow = triageDoctor("4");
    // A 6 s job leaves the doctor file about 2 s (less the result and packaging margins).
    const file = await bundleDoctorFile(6_000);
    expect(file.complete).toBe(false);
    expect(file.reason).toMatch(/^the agent's doctor run under way did not finish within \d+ ms$/);
    expect(file.content).not.toContain('"checksRun"');
    await slow;
    expect(await doctorRuns()).toBe(before + 1);
  });

  it("runs doctor itself when the agent's reading is over a minute old, or for another config", async () => {
    const realNow = Date.now;
    const spy = vi.spyOn(Date, "now").mockImplementation(() => realNow() + 61_000);
    try {
      const before = await doctorRuns();
      const file = await bundleDoctorFile();
      expect(await doctorRuns()).toBe(before + 1);
      expect(file.content).toMatch(/^# exit 1 after \d+ ms\n/m);
      expect(file.content).toContain('"checksRun"');
    } finally {
      spy.mockRestore();
    }
    await writeFile(configPath, JSON.stringify({ gateway: { mode: "local", port: 3, auth: { token: TOKEN } } }));
    const before = await doctorRuns();
    expect((await bundleDoctorFile()).content).toMatch(/^# exit 1 after \d+ ms\n/m);
    expect(await doctorRuns()).toBe(before + 1);
  });
});

describe("the doctor cache keeps doctor's output for the newest reading only", () => {
  it("the newest key's output is served; an older key's is dropped when a newer one is kept", async () => {
    const cache = new DoctorCache();
    const c = ctx();
    const run = (stdout: string) => async () => ({
      data: { exitCode: 1, timedOut: false, checksRun: 1, findings: [] },
      output: { exitCode: 1, exitSignal: null, stdout, stderr: "", timedOut: false, aborted: false, durationMs: 5 },
    });
    await cache.refresh(c, "key-a", run("A"), "test");
    expect((await cache.output(c, "key-a", 60_000))?.output.stdout).toBe("A");
    expect(await cache.output(c, "key-b", 60_000)).toBeUndefined();
    await cache.refresh(c, "key-b", run("B"), "test");
    expect((await cache.output(c, "key-b", 60_000))?.output.stdout).toBe("B");
    // key-a's result is still served to a triage (a config put back), without its output.
    expect(cache.get(c, "key-a")?.data.checksRun).toBe(1);
    expect(await cache.output(c, "key-a", 60_000)).toBeUndefined();
    // Output too large to keep is not kept; the result still is.
    await cache.refresh(c, "key-c", run("x".repeat(70 * 1024)), "test");
    expect(cache.get(c, "key-c")).toBeDefined();
    expect(await cache.output(c, "key-c", 60_000)).toBeUndefined();
  });
});
