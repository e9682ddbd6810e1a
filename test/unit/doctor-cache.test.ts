import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createJobRunner } from "../../src/agent/job-runner.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import {
  DoctorCache,
  doctorCache,
  doctorCacheKey,
  doctorRefreshAfterMs,
  startDoctorRefresher,
} from "../../src/agent/probes/doctor-cache.ts";
import {
  DOCTOR_CACHE_FILE,
  loadDoctorCacheEntries,
  saveDoctorCacheEntries,
} from "../../src/agent/probes/doctor-cache-file.ts";
import { runDoctorLint, startDoctorCacheRefresher } from "../../src/agent/probes/doctor-lint.ts";
import { JobReadings } from "../../src/agent/probes/job-readings.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { JobRunFrame } from "../../src/contract/agent-wire.ts";
import type { DoctorLintData, StepResult } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { renderTriageResult } from "../../src/core/triage/render.ts";

/**
 * The agent's doctor cache, through the real `doctor.lint` probe and a stand-in `openclaw`
 * executable that prints a captured `doctor --lint --json` document and counts its runs.
 */
const fixture = new URL("./fixtures/openclaw/doctor-lint-json.up.out", import.meta.url);

let lab: string;
let stateDir: string;
let configPath: string;
let bin: string;
let countFile: string;
let outputFile: string;

beforeAll(async () => {
  lab = await mkdtemp(join(tmpdir(), "clawops-doctor-cache-"));
  stateDir = join(lab, "state");
  configPath = join(stateDir, "openclaw.json");
  bin = join(lab, "openclaw");
  countFile = join(lab, "runs");
  outputFile = join(lab, "doctor-output.json");
  await mkdir(join(stateDir, "workspace"), { recursive: true });
  await writeFile(join(stateDir, "workspace", "HEARTBEAT.md"), "# heartbeat\n");
  await writeFile(join(stateDir, "openclaw.sqlite"), "db");
  await writeFile(configPath, JSON.stringify({ gateway: { mode: "local", port: 18789 } }));
  await writeFile(outputFile, await readFile(fixture));
  await writeFile(countFile, "");
  await writeFile(bin, `#!/bin/sh\necho run >> "${countFile}"\nsleep 0.3\ncat "${outputFile}"\nexit 1\n`);
  await chmod(bin, 0o755);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await rm(lab, { recursive: true, force: true });
});

const ctx = () =>
  resolveProbeContext(
    { HOME: join(lab, "home"), OPENCLAW_STATE_DIR: stateDir, OPENCLAW_CONFIG_PATH: configPath, PATH: "/usr/bin:/bin" },
    { openclawBin: bin },
  );

async function lint(): Promise<DoctorLintData> {
  const [result] = await runSteps(ctx(), [{ step: "doctor.lint", args: {} }], { deadlineMs: 20_000 });
  if (result?.step !== "doctor.lint" || result.status !== "ok" || !result.data) {
    throw new Error(`doctor.lint did not answer ok: ${JSON.stringify(result)}`);
  }
  return result.data;
}

const runs = async () => (await readFile(countFile, "utf8")).split("\n").filter(Boolean).length;

describe("doctor.lint answers from the agent's cache", () => {
  it("runs doctor when nothing is cached, then answers from the cache with its age", async () => {
    const first = await lint();
    expect(first.cache).toMatchObject({ source: "run", ageMs: 0, reason: "no result for the current key" });
    expect(first.findings?.map((f) => f.checkId)).toContain("core/doctor/security");
    expect(await runs()).toBe(1);

    const second = await lint();
    expect(second.cache?.source).toBe("cache");
    expect(second.cache?.ageMs).toBeGreaterThanOrEqual(0);
    expect(second.findings).toEqual(first.findings);
    expect(await runs()).toBe(1);
  });

  it("a database that only grows keeps the key; a changed config or a workspace file turned folder does not", async () => {
    await appendFile(join(stateDir, "openclaw.sqlite"), "more rows");
    expect((await lint()).cache?.source).toBe("cache");
    // A gateway starting and stopping: its scratch folder and the database's WAL come and go.
    await mkdir(join(stateDir, "tmp", "node-workspace-transfer"), { recursive: true });
    await writeFile(join(stateDir, "openclaw.sqlite-wal"), "");
    await writeFile(join(stateDir, "openclaw.sqlite-shm"), "");
    expect((await lint()).cache?.source).toBe("cache");
    await rm(join(stateDir, "tmp"), { recursive: true });
    await rm(join(stateDir, "openclaw.sqlite-wal"));
    expect((await lint()).cache?.source).toBe("cache");

    await writeFile(configPath, JSON.stringify({ gateway: { mode: "local", port: 18790 } }));
    expect((await lint()).cache?.source).toBe("run");
    expect((await lint()).cache?.source).toBe("cache");

    await rm(join(stateDir, "workspace", "HEARTBEAT.md"));
    await mkdir(join(stateDir, "workspace", "HEARTBEAT.md"));
    expect((await lint()).cache?.source).toBe("run");
    expect(await runs()).toBe(3);
  });

  it("two triages at once on a miss share one doctor run", async () => {
    await writeFile(join(stateDir, "new-entry"), "");
    const before = await runs();
    const [a, b] = await Promise.all([lint(), lint()]);
    expect([a.cache?.source, b.cache?.source]).toEqual(["run", "run"]);
    expect(await runs()).toBe(before + 1);
  });

  it("an unreadable doctor answer is returned but not kept", async () => {
    await writeFile(outputFile, "not json");
    await writeFile(join(stateDir, "another-entry"), "");
    const bad = await lint();
    expect(bad.parseError).toMatch(/not JSON/);
    expect((await lint()).cache?.source).toBe("run");
    await writeFile(outputFile, await readFile(fixture));
    expect((await lint()).cache?.source).toBe("run");
    expect((await lint()).cache?.source).toBe("cache");
  });

  it("a result over a minute old is served, then refreshed in the background after the job", async () => {
    const before = await runs();
    const realNow = Date.now;
    const spy = vi.spyOn(Date, "now").mockImplementation(() => realNow() + 5 * 60_000);
    const reasons: string[] = [];
    doctorCache.onRunStarted = (_c, why) => reasons.push(why);
    try {
      const old = await lint();
      expect(old.cache?.source).toBe("cache");
      expect(old.cache?.ageMs).toBeGreaterThanOrEqual(5 * 60_000 - 1_000);
      await vi.waitFor(async () => expect(await runs()).toBe(before + 1), { timeout: 10_000 });
      expect(reasons).toEqual([
        `a triage was answered from a reading ${Math.round((old.cache?.ageMs ?? 0) / 1000)} s old`,
      ]);
      await vi.waitFor(() => expect(doctorCache.refreshing(ctx())).toBe(false), { timeout: 10_000 });
      const fresh = await lint();
      expect(fresh.cache?.source).toBe("cache");
      expect(fresh.cache?.ageMs).toBeLessThan(60_000);
    } finally {
      spy.mockRestore();
      doctorCache.onRunStarted = undefined;
    }
  });

  it("a config put back is answered from its earlier reading, until that reading is 15 minutes old", async () => {
    const original = await readFile(configPath, "utf8");
    expect((await lint()).cache?.source).toBe("cache");
    const before = await runs();
    await writeFile(configPath, JSON.stringify({ gateway: { mode: "local", port: 18791 } }));
    expect((await lint()).cache?.source).toBe("run");
    await writeFile(configPath, original);
    const back = await lint();
    expect(back.cache?.source).toBe("cache");
    expect(await runs()).toBe(before + 1);

    const realNow = Date.now;
    // Past 15 minutes from either reading (the test above took one on a clock 5 minutes ahead).
    const spy = vi.spyOn(Date, "now").mockImplementation(() => realNow() + 21 * 60_000);
    try {
      const again = await lint();
      expect(again.cache).toMatchObject({ source: "run", reason: "no result for the current key" });
      expect(await runs()).toBe(before + 2);
    } finally {
      spy.mockRestore();
    }
  });

  it("forgets its result when told to (after doctor --fix)", async () => {
    doctorCache.invalidate(ctx());
    expect((await lint()).cache?.source).toBe("run");
  });

  it("CLAWOPS_DOCTOR_REFRESH_S sets how old a reading must be for that refresh; a bad value is refused", async () => {
    expect(doctorRefreshAfterMs({})).toBe(60_000);
    expect(doctorRefreshAfterMs({ CLAWOPS_DOCTOR_REFRESH_S: " 900 " })).toBe(900_000);
    expect(() => doctorRefreshAfterMs({ CLAWOPS_DOCTOR_REFRESH_S: "15m" })).toThrow(
      'CLAWOPS_DOCTOR_REFRESH_S: "15m" is not a number of seconds.',
    );
    // A reading 5 minutes old, under a 15-minute setting: served, and no doctor run after the job.
    doctorCache.invalidate(ctx());
    expect((await lint()).cache?.source).toBe("run");
    const before = await runs();
    const realNow = Date.now;
    const spy = vi.spyOn(Date, "now").mockImplementation(() => realNow() + 5 * 60_000);
    try {
      const kept = await runSteps(
        { ...ctx(), doctorRefreshAfterMs: 15 * 60_000 },
        [{ step: "doctor.lint", args: {} }],
        {
          deadlineMs: 20_000,
        },
      );
      expect(kept[0]?.status).toBe("ok");
      // The refresh would have started as the job ended; doctor's stand-in takes 0.3 s.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(doctorCache.refreshing(ctx())).toBe(false);
      expect(await runs()).toBe(before);
      // The same reading under the default minute is refreshed.
      expect((await lint()).cache?.source).toBe("cache");
      await vi.waitFor(async () => expect(await runs()).toBe(before + 1), { timeout: 10_000 });
      await vi.waitFor(() => expect(doctorCache.refreshing(ctx())).toBe(false), { timeout: 10_000 });
    } finally {
      spy.mockRestore();
      doctorCache.invalidate(ctx());
    }
  });
});

describe("in the agent's `run`: doctor warmed in the background, never on a triage's path", () => {
  const runCtx = () => ({ ...ctx(), doctorInBackground: true, agentDir: join(lab, "agent") });
  const lintResult = async () => {
    const [result] = await runSteps(runCtx(), [{ step: "doctor.lint", args: {} }], { deadlineMs: 20_000 });
    return result as StepResult;
  };
  const idle = () => vi.waitFor(() => expect(doctorCache.refreshing(ctx())).toBe(false), { timeout: 10_000 });

  it("a miss answers at once that a reading is being taken, starts one, and the next triage has it", async () => {
    await idle();
    await mkdir(join(lab, "agent"), { recursive: true });
    await writeFile(join(stateDir, `pending-${Date.now()}`), "");
    const before = await runs();
    const pending = await lintResult();
    expect(pending.status).toBe("error");
    expect(pending.error?.code).toBe("doctor_pending");
    expect(pending.error?.message).toMatch(/^a new reading is being taken on the host \(started \d+ s ago; 5-10 s\)$/);
    // The step did not wait: doctor (0.3 s in the stand-in) is still running when it answered.
    expect(doctorCache.refreshing(ctx())).toBe(true);
    // The answer says so in its footer; the config layer is read from the other probes, as while
    // doctor runs, not marked unknown.
    const classified = classifyResults([pending], ["doctor.lint"]);
    expect(classified.matrix.config.reason).not.toMatch(/doctor/);
    const answer = JSON.stringify(
      renderTriageResult(classified, {
        host: "h",
        jobId: "j",
        elapsedMs: 300,
        doctor: { source: "pending", ageMs: 0 },
      }),
    );
    expect(answer).toContain("no doctor reading yet (being taken on the host)");
    await idle();
    expect(await runs()).toBe(before + 1);
    const next = await lintResult();
    expect(next.status).toBe("ok");
    expect(next.step === "doctor.lint" && next.data?.cache?.source).toBe("cache");
  });

  it("a job that runs another slow CLI step (the runbook's snapshot) waits for a fresh reading", async () => {
    await idle();
    await writeFile(join(stateDir, `snapshot-${Date.now()}`), "");
    const before = await runs();
    const results = await runSteps(
      runCtx(),
      [
        { step: "doctor.lint", args: {} },
        { step: "models.status", args: {} },
      ],
      { deadlineMs: 20_000 },
    );
    const lintOf = results.find((r) => r.step === "doctor.lint");
    expect(lintOf?.status).toBe("ok");
    expect(lintOf?.step === "doctor.lint" && lintOf.data?.cache?.source).toBe("run");
    expect(await runs()).toBeGreaterThanOrEqual(before + 1);
  });

  it("warms at start and again when openclaw.json changes, with no triage asking", async () => {
    await idle();
    const cache = new DoctorCache();
    const reasons: string[] = [];
    cache.onRunStarted = (_c, why) => reasons.push(why);
    const before = await runs();
    const stop = startDoctorRefresher(
      ctx(),
      () => new JobReadings(ctx()).config(),
      (c) => runDoctorLint(c, new JobReadings(c), 10_000),
      { cache, intervalMs: 3_600_000 },
    );
    try {
      await vi.waitFor(async () => expect(await runs()).toBe(before + 1), { timeout: 10_000 });
      await vi.waitFor(() => expect(cache.refreshing(ctx())).toBe(false), { timeout: 10_000 });
      const key = await doctorCacheKey(ctx(), await new JobReadings(ctx()).config());
      expect(cache.get(ctx(), key)).toBeDefined();
      // An editor's save: a new file renamed over the old one.
      await writeFile(`${configPath}.swp`, JSON.stringify({ gateway: { mode: "local", port: 18795 } }));
      const { rename } = await import("node:fs/promises");
      await rename(`${configPath}.swp`, configPath);
      await vi.waitFor(async () => expect(await runs()).toBe(before + 2), { timeout: 10_000 });
      await vi.waitFor(() => expect(cache.refreshing(ctx())).toBe(false), { timeout: 10_000 });
      const newKey = await doctorCacheKey(ctx(), await new JobReadings(ctx()).config());
      expect(newKey).not.toBe(key);
      expect(cache.get(ctx(), newKey)).toBeDefined();
      // The agent logs why each run started (`doctor --lint started`).
      expect(reasons).toEqual(["no reading for the config at the agent's start", "openclaw.json changed"]);
    } finally {
      stop();
    }
  });

  it("takes no reading while a job changes the host, nor just after it: then none for a config put back, one for a config left changed", async () => {
    await idle();
    const cache = new DoctorCache();
    const reasons: string[] = [];
    cache.onRunStarted = (_c, why) => reasons.push(why);
    const original = await readFile(configPath, "utf8");
    const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const before = await runs();
    // The key checked every 200 ms here (every minute in the agent), and on every config write.
    const stop = startDoctorRefresher(
      ctx(),
      () => new JobReadings(ctx()).config(),
      (c) => runDoctorLint(c, new JobReadings(c), 10_000),
      { cache, intervalMs: 200, afterHoldMs: 3_000 },
    );
    try {
      await vi.waitFor(async () => expect(await runs()).toBe(before + 1), { timeout: 10_000 });
      await vi.waitFor(() => expect(cache.refreshing(ctx())).toBe(false), { timeout: 10_000 });
      // A switch of versions rolled back: the config changes, then is put back, while the job runs.
      let release = cache.hold(ctx());
      await writeFile(configPath, JSON.stringify({ gateway: { mode: "local", port: 18796 } }));
      await settle(1_500);
      expect(await runs()).toBe(before + 1);
      await writeFile(configPath, original);
      await settle(500);
      release();
      await settle(4_000);
      expect(cache.refreshing(ctx())).toBe(false);
      expect(await runs()).toBe(before + 1);
      // A switch that stays: one reading, once the job is over, of the config it left.
      release = cache.hold(ctx());
      await writeFile(configPath, JSON.stringify({ gateway: { mode: "local", port: 18797 } }));
      await settle(1_500);
      expect(await runs()).toBe(before + 1);
      release();
      // Not at once: the job's sequel may come (checked every 200 ms here, held for 3 s).
      await settle(1_000);
      expect(await runs()).toBe(before + 1);
      await vi.waitFor(async () => expect(await runs()).toBe(before + 2), { timeout: 10_000 });
      await vi.waitFor(() => expect(cache.refreshing(ctx())).toBe(false), { timeout: 10_000 });
      await settle(1_000);
      expect(await runs()).toBe(before + 2);
      const key = await doctorCacheKey(ctx(), await new JobReadings(ctx()).config());
      expect(cache.get(ctx(), key)).toBeDefined();
      expect(reasons).toHaveLength(2);
      expect(reasons[1]).toMatch(/^(openclaw\.json changed|what doctor reads changed)/);
    } finally {
      stop();
      await writeFile(configPath, original);
    }
  });

  it("the agent's job runner holds the refresher for a job with a step that changes the host, and only while it runs", async () => {
    const runner = createJobRunner({
      HOME: join(lab, "home"),
      OPENCLAW_STATE_DIR: stateDir,
      OPENCLAW_CONFIG_PATH: configPath,
      PATH: "/usr/bin:/bin",
      CLAWOPS_OPENCLAW_BIN: bin,
    });
    const heldAt: Record<string, boolean> = {};
    const job = (jobId: string, steps: JobRunFrame["steps"]): JobRunFrame => ({
      type: "job.run",
      jobId,
      steps,
      deadlineMs: 20_000,
    });
    // A restart whose approval is refused: the step answers, the host unchanged.
    await runner.run(job("j-restart", [{ step: "gateway.restart", args: { approval: "x".repeat(40) } }]), (r) => {
      heldAt[r.step] = doctorCache.held(ctx());
    });
    await runner.run(job("j-read", [{ step: "config", args: {} }]), (r) => {
      heldAt[r.step] = doctorCache.held(ctx());
    });
    expect(heldAt).toEqual({ "gateway.restart": true, config: false });
    expect(doctorCache.held(ctx())).toBe(false);
  });

  it("keeps its last reading in the state folder: a restarted agent answers from it, with its true age", async () => {
    await idle();
    const agentDir = join(lab, "agent");
    await mkdir(agentDir, { recursive: true });
    const c = runCtx();
    const stop = startDoctorCacheRefresher(c, () => {});
    let finishedAt = 0;
    try {
      await idle();
      const key = await doctorCacheKey(c, await new JobReadings(c).config());
      // The config changed in the test before: the refresher took a reading for the new key at
      // once and wrote it to the state folder, readable by the agent's user alone.
      await vi.waitFor(async () => expect((await stat(join(agentDir, DOCTOR_CACHE_FILE))).mode & 0o777).toBe(0o600));
      const kept = JSON.parse(await readFile(join(agentDir, DOCTOR_CACHE_FILE), "utf8"));
      finishedAt = doctorCache.get(c, key)?.finishedAt ?? 0;
      expect(kept).toMatchObject({ v: 2, configPath, stateDir });
      expect(kept.entries[0]).toMatchObject({ key, finishedAt });
    } finally {
      stop();
    }
    // A restart: the process's cache is empty; the kept reading comes back without a doctor run.
    doctorCache.invalidate(c);
    const before = await runs();
    const stop2 = startDoctorCacheRefresher(c, () => {});
    try {
      const answer = await lintResult();
      expect(answer.status).toBe("ok");
      expect(answer.step === "doctor.lint" && answer.data?.cache?.source).toBe("cache");
      const age = answer.step === "doctor.lint" ? (answer.data?.cache?.ageMs ?? -1) : -1;
      expect(age).toBeGreaterThanOrEqual(Date.now() - finishedAt - 1_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(await runs()).toBe(before);
    } finally {
      stop2();
    }
  });
});

describe("the readings a restarted agent keeps", () => {
  const lintData = (n: number): DoctorLintData => ({ exitCode: 1, timedOut: false, findings: [], checksRun: n });
  const run = (n: number) => async () => ({
    data: lintData(n),
    output: { exitCode: 1, stdout: "{}", stderr: "", timedOut: false, durationMs: 1 } as never,
  });

  it("every config's reading the cache still answers from is kept, newest first; a config put back after a restart is answered at once", async () => {
    const dir = await mkdtemp(join(lab, "kept-"));
    const c = { ...ctx(), agentDir: dir };
    let clock = 1_000_000;
    const before = new DoctorCache(() => clock);
    before.onStored = (cc, entries) => saveDoctorCacheEntries(cc, entries);
    await before.refresh(c, "key-healthy", run(1), "test");
    clock += 60_000;
    await before.refresh(c, "key-drifted", run(2), "test");
    const file = JSON.parse(await readFile(join(dir, DOCTOR_CACHE_FILE), "utf8"));
    expect(file.entries.map((e: { key: string }) => e.key)).toEqual(["key-drifted", "key-healthy"]);

    // The restarted agent: both readings back, the newest first, each with its own age.
    clock += 60_000;
    const after = new DoctorCache(() => clock);
    after.restore(c, loadDoctorCacheEntries(c));
    expect(after.get(c, "key-drifted")?.data.checksRun).toBe(2);
    expect(after.get(c, "key-healthy")?.data.checksRun).toBe(1);
    expect(after.ageMs(after.get(c, "key-healthy") ?? expect.fail("no reading"))).toBe(120_000);
    // An earlier config's reading is not served once 15 minutes old; the newest is, with its age.
    clock += 14 * 60_000;
    expect(after.get(c, "key-healthy")).toBeUndefined();
    expect(after.get(c, "key-drifted")).toBeDefined();
    // A reading this run took stays ahead of a kept one for the same key.
    await after.refresh(c, "key-healthy", run(3), "test");
    after.restore(c, [{ key: "key-healthy", finishedAt: 1, data: lintData(9) }]);
    expect(after.get(c, "key-healthy")?.data.checksRun).toBe(3);
  });

  it("still reads the one reading an older agent kept (version 1); another gateway's or a broken file is none", async () => {
    const dir = await mkdtemp(join(lab, "kept-v1-"));
    const c = { ...ctx(), agentDir: dir };
    const data = lintData(4);
    await writeFile(
      join(dir, DOCTOR_CACHE_FILE),
      JSON.stringify({ v: 1, configPath: c.configPath, stateDir: c.stateDir, key: "k1", finishedAt: 5, data }),
    );
    expect(loadDoctorCacheEntries(c)).toEqual([{ key: "k1", finishedAt: 5, data }]);
    await writeFile(
      join(dir, DOCTOR_CACHE_FILE),
      JSON.stringify({
        v: 2,
        configPath: "/elsewhere.json",
        stateDir: c.stateDir,
        entries: [{ key: "k", finishedAt: 1, data }],
      }),
    );
    expect(loadDoctorCacheEntries(c)).toEqual([]);
    await writeFile(join(dir, DOCTOR_CACHE_FILE), "{ not json");
    expect(loadDoctorCacheEntries(c)).toEqual([]);
  });
});

describe("the triage answer and the doctor cache", () => {
  const lintResult = (cache: DoctorLintData["cache"]): StepResult => ({
    step: "doctor.lint",
    status: "ok",
    durationMs: 3,
    data: { exitCode: 1, timedOut: false, findings: [], ...(cache ? { cache } : {}) },
  });
  const text = (results: StepResult[], meta: Partial<Parameters<typeof renderTriageResult>[1]>) =>
    JSON.stringify(
      renderTriageResult(classifyResults(results, ["doctor.lint"]), {
        host: "h",
        jobId: "j",
        elapsedMs: 1_000,
        ...meta,
      }),
    );

  it("says how old a cached doctor result is", () => {
    const out = text([lintResult({ source: "cache", ageMs: 4 * 60_000 })], {
      doctor: { source: "cache", ageMs: 4 * 60_000 },
    });
    expect(out).toContain("doctor result 4 min old (cached on the host)");
  });

  it("says doctor ran when it did", () => {
    expect(text([lintResult({ source: "run", ageMs: 0 })], { doctor: { source: "run", ageMs: 0 } })).toContain(
      "doctor ran for this triage",
    );
  });

  it("while doctor is still running, says the doctor part is being refreshed", () => {
    const out = text([], { pending: ["doctor.lint"] });
    expect(out).toContain("Still running: `doctor.lint`");
    expect(out).toContain("The doctor part is being refreshed on the host");
    expect(text([], { pending: ["gateway.status"] })).not.toContain("doctor part");
  });
});
