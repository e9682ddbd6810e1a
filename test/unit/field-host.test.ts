import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeReport } from "../../src/agent/probe-report.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { noteStatusHeap } from "../../src/agent/probes/gateway-ws-field.ts";
import { JobReadings } from "../../src/agent/probes/job-readings.ts";
import { attributeLog } from "../../src/agent/probes/log-attribution.ts";
import { scanLogText } from "../../src/agent/probes/log-signatures.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { heapTrend, noteMemory, resetVitalSamples } from "../../src/agent/probes/vital-samples.ts";
import { STEP_NAMES, type StepName, type StepResult, type StepResultOf } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { watchAttributes } from "../../src/core/hosts/watch-attributes.ts";
import { renderTriageResult } from "../../src/core/triage/render.ts";
import { gatewayDownData, healthyData, toResults } from "../support/evidence.ts";

/**
 * Issue 30 on a host the agent reads (a fake procfs, cgroupfs and state dir shaped like what
 * OpenClaw 2026.9.6 does, measured on the real gateway): what is a gateway (the operator's
 * `openclaw gateway probe` runs as `openclaw-gateway` for seconds; another profile's gateway
 * names its state dir only in its workers' env and its lock), whose log this is, the lock files
 * a dead gateway leaves (the real lock's format), memory against its cgroup limit, answer times.
 */
let root: string;
let proc: string;
let cgroup: string;
let home: string;
let stateDir: string;
let readyz: Server;
let readyzDelayMs = 0;
let readyzDegraded = false;
const PORT_HEX = (p: number) => p.toString(16).toUpperCase().padStart(4, "0");
const lockName = (configPath: string) =>
  `gateway.${createHash("sha256").update(configPath).digest("hex").slice(0, 8)}.lock`;

type FakeProcess = {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
  env: Record<string, string>;
  sockets?: number[];
  /** Open files: held for writing as a gateway holds its lock (fdinfo `flags: 02500001`), or read-only. */
  fds?: (string | { path: string; readOnly: true })[];
  rssKb?: number;
  startTime?: number;
  cgroup?: string;
};

async function addProcess(p: FakeProcess): Promise<void> {
  const dir = join(proc, String(p.pid));
  await mkdir(join(dir, "fd"), { recursive: true });
  await writeFile(join(dir, "comm"), `${p.comm}\n`);
  await writeFile(join(dir, "cmdline"), `${p.argv.join("\0")}\0`);
  await writeFile(
    join(dir, "status"),
    `Name:\t${p.comm}\nState:\tS (sleeping)\nPPid:\t${p.ppid}\nUid:\t0\t0\t0\t0\n${p.rssKb ? `VmRSS:\t ${p.rssKb} kB\n` : ""}`,
  );
  // /proc/<pid>/stat: field 22 is the start time (clock ticks since boot), what OpenClaw records.
  const fields = Array.from({ length: 52 }, (_, i) => (i === 21 ? String(p.startTime ?? 1000) : "0"));
  await writeFile(join(dir, "stat"), `${p.pid} (${p.comm}) S ${p.ppid} ${fields.slice(4).join(" ")}\n`);
  await writeFile(join(dir, "cgroup"), p.cgroup ?? "0::/\n");
  await writeFile(
    join(dir, "environ"),
    `${Object.entries(p.env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\0")}\0`,
  );
  await symlink("/dev/null", join(dir, "fd", "0"));
  for (const [i, inode] of (p.sockets ?? []).entries())
    await symlink(`socket:[${inode}]`, join(dir, "fd", String(10 + i)));
  await mkdir(join(dir, "fdinfo"), { recursive: true });
  for (const [i, f] of (p.fds ?? []).entries()) {
    await symlink(typeof f === "string" ? f : f.path, join(dir, "fd", String(30 + i)));
    // The flags OpenClaw's lock descriptors show (measured): O_WRONLY for the holder, O_RDONLY for a `readFile`.
    const flags = typeof f === "string" ? "02500001" : "02100000";
    await writeFile(join(dir, "fdinfo", String(30 + i)), `pos:\t0\nflags:\t${flags}\nmnt_id:\t30\nino:\t${400 + i}\n`);
  }
}

const ctxFor = () =>
  resolveProbeContext(
    { HOME: home, CLAWOPS_GATEWAY_PORT: String((readyz.address() as { port: number }).port) },
    { procRoot: proc, cgroupRoot: cgroup, serviceUnitDirs: [], agentVersion: "0.0.0-test" },
  );

async function run(steps: StepName[]): Promise<StepResult[]> {
  return runSteps(
    ctxFor(),
    steps.map((step) => ({ step, args: {} }) as never),
    { deadlineMs: 8_000 },
  );
}

function data<N extends StepName>(results: StepResult[], name: N): NonNullable<StepResultOf<N>["data"]> {
  const r = results.find((x): x is StepResultOf<N> => x.step === name);
  if (!r?.data) throw new Error(`no ${name}: ${JSON.stringify(r)}`);
  return r.data as NonNullable<StepResultOf<N>["data"]>;
}

let gatewayPort: number;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "clawops-field-"));
  proc = join(root, "proc");
  cgroup = join(root, "cgroup");
  home = join(root, "home");
  stateDir = join(home, ".openclaw");
  readyz = createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          ready: true,
          failing: [],
          eventLoop: {
            degraded: readyzDegraded,
            reasons: readyzDegraded ? ["event_loop_delay"] : [],
            delayP99Ms: readyzDegraded ? 1543.2 : 22.5,
            delayMaxMs: readyzDegraded ? 2210.4 : 30,
            utilization: 0.02,
          },
        }),
      );
    }, readyzDelayMs);
  });
  await new Promise<void>((r) => readyz.listen(0, "127.0.0.1", () => r()));
  gatewayPort = (readyz.address() as { port: number }).port;
  const other = join(home, ".openclaw-work");
  for (const d of [
    join(proc, "net"),
    join(stateDir, "tmp", "openclaw-0"),
    join(other, "tmp", "openclaw-0"),
    join(cgroup, "gw.slice"),
  ])
    await mkdir(d, { recursive: true });
  await writeFile(join(cgroup, "gw.slice", "memory.max"), `${2 * 1024 ** 3}\n`);
  await writeFile(join(cgroup, "memory.max"), "max\n");
  const listen = (inode: number, port: number) =>
    `   0: 0100007F:${PORT_HEX(port)} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0 100 0 0 10 0\n`;
  await writeFile(
    join(proc, "net", "tcp"),
    `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n${listen(501, gatewayPort)}${listen(601, 47123)}`,
  );
  await writeFile(
    join(stateDir, "openclaw.json"),
    JSON.stringify({ gateway: { mode: "local", port: gatewayPort, auth: { mode: "token", token: "lab-token-0000" } } }),
  );
  const ourLock = join(stateDir, "tmp", "openclaw-0", lockName(join(stateDir, "openclaw.json")));
  const theirLock = join(other, "tmp", "openclaw-0", lockName(join(other, "openclaw.json")));
  // The real lock's format (captured from the lab gateway), this host's pid and start time.
  const real = JSON.parse(
    readFileSync(new URL("./fixtures/openclaw/field/gateway-config-lock.real-gateway.lock", import.meta.url), "utf8"),
  );
  await writeFile(
    ourLock,
    `${JSON.stringify({ ...real, pid: 100, startTime: 5000, configPath: join(stateDir, "openclaw.json"), stateDir, port: gatewayPort }, null, 2)}\n\t\t \t`,
  );
  await writeFile(theirLock, JSON.stringify({ ...real, pid: 400, startTime: 7000, stateDir: other }));
  // This config's gateway: holds its lock open, listens on its port, in a cgroup with a 2 GiB limit.
  await addProcess({
    pid: 100,
    ppid: 1,
    comm: "openclaw-gatewa",
    argv: ["openclaw-gateway"],
    env: { HOME: home },
    sockets: [501],
    fds: [ourLock],
    rssKb: 800_000,
    startTime: 5000,
    cgroup: "0::/gw.slice\n",
  });
  await addProcess({
    pid: 101,
    ppid: 100,
    comm: "node",
    argv: ["node", "/x/openclaw/dist/process/spawn-broker/worker.js"],
    env: { HOME: home },
    rssKb: 70_000,
  });
  // The operator's `openclaw gateway probe`: the CLI's child titles itself openclaw-gateway; no
  // lock, no listener. Caught as it reads whose lock this config's is: the lock open read-only.
  await addProcess({
    pid: 299,
    ppid: 1,
    comm: "node",
    argv: ["node", "/x/.bin/openclaw", "gateway", "probe"],
    env: { HOME: home },
  });
  await addProcess({
    pid: 300,
    ppid: 299,
    comm: "openclaw-gatewa",
    argv: ["openclaw-gateway"],
    env: { HOME: home },
    fds: ["/tmp/openclaw-state-locks-0/state-handles.6f3f65d1.lock.sqlite", { path: ourLock, readOnly: true }],
  });
  // `openclaw --profile work gateway run --port 47123`, same HOME: its own env says nothing, its workers and lock do.
  await addProcess({
    pid: 400,
    ppid: 1,
    comm: "openclaw-gatewa",
    argv: ["openclaw-gateway"],
    env: { HOME: home },
    sockets: [601],
    fds: [theirLock],
    startTime: 7000,
  });
  await addProcess({
    pid: 401,
    ppid: 400,
    comm: "node",
    argv: ["node", "/x/openclaw/dist/process/spawn-broker/worker.js"],
    env: {
      HOME: home,
      OPENCLAW_PROFILE: "work",
      OPENCLAW_STATE_DIR: other,
      OPENCLAW_CONFIG_PATH: join(other, "openclaw.json"),
    },
  });
});

afterAll(async () => {
  await new Promise<void>((r) => readyz.close(() => r()));
  await rm(root, { recursive: true, force: true });
});

describe("which processes are gateways of this config", () => {
  it("an `openclaw gateway probe` and another profile's gateway are neither a duplicate nor this one", async () => {
    const results = await run(["port.listeners", "config"]);
    const pl = data(results, "port.listeners");
    const byPid = Object.fromEntries(pl.gatewayProcesses.map((p) => [p.pid, p]));
    expect(byPid[100]).toMatchObject({ servesThisConfig: true });
    expect(byPid[100]?.serving).toBeUndefined();
    expect(byPid[300]).toMatchObject({ servesThisConfig: true, serving: false });
    expect(byPid[400]).toMatchObject({ servesThisConfig: false });
    const c = classifyResults(results, ["port.listeners", "config"]);
    expect(c.findings.map((f) => f.id)).not.toContain("dual-gateway-process");
    expect(c.matrix.process).toEqual({
      status: "ok",
      reason:
        "openclaw-gateway pid 100 (+1 gateway of other configs on this host; pid 300 holds no gateway lock and no port: an `openclaw gateway …` command or a gateway still loading)",
    });
  });
});

describe("whose log this is", () => {
  const logFile = () => join(root, "openclaw-file.log");
  async function attribution(text: string) {
    await writeFile(
      join(stateDir, "openclaw.json"),
      JSON.stringify({ gateway: { mode: "local", port: gatewayPort }, logging: {} }),
    );
    // The default log is /tmp/openclaw; point the probe at this file by a config that names none and
    // read it through the attribution alone.
    await writeFile(logFile(), text);
    return attributeLog(text, false, join(stateDir, "openclaw.json"), proc, new JobReadings(ctxFor()));
  }

  it("the newest start forked a worker of this config's gateway: this gateway's", async () => {
    expect(await attribution("2026-11-24T08:00:00.000+00:00 [gateway] spawn broker ready pid=101\n")).toEqual({
      verdict: "this-gateway",
      how: "the newest start in it forked pid 101, a worker of this config's gateway (pid 100)",
    });
  });

  it("it forked a worker of another profile's gateway: not judged at all", async () => {
    const a = await attribution("[gateway] spawn broker ready pid=101\n[gateway] spawn broker ready pid=401\n");
    expect(a.verdict).toBe("other-gateway");
    const d = healthyData();
    d.logs = {
      ...d.logs,
      attribution: a,
      signatures: [
        ...d.logs.signatures,
        { kind: "port-in-use", count: 1, lastAt: "2026-11-22T07:00:00.000+00:00", examples: ["EADDRINUSE"] },
      ],
    };
    expect(classifyResults(toResults(d), STEP_NAMES).findings.map((f) => f.id)).not.toContain("port-conflict-in-logs");
  });

  it("nothing proves it: judged, and every quoted line says it could not be proven", async () => {
    const a = await attribution("[gateway] ready\n");
    expect(a.verdict).toBe("unproven");
    const d = healthyData();
    d.logs = {
      ...d.logs,
      attribution: a,
      signatures: [
        ...d.logs.signatures,
        { kind: "port-in-use", count: 1, lastAt: "2026-11-22T07:00:00.000+00:00", examples: ["EADDRINUSE"] },
      ],
    };
    const f = classifyResults(toResults(d), STEP_NAMES).findings.find((x) => x.id === "port-conflict-in-logs");
    expect(f?.evidence[0]).toContain(
      "(not proven to be this gateway's log: OpenClaw's default log, shared by every gateway and CLI on this host",
    );
  });
});

describe("class 6 and 7: lock files a dead process left", () => {
  it("this config's running gateway holds its lock: nothing to say", async () => {
    const locks = data(await run(["state.locks"]), "state.locks");
    expect(locks.gatewayLocks).toEqual([
      expect.objectContaining({ kind: "config", pid: 100, owner: "alive", heldOpen: true, port: gatewayPort }),
    ]);
    expect(locks.writeLocks).toEqual([]);
  });

  it("gateway down, the real lock file naming a pid that is gone → gateway-lock-stale, read by the agent", async () => {
    // The lock the lab gateway wrote (real capture), left by a gateway killed with SIGKILL: its pid is gone.
    const killed = join(root, "killed-state");
    const lockDir = join(killed, "tmp", "openclaw-0");
    await mkdir(lockDir, { recursive: true });
    const configPath = join(killed, "openclaw.json");
    await writeFile(configPath, JSON.stringify({ gateway: { mode: "local", port: 47999 } }));
    const captured = readFileSync(
      new URL("./fixtures/openclaw/field/gateway-config-lock.real-gateway.lock", import.meta.url),
      "utf8",
    );
    await writeFile(join(lockDir, lockName(configPath)), captured.replace(/"pid": \d+/, '"pid": 4194302'));
    const results = await runSteps(
      resolveProbeContext(
        { HOME: home, OPENCLAW_STATE_DIR: killed, OPENCLAW_CONFIG_PATH: configPath },
        { procRoot: proc, serviceUnitDirs: [] },
      ),
      [{ step: "state.locks", args: {} }],
      { deadlineMs: 5_000 },
    );
    const down = gatewayDownData();
    const found = classifyResults([...toResults(down).filter((r) => r.step !== "state.locks"), ...results], STEP_NAMES);
    expect(found.findings.find((f) => f.id === "gateway-lock-stale")?.evidence).toEqual([
      `gateway lock ${join(lockDir, lockName(configPath))} (written 2026-11-25T12:01:39.355Z): pid 4194302 is not running`,
    ]);
  });

  it("gateway down, its lock's pid now an `openclaw gateway` command line → gateway-lock-blocks-start", async () => {
    const d = gatewayDownData();
    const lock = {
      path: "/home/op/.openclaw/tmp/openclaw-0/gateway.cc1a5b86.lock",
      kind: "config" as const,
      pid: 4242,
      createdAt: "2026-11-25T12:01:39.355Z",
      port: 19001,
      role: null,
      owner: "dead" as const,
      ownerCommand: null,
      heldOpen: false,
    };
    const locks: StepResult = {
      step: "state.locks",
      status: "ok",
      durationMs: 3,
      data: {
        stateDir: "/home/op/.openclaw",
        lockDir: "/home/op/.openclaw/tmp/openclaw-0",
        gatewayLocks: [lock],
        writeLocks: [],
        scanned: 1,
        truncated: false,
      },
    };
    const c = classifyResults([...toResults(d), locks], STEP_NAMES);
    expect(c.findings.find((f) => f.id === "gateway-lock-stale")?.evidence).toEqual([
      "gateway lock /home/op/.openclaw/tmp/openclaw-0/gateway.cc1a5b86.lock (written 2026-11-25T12:01:39.355Z): pid 4242 is not running",
    ]);
    expect(c.findings.map((f) => f.id)).not.toContain("gateway-lock-blocks-start");
    // The pid now an `openclaw gateway status` (a command line OpenClaw takes for a gateway's): it waits, then fails.
    const alive = {
      ...locks,
      data: {
        ...(locks.data as object),
        gatewayLocks: [{ ...lock, owner: "alive" as const, ownerCommand: "openclaw-gateway" }],
      },
    } as StepResult;
    const blocked = classifyResults([...toResults(d), alive], STEP_NAMES).findings.find(
      (f) => f.id === "gateway-lock-blocks-start",
    );
    expect(blocked?.evidence).toEqual([
      "gateway lock /home/op/.openclaw/tmp/openclaw-0/gateway.cc1a5b86.lock (written 2026-11-25T12:01:39.355Z): pid 4242 runs `openclaw-gateway` and does not hold the lock open",
      "gateway last became ready at 2026-11-22T06:16:31.912+00:00",
    ]);
  });

  it("the start already refused on it (dist strings) → gateway-lock-blocks-start quotes the refusal", () => {
    const d = gatewayDownData();
    const text = readFileSync(new URL("./fixtures/openclaw/field/dist-strings-process.log", import.meta.url), "utf8");
    d.logs = { ...d.logs, ...scanLogText(text) };
    const f = classifyResults(toResults(d), STEP_NAMES).findings.find((x) => x.id === "gateway-lock-blocks-start");
    expect(f?.evidence[1]).toBe(
      "log: 2026-11-24T11:05:00.000+00:00 Gateway failed to start: gateway already running (pid 4242); lock timeout after 5000ms",
    );
  });

  it("a session transcript lock whose owner is gone, and the 'file lock timeout' it caused → stale-write-lock", async () => {
    const sessions = join(stateDir, "agents", "main", "sessions");
    await mkdir(sessions, { recursive: true });
    await writeFile(
      join(sessions, "5f2c9d1e.jsonl.lock"),
      JSON.stringify({ pid: 99_999, createdAt: "2026-11-24T10:20:00.000Z" }),
    );
    await writeFile(
      join(stateDir, "openclaw.json.lock"),
      JSON.stringify({ pid: 100, createdAt: new Date(Date.now() - 1000).toISOString(), starttime: 5000 }),
    );
    const results = await run(["state.locks"]);
    const locks = data(results, "state.locks");
    expect(locks.writeLocks).toEqual([
      expect.objectContaining({
        path: "agents/main/sessions/5f2c9d1e.jsonl.lock",
        pid: 99_999,
        owner: "dead",
        sessionTranscript: true,
      }),
    ]);
    const d = healthyData();
    d.logs = {
      ...d.logs,
      ...scanLogText(
        readFileSync(new URL("./fixtures/openclaw/field/dist-strings-process.log", import.meta.url), "utf8"),
      ),
    };
    const f = classifyResults([...toResults(d), ...results], STEP_NAMES).findings.find(
      (x) => x.id === "stale-write-lock",
    );
    expect(f?.evidence[0]).toBe(
      "agents/main/sessions/5f2c9d1e.jsonl.lock: owner pid 99999 is gone (session transcript lock), written 2026-11-24T10:20:00.000Z",
    );
    expect(
      f?.evidence.some((l) =>
        l.includes("file lock timeout for /home/op/.openclaw/agents/main/sessions/5f2c9d1e.jsonl"),
      ),
    ).toBe(true);
    await rm(join(stateDir, "agents"), { recursive: true });
    await rm(join(stateDir, "openclaw.json.lock"));
  });
});

describe("class 8: memory growing toward its limit", () => {
  it("a day of slow growth toward the limit → memory-growing-to-limit (a warning, found days before the kill)", async () => {
    resetVitalSamples();
    const now = Date.now();
    // 40 MiB an hour for 3 h: the 1.17 GiB left last about 30 h.
    for (let i = 36; i >= 1; i--) noteMemory(100, now - i * 5 * 60_000, 870_000 * 1024 - (i * 5 * 40 * 1024 ** 2) / 60);
    const results = await run(["gateway.vitals"]);
    expect(data(results, "gateway.vitals").memory?.outlook).toBe("limit-within-72h");
    const c = classifyResults([...toResults(healthyData()), ...results], STEP_NAMES);
    const f = c.findings.find((x) => x.id === "memory-growing-to-limit");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence[0]).toMatch(
      /growing 40 MiB\/h; at that rate the limit is reached in about (2\d|3\d)\.\d h \(37 samples over 180 min\)$/,
    );
    expect(c.findings.map((x) => x.id)).not.toContain("memory-limit-imminent");
  });

  it("reads the gateway's and its workers' resident memory and the cgroup limit; no slope yet, no finding", async () => {
    resetVitalSamples();
    const v = data(await run(["gateway.vitals"]), "gateway.vitals");
    expect(v.pid).toBe(100);
    expect(v.memory).toMatchObject({
      rssBytes: 870_000 * 1024,
      limitBytes: 2 * 1024 ** 3,
      limitSource: join(cgroup, "gw.slice", "memory.max"),
      samples: 1,
      slopeBytesPerHour: null,
      outlook: "unknown",
    });
  });

  it("two hours of samples growing 250 MiB/h toward a 2 GiB limit → memory-limit-imminent, before the kill", async () => {
    resetVitalSamples();
    const now = Date.now();
    for (let i = 24; i >= 1; i--)
      noteMemory(100, now - i * 5 * 60_000, 870_000 * 1024 - (i * 5 * 250 * 1024 ** 2) / 60);
    const results = await run(["gateway.vitals"]);
    const v = data(results, "gateway.vitals");
    expect(v.memory?.outlook).toBe("limit-within-6h");
    expect(v.memory?.hoursLeftTo).toBe("cgroup");
    expect(v.memory?.hoursLeft).toBeGreaterThan(4.5);
    expect(v.memory?.hoursLeft).toBeLessThan(5);
    const c = classifyResults([...toResults(healthyData()), ...results], STEP_NAMES);
    const f = c.findings.find((x) => x.id === "memory-limit-imminent");
    expect(f?.evidence[0]).toMatch(
      /^gateway pid 100: resident 0\.83 GiB of 2\.00 GiB \(.*gw\.slice\/memory\.max\), growing 250 MiB\/h; at that rate the limit is reached in about 4\.\d h \(25 samples over 120 min\)$/,
    );
    expect(f?.falseGreen).toContain("/healthz 200");
  });
});

describe("class 5's shared cause, for the fleet: providers in cooldown in the watch state", () => {
  it("reads the newest 30 min of this gateway's log for `Provider <p> is in cooldown` (dist strings)", async () => {
    const log = join(root, "models.log");
    await writeFile(
      log,
      readFileSync(new URL("./fixtures/openclaw/field/dist-strings-models.log", import.meta.url), "utf8"),
    );
    const config = join(stateDir, "openclaw.json");
    const before = readFileSync(config, "utf8");
    await writeFile(config, JSON.stringify({ ...JSON.parse(before), logging: { file: log } }));
    try {
      const results = await run(["gateway.vitals"]);
      expect(data(results, "gateway.vitals").providersInCooldown).toEqual(["anthropic", "openai"]);
      expect(watchAttributes(results)?.modelCooldown).toEqual(["anthropic", "openai"]);
    } finally {
      await writeFile(config, before);
    }
  });
});

describe("the V8 heap, from the gateway's own status RPC", () => {
  it("`status` → pid and processMemory.heapUsedBytes (2026.9.6's process-vitals shape) → one heap sample", () => {
    resetVitalSamples();
    noteStatusHeap({
      pid: 100,
      processMemory: { rssBytes: 852_000_000, heapUsedBytes: 252_000_000, heapTotalBytes: 300_000_000 },
    });
    expect(heapTrend(100, Date.now()).lastBytes).toBe(252_000_000);
    noteStatusHeap({ pid: 101, processMemory: { heapUsed: 1 } });
    expect(heapTrend(101, Date.now()).lastBytes).toBeNull();
  });
});

describe("class 9: answers late while the gateway calls its event loop fine", () => {
  it("a baseline, then round trips of a second and more, twice → event-loop-starved, naming the gateway's own verdict", async () => {
    resetVitalSamples();
    readyzDelayMs = 5;
    for (let i = 0; i < 3; i++) await run(["gateway.vitals"]);
    readyzDelayMs = 1_100;
    const first = data(await run(["gateway.vitals"]), "gateway.vitals");
    expect(first.responsiveness).toMatchObject({ slowStreak: 1, gatewayDegraded: false, samples: 3 });
    const results = await run(["gateway.vitals"]);
    readyzDelayMs = 0;
    const v = data(results, "gateway.vitals");
    expect(v.responsiveness?.slowStreak).toBe(2);
    expect(v.responsiveness?.lastMs).toBeGreaterThanOrEqual(1_100);
    const c = classifyResults([...toResults(healthyData()), ...results], STEP_NAMES);
    const f = c.findings.find((x) => x.id === "event-loop-starved");
    expect(f?.evidence[1]).toBe(
      "the gateway's own verdict: not degraded (delay p99 22.5 ms, max 30 ms, utilization 0.02)",
    );
    expect(f?.falseGreen).toContain("/readyz eventLoop.degraded false (the gateway's own event-loop verdict)");
  });

  it("the gateway says degraded and logged a liveness warning while it answers fast → event-loop-degraded (dist strings)", async () => {
    resetVitalSamples();
    readyzDegraded = true;
    const results = await run(["gateway.vitals"]);
    readyzDegraded = false;
    const d = healthyData();
    d.logs = {
      ...d.logs,
      ...scanLogText(
        readFileSync(new URL("./fixtures/openclaw/field/dist-strings-process.log", import.meta.url), "utf8"),
      ),
    };
    const c = classifyResults([...toResults(d), ...results], STEP_NAMES);
    const f = c.findings.find((x) => x.id === "event-loop-degraded");
    expect(f?.evidence[0]).toBe(
      "the gateway's own verdict: degraded, reasons event_loop_delay (delay p99 1543.2 ms, max 2210.4 ms, utilization 0.02)",
    );
    expect(c.findings.map((x) => x.id)).not.toContain("event-loop-starved");
  });
});

describe("a failing layer always says why, or that clawops does not know", () => {
  it("the triage answer names failing layers no finding explains, never 'No findings: every probed layer answered'", () => {
    const c = classifyResults(toResults(healthyData()), STEP_NAMES);
    c.matrix.service = { status: "fail", reason: "openclaw-gateway.service: failed/exit-code" };
    c.matrix.config = { status: "warn", reason: "doctor says so" };
    c.findings = [];
    const text = JSON.stringify(renderTriageResult(c, { host: "node-3", jobId: "j1", elapsedMs: 1000 }));
    expect(text).not.toContain("every probed layer answered as expected");
    expect(text).toContain(
      "No findings. No rule explains *Config* (warn: doctor says so); *Service* (fail: openclaw-gateway.service: failed/exit-code). That is what the probes saw; clawops does not know why yet.",
    );
  });
});

describe("clawops-agent probe: what it found, with an exit code", () => {
  it("a gateway that refuses every connection: FAIL lines with what was seen, exit 1", () => {
    const report = probeReport(
      toResults(gatewayDownData()).filter((r) => r.step !== "gateway.status" && r.step !== "models.status"),
    );
    expect(report.exitCode).toBe(1);
    expect(report.text).toContain(
      "FAIL    gateway.ws         ws://127.0.0.1:19001: connection refused (nothing accepts connections on that port)",
    );
    expect(report.text).toContain(
      "FAIL    gateway.http       http://127.0.0.1:19001: /healthz connect ECONNREFUSED 127.0.0.1:19001, /readyz connect ECONNREFUSED 127.0.0.1:19001",
    );
    expect(report.text).toContain(
      "FAIL    port.listeners     nothing listens on port 19001; gateway processes for this config: 0",
    );
    expect(report.text).toMatch(/3 of 16 probes found a failure \(gateway\.ws, gateway\.http, port\.listeners\)\./);
    expect(report.text).not.toMatch(/^ok /m);
  });

  it("a healthy gateway: exit 0", () => {
    const report = probeReport(toResults(healthyData()));
    expect(report.exitCode).toBe(0);
    expect(report.text).toContain("OK      gateway.ws");
  });
});
