import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findGatewayProcesses } from "../../src/agent/probes/host/gateway-processes.ts";
import { readTcpListeners } from "../../src/agent/probes/host/port-owners.ts";
import {
  isGatewayProcess,
  ProcessScan,
  parseStat,
  RECHECK_MS,
  readProcess,
} from "../../src/agent/probes/host/proc-processes.ts";

/**
 * The process scan reads each process's `stat` (comm, state, parent, start time) and its
 * `cmdline`, and `status` only for the processes asked for (src/agent/probes/host/proc-processes.ts):
 * what it finds of those must be what `readProcess` (comm + cmdline + status) finds; of the others,
 * what decided. A process its command line ruled out is not read again while it stays the same.
 */
let root: string;
let proc: string;

const PF_KTHREAD = 0x00200000;

async function addProcess(p: {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
  state?: string;
  flags?: number;
  uid?: number;
  startTime?: number;
}): Promise<void> {
  const dir = join(proc, String(p.pid));
  await mkdir(dir, { recursive: true });
  const state = p.state ?? "S";
  await writeFile(join(dir, "comm"), `${p.comm}\n`);
  await writeFile(join(dir, "cmdline"), p.argv.length > 0 ? `${p.argv.join("\0")}\0` : "");
  await writeFile(
    join(dir, "status"),
    `Name:\t${p.comm}\nState:\t${state} (x)\nPPid:\t${p.ppid}\nUid:\t${p.uid ?? 1000}\t${p.uid ?? 1000}\t0\t0\n`,
  );
  await writeFile(
    join(dir, "stat"),
    `${p.pid} (${p.comm}) ${state} ${p.ppid} ${p.pid} ${p.pid} 0 -1 ${p.flags ?? 4194560} 0 0 0 0 1 2 0 0 20 0 1 0 ${p.startTime ?? 100} 0 0\n`,
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "clawops-procscan-"));
  proc = join(root, "proc");
  await addProcess({ pid: 1, ppid: 0, comm: "systemd", argv: ["/sbin/init"], uid: 0 });
  await addProcess({ pid: 2, ppid: 0, comm: "kthreadd", argv: [], flags: PF_KTHREAD | 0x40, uid: 0 });
  await addProcess({ pid: 100, ppid: 1, comm: "openclaw-gatewa", argv: ["openclaw-gateway"], uid: 1001 });
  await addProcess({ pid: 101, ppid: 100, comm: "node (worker) )", argv: ["/usr/bin/node", "worker.js"] });
  await addProcess({ pid: 102, ppid: 100, comm: "zombie", argv: [], state: "Z" });
  // A gateway whose comm was not set (title on argv only): found by its argv.
  await addProcess({ pid: 200, ppid: 1, comm: "node", argv: ["openclaw-gateway"], state: "T", uid: 1002 });
  // No stat file (another procfs): read as readProcess reads it.
  await addProcess({ pid: 300, ppid: 1, comm: "openclaw", argv: ["openclaw", "status"] });
  await rm(join(proc, "300", "stat"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the process scan", () => {
  it("parses stat's comm (spaces and parentheses), state, parent and the kernel-thread flag", () => {
    expect(parseStat("101 (node (worker) )) S 100 101 101 0 -1 4194560 0 0 0 0 1 2 0 0 20 0 1 0 4242 0 0")).toEqual({
      comm: "node (worker) )",
      state: "S",
      ppid: 100,
      kernelThread: false,
      startTime: "4242",
    });
    expect(parseStat(`2 (kthreadd) S 0 0 0 0 -1 ${PF_KTHREAD | 0x40} 0 0`)?.kernelThread).toBe(true);
    expect(parseStat("garbage")).toBeUndefined();
    expect(parseStat(undefined)).toBeUndefined();
  });

  it("finds what readProcess finds of the gateways, and of the others what decided", async () => {
    const scanned = await new ProcessScan(proc, isGatewayProcess).list();
    const pids = scanned.map((p) => p.pid).sort((a, b) => a - b);
    expect(pids).toEqual([1, 2, 100, 101, 102, 200, 300]);
    for (const p of scanned) {
      const full = await readProcess(proc, p.pid);
      const gateway = full !== undefined && isGatewayProcess(full);
      // And each one's start time from its `stat`, which names the process with its pid (readings-carry.ts).
      // (a process without a readable `stat` is read as readProcess reads it, without one).
      const startTime = existsSync(join(proc, String(p.pid), "stat"))
        ? { startTime: expect.stringMatching(/^\d+$/) }
        : {};
      expect(p).toEqual(
        gateway ? { ...full, ...startTime } : { ...full, cmdline: undefined, argv: [], uid: undefined, ...startTime },
      );
    }
    expect(scanned.find((p) => p.pid === 100)?.uid).toBe(1001);
    expect(scanned.find((p) => p.pid === 200)).toMatchObject({ argv: ["openclaw-gateway"], uid: 1002 });
    expect(scanned.find((p) => p.pid === 1)).toMatchObject({ comm: "systemd", argv: [], uid: undefined });
  });

  it("reads a ruled-out process's command line again when its comm or start time changes, or after RECHECK_MS", async () => {
    const lab = await mkdtemp(join(root, "recheck-"));
    const saved = proc;
    proc = join(lab, "proc");
    try {
      let now = 1_000_000;
      const scan = new ProcessScan(proc, isGatewayProcess, () => now);
      const gateways = async () => (await scan.list()).filter(isGatewayProcess).map((p) => p.pid);
      await addProcess({ pid: 500, ppid: 1, comm: "node", argv: ["node", "app.js"] });
      expect(await gateways()).toEqual([]);
      // The title written to argv alone (comm and start time the same): seen once RECHECK_MS has passed.
      await addProcess({ pid: 500, ppid: 1, comm: "node", argv: ["openclaw-gateway"] });
      now += RECHECK_MS - 1;
      expect(await gateways()).toEqual([]);
      now += 1;
      expect(await gateways()).toEqual([500]);
      // A new process in the same pid (another start time) is read at once.
      await addProcess({ pid: 500, ppid: 1, comm: "node", argv: ["node", "other.js"] });
      expect(await gateways()).toEqual([]);
      await addProcess({ pid: 500, ppid: 1, comm: "node", argv: ["openclaw-gateway"], startTime: 200 });
      expect(await gateways()).toEqual([500]);
      // And a new comm (an exec, or Node's process.title) too.
      await addProcess({ pid: 501, ppid: 1, comm: "bash", argv: ["bash", "start.sh"] });
      expect(await gateways()).toEqual([500]);
      await addProcess({ pid: 501, ppid: 1, comm: "openclaw", argv: ["openclaw-gateway"] });
      expect(await gateways()).toEqual([500, 501]);
    } finally {
      proc = saved;
    }
  });

  it("finds the gateways, their users and their workers", async () => {
    const { processes } = await findGatewayProcesses(proc, {});
    expect(processes.map((g) => [g.pid, g.user, g.state, g.workers.map((w) => w.pid)])).toEqual([
      [100, "1001", "S", [101, 102]],
      [200, "1002", "T", []],
    ]);
  });
});

describe("the listening sockets (/proc/net/tcp, tcp6)", () => {
  const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
  const row = (sl: number, port: number, state: string, inode: number) =>
    `  ${sl}: 0100007F:${port.toString(16).toUpperCase().padStart(4, "0")} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0 100 0 0 10 0`;
  const v6row = (port: number, inode: number) =>
    `   0: 00000000000000000000000001000000:${port.toString(16).toUpperCase()} 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0 100 0 0 10 0`;

  async function netDir(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(root, "net-"));
    await mkdir(join(dir, "net"));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, "net", name), text);
    return dir;
  }

  it("reads the listeners the kernel writes first, up to the first socket in another state", async () => {
    // Past the 1 KB reads: many listeners (and a listener's SYN_RECV, as kernels before 4.4 wrote them).
    const listeners = Array.from({ length: 12 }, (_, i) => row(i, 19000 + i, i === 3 ? "03" : "0A", 500 + i));
    const dir = await netDir({
      tcp: [header, ...listeners, row(12, 40000, "01", 900), row(13, 19999, "0A", 901), ""].join("\n"),
      tcp6: [header, v6row(19000, 700), ""].join("\n"),
    });
    const found = readTcpListeners(dir) ?? [];
    expect(found.map((s) => s.inode)).toEqual([500, 501, 502, 504, 505, 506, 507, 508, 509, 510, 511, 700]);
    expect(found.at(-1)).toMatchObject({ address: "::1", port: 19000, inode: 700 });
  });

  it("skips tcp6 when sockstat6 counts no IPv6 TCP socket, and is undefined without either table", async () => {
    const tcp6 = [header, v6row(19000, 700), ""].join("\n");
    const tcp = [header, row(0, 19000, "0A", 500), ""].join("\n");
    const none = await netDir({ tcp, tcp6, sockstat6: "TCP6: inuse 0\nUDP6: inuse 0\n" });
    expect(readTcpListeners(none)?.map((s) => s.inode)).toEqual([500]);
    const some = await netDir({ tcp, tcp6, sockstat6: "TCP6: inuse 10\nUDP6: inuse 0\n" });
    expect(readTcpListeners(some)?.map((s) => s.inode)).toEqual([500, 700]);
    expect(readTcpListeners(await netDir({}))).toBeUndefined();
  });

  it("stops at the last socket sockstat counts when those are all listeners", async () => {
    // A second listener past the count could only be a file written after sockstat: not read.
    const tcp = [header, row(0, 19000, "0A", 500), row(1, 19001, "0A", 501), ""].join("\n");
    const counted = await netDir({ tcp, sockstat: "sockets: used 9\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\n" });
    expect(readTcpListeners(counted)?.map((s) => s.inode)).toEqual([500]);
    const more = await netDir({ tcp, sockstat: "sockets: used 9\nTCP: inuse 3 orphan 0 tw 0 alloc 3 mem 0\n" });
    expect(readTcpListeners(more)?.map((s) => s.inode)).toEqual([500, 501]);
  });
});
