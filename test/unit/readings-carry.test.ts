import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { configLockName } from "../../src/agent/probes/host/gateway-identity.ts";
import { FULL_READ_MS, ReadingsCarry } from "../../src/agent/probes/readings-carry.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { PortListenersData } from "../../src/contract/catalog.ts";

/**
 * The watch's carried readings (src/agent/probes/readings-carry.ts) on a fake procfs shaped like
 * a host with one healthy gateway (pid 100, a worker 101) listening on 127.0.0.1:19000 and
 * holding its config lock: a probe carries the last full read only while every check holds, and
 * what it reports is what a full read would report.
 */
let root: string;
let proc: string;
let stateDir: string;
let configPath: string;
let clock: number;
let lastPid: number;

const PORT = 19000;
const TOKEN = "carry-token-aaaa";

function statLine(pid: number, comm: string, state: string, ppid: number, startTime: number): string {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  // cutime cstime priority nice num_threads itrealvalue starttime vsize rss
  return `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 11 0 ${startTime} 1000 100\n`;
}

async function writeProcess(p: {
  pid: number;
  ppid: number;
  comm: string;
  state?: string;
  startTime?: number;
  argv?: string[];
}) {
  const dir = join(proc, String(p.pid));
  await mkdir(join(dir, "fd"), { recursive: true });
  await writeFile(join(dir, "stat"), statLine(p.pid, p.comm, p.state ?? "S", p.ppid, p.startTime ?? 1000 + p.pid));
  await writeFile(join(dir, "comm"), `${p.comm}\n`);
  await writeFile(join(dir, "cmdline"), `${(p.argv ?? ["openclaw-gateway"]).join("\0")}\0`);
  await writeFile(join(dir, "status"), `Name:\t${p.comm}\nState:\tS\nPPid:\t${p.ppid}\nUid:\t0\t0\t0\t0\n`);
  await writeFile(join(dir, "environ"), `HOME=${root}\0OPENCLAW_CONFIG_PATH=${configPath}\0`);
}

async function writeConfig(token = TOKEN): Promise<void> {
  await writeFile(configPath, JSON.stringify({ gateway: { port: PORT, auth: { mode: "token", token } } }));
}

async function bumpLastPid(): Promise<void> {
  lastPid++;
  await writeFile(join(proc, "loadavg"), `0.10 0.20 0.30 1/120 ${lastPid}\n`);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "clawops-carry-"));
  proc = join(root, "proc");
  stateDir = join(root, "state");
  configPath = join(stateDir, "openclaw.json");
  clock = 1_000_000;
  lastPid = 5000;
  await mkdir(join(proc, "net"), { recursive: true });
  await mkdir(join(stateDir, "tmp", "openclaw-0"), { recursive: true });
  await writeConfig();
  await bumpLastPid();
  // 0x4A38 = 19000 on 127.0.0.1, inode 501.
  await writeFile(
    join(proc, "net", "tcp"),
    `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:4A38 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 501 1 0 100 0 0 10 0
`,
  );
  await writeProcess({ pid: 100, ppid: 1, comm: "openclaw-gatewa" });
  await writeProcess({ pid: 101, ppid: 100, comm: "node", argv: ["node", "worker.js"] });
  const lock = join(stateDir, "tmp", "openclaw-0", configLockName(configPath));
  await writeFile(lock, "");
  await symlink("/dev/null", join(proc, "100", "fd", "0"));
  await symlink(lock, join(proc, "100", "fd", "7"));
  // Held for writing, as a running gateway holds its lock (fdinfo flags measured on 2026.9.6).
  await mkdir(join(proc, "100", "fdinfo"), { recursive: true });
  await writeFile(join(proc, "100", "fdinfo", "7"), "pos:\t0\nflags:\t02500001\n");
  await symlink("socket:[501]", join(proc, "100", "fd", "10"));
  await symlink("socket:[777]", join(proc, "100", "fd", "11"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function probe(carry: ReadingsCarry): Promise<PortListenersData> {
  const ctx = resolveProbeContext(
    { HOME: root, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_CONFIG_PATH: configPath },
    { procRoot: proc, serviceUnitDirs: [] },
  );
  const [result] = await runSteps(ctx, [{ step: "port.listeners", args: {} }], { deadlineMs: 5_000, carry });
  if (result?.step !== "port.listeners" || result.status !== "ok" || !result.data)
    throw new Error(JSON.stringify(result));
  return result.data;
}

const healthy = {
  port: PORT,
  listeners: [expect.objectContaining({ address: `127.0.0.1:${PORT}`, pid: 100, command: "openclaw-gatewa" })],
  gatewayProcesses: [expect.objectContaining({ pid: 100, state: "S", servesThisConfig: true })],
};

describe("the watch's carried host readings", () => {
  it("a healthy host's full read is carried into the next probes, which report the same", async () => {
    const carry = new ReadingsCarry(() => clock);
    const first = await probe(carry);
    expect(first).toMatchObject(healthy);
    expect(carry.counts).toEqual({ carried: 0, rescanned: 0, full: 1 });
    for (let i = 0; i < 3; i++) expect(await probe(carry)).toEqual(first);
    expect(carry.counts).toEqual({ carried: 3, rescanned: 0, full: 1 });
  });

  it("new tasks on the host (loadavg's last pid): a scan of the processes; a second gateway shows at once", async () => {
    const carry = new ReadingsCarry(() => clock);
    const first = await probe(carry);
    // Something else started (a cron job, a shell): the gateways and their children are the same.
    await writeProcess({ pid: 150, ppid: 1, comm: "bash", argv: ["bash"] });
    await bumpLastPid();
    expect(await probe(carry)).toEqual(first);
    expect(carry.counts).toEqual({ carried: 0, rescanned: 1, full: 1 });
    // The scan's last pid is kept: the next probe needs no scan.
    expect(await probe(carry)).toEqual(first);
    expect(carry.counts).toEqual({ carried: 1, rescanned: 1, full: 1 });
    await writeProcess({ pid: 200, ppid: 1, comm: "openclaw-gatewa" });
    await bumpLastPid();
    const data = await probe(carry);
    expect(data.gatewayProcesses.map((g) => g.pid)).toEqual([100, 200]);
    expect(carry.counts).toEqual({ carried: 1, rescanned: 1, full: 2 });
  });

  it("a process that execs into a gateway (its pid and start time kept) is found by the scan its new threads bring", async () => {
    const carry = new ReadingsCarry(() => clock);
    await writeProcess({ pid: 150, ppid: 1, comm: "bash", argv: ["bash", "start.sh"] });
    await probe(carry);
    await writeProcess({ pid: 150, ppid: 1, comm: "openclaw-gatewa", argv: ["openclaw-gateway"] });
    await bumpLastPid();
    expect((await probe(carry)).gatewayProcesses.map((g) => g.pid)).toEqual([100, 150]);
    expect(carry.counts).toEqual({ carried: 0, rescanned: 0, full: 2 });
  });

  it("a new child of the gateway (a new worker) is read in full", async () => {
    const carry = new ReadingsCarry(() => clock);
    await probe(carry);
    await writeProcess({ pid: 102, ppid: 100, comm: "node", argv: ["node", "worker-2.js"] });
    await bumpLastPid();
    await probe(carry);
    expect(carry.counts).toEqual({ carried: 0, rescanned: 0, full: 2 });
  });

  it("a gateway stopped, exited, or replaced in its pid is read in full, and says so", async () => {
    const carry = new ReadingsCarry(() => clock);
    await probe(carry);
    await writeProcess({ pid: 100, ppid: 1, comm: "openclaw-gatewa", state: "T" });
    expect((await probe(carry)).gatewayProcesses[0]).toMatchObject({ pid: 100, state: "T" });
    // A stopped gateway is not a healthy host: nothing is kept, the next probe reads in full too.
    await writeProcess({ pid: 100, ppid: 1, comm: "openclaw-gatewa", state: "S" });
    await probe(carry);
    expect(carry.counts).toEqual({ carried: 0, rescanned: 0, full: 3 });
    await probe(carry);
    expect(carry.counts).toEqual({ carried: 1, rescanned: 0, full: 3 });
    // The same pid, another process (a new start time): read again.
    await writeProcess({ pid: 101, ppid: 100, comm: "node", startTime: 99_999, argv: ["node", "worker.js"] });
    await probe(carry);
    expect(carry.counts).toEqual({ carried: 1, rescanned: 0, full: 4 });
  });

  it("a listener closed (its descriptor gone or reused) is read in full: the port shows free", async () => {
    const carry = new ReadingsCarry(() => clock);
    await probe(carry);
    await unlink(join(proc, "100", "fd", "10"));
    await symlink("socket:[888]", join(proc, "100", "fd", "10"));
    await writeFile(join(proc, "net", "tcp"), "  sl  local_address rem_address   st\n");
    const data = await probe(carry);
    expect(data.listeners).toEqual([]);
    expect(carry.counts).toEqual({ carried: 0, rescanned: 0, full: 2 });
  });

  it("openclaw.json changed (a new token), or the full read is FULL_READ_MS old: read in full", async () => {
    const carry = new ReadingsCarry(() => clock);
    await probe(carry);
    await writeConfig("carry-token-bbbb");
    await probe(carry);
    expect(carry.counts).toEqual({ carried: 0, rescanned: 0, full: 2 });
    clock += FULL_READ_MS - 1;
    await probe(carry);
    expect(carry.counts).toEqual({ carried: 1, rescanned: 0, full: 2 });
    clock += 1;
    await probe(carry);
    expect(carry.counts).toEqual({ carried: 1, rescanned: 0, full: 3 });
  });

  it("a host that is not healthy (the port free, or held by something else) is read in full every probe", async () => {
    const carry = new ReadingsCarry(() => clock);
    await unlink(join(proc, "100", "fd", "10"));
    await writeFile(join(proc, "net", "tcp"), "  sl  local_address rem_address   st\n");
    await probe(carry);
    expect((await probe(carry)).listeners).toEqual([]);
    expect(carry.counts).toEqual({ carried: 0, rescanned: 0, full: 2 });
    await writeFile(
      join(proc, "net", "tcp"),
      `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:4A38 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 501 1 0 100 0 0 10 0
`,
    );
    await writeProcess({ pid: 300, ppid: 1, comm: "python3", argv: ["python3", "-m", "http.server"] });
    await symlink("socket:[501]", join(proc, "300", "fd", "3"));
    await probe(carry);
    expect((await probe(carry)).listeners).toEqual([expect.objectContaining({ pid: 300, command: "python3" })]);
    expect(carry.counts).toEqual({ carried: 0, rescanned: 0, full: 4 });
  });

  it("without procfs's loadavg (no way to see new tasks) nothing is carried", async () => {
    const carry = new ReadingsCarry(() => clock);
    await rm(join(proc, "loadavg"));
    await probe(carry);
    await probe(carry);
    expect(carry.counts).toEqual({ carried: 0, rescanned: 0, full: 2 });
  });
});
