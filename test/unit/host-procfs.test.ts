import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { tokenFingerprint } from "../../src/agent/probes/fingerprint.ts";
import { findGatewayProcesses } from "../../src/agent/probes/host/gateway-processes.ts";
import { findPortOwners } from "../../src/agent/probes/host/port-owners.ts";
import { JobReadings } from "../../src/agent/probes/job-readings.ts";
import type { ProbeRun } from "../../src/agent/probes/probe.ts";
import { probeTokens } from "../../src/agent/probes/tokens.ts";

/**
 * A fake procfs shaped like a host running a gateway started with `--token`: the gateway's
 * argv is its title, its own environ has no token, its worker inherited the runtime token
 * (what openclaw 2026.9.6 does). Plus a second gateway of another lab on another port.
 */
let root: string;
let proc: string;
const CONFIG_TOKEN = "config-token-aaaa";
const ARGV_TOKEN = "argv-token-bbbb";

type FakeProcess = {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
  env: Record<string, string>;
  sockets?: number[];
};

async function addProcess(p: FakeProcess): Promise<void> {
  const dir = join(proc, String(p.pid));
  await mkdir(join(dir, "fd"), { recursive: true });
  await writeFile(join(dir, "comm"), `${p.comm}\n`);
  await writeFile(join(dir, "cmdline"), `${p.argv.join("\0")}\0`);
  await writeFile(join(dir, "status"), `Name:\t${p.comm}\nPPid:\t${p.ppid}\nUid:\t0\t0\t0\t0\n`);
  await writeFile(
    join(dir, "environ"),
    `${Object.entries(p.env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\0")}\0`,
  );
  await symlink("/dev/null", join(dir, "fd", "0"));
  for (const [i, inode] of (p.sockets ?? []).entries())
    await symlink(`socket:[${inode}]`, join(dir, "fd", String(10 + i)));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "clawops-procfs-"));
  proc = join(root, "proc");
  await mkdir(join(proc, "net"), { recursive: true });
  // 0x4A38 = 19000 on 127.0.0.1 (inode 501) and ::1 (inode 502); 0x4A39 = 19001 (inode 601).
  await writeFile(
    join(proc, "net", "tcp"),
    `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:4A38 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 501 1 0 100 0 0 10 0
   1: 0100007F:4A39 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 601 1 0 100 0 0 10 0
`,
  );
  await writeFile(
    join(proc, "net", "tcp6"),
    `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:4A38 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 502 1 0 100 0 0 10 0
`,
  );
  const labEnv = {
    OPENCLAW_CONFIG_PATH: join(root, "state", "openclaw.json"),
    OPENCLAW_STATE_DIR: join(root, "state"),
  };
  await addProcess({
    pid: 100,
    ppid: 1,
    comm: "openclaw-gatewa",
    argv: ["openclaw-gateway"],
    env: labEnv,
    sockets: [501, 502],
  });
  await addProcess({
    pid: 101,
    ppid: 100,
    comm: "MainThread",
    argv: ["/usr/bin/node", "/x/openclaw/dist/process/spawn-broker/worker.js"],
    env: { ...labEnv, OPENCLAW_GATEWAY_TOKEN: ARGV_TOKEN },
  });
  await addProcess({
    pid: 200,
    ppid: 1,
    comm: "openclaw-gatewa",
    argv: ["openclaw-gateway"],
    env: { OPENCLAW_CONFIG_PATH: "/other/openclaw.json", OPENCLAW_GATEWAY_TOKEN: "other-lab-token" },
    sockets: [601],
  });
  await addProcess({ pid: 300, ppid: 1, comm: "openclaw", argv: ["openclaw", "status"], env: {} });
  await mkdir(join(root, "state"), { recursive: true });
  await writeFile(
    join(root, "state", "openclaw.json"),
    JSON.stringify({ gateway: { port: 19000, auth: { mode: "token", token: CONFIG_TOKEN } } }),
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("procfs readers", () => {
  it("find the listeners of a port through socket inodes", async () => {
    const owners = await findPortOwners(proc, 19000, {});
    expect(owners.method).toBe("procfs");
    expect(owners.owners).toEqual([
      { address: "127.0.0.1:19000", pid: 100, command: "openclaw-gatewa", commandLine: "openclaw-gateway", uid: 0 },
      { address: "[::1]:19000", pid: 100, command: "openclaw-gatewa", commandLine: "openclaw-gateway", uid: 0 },
    ]);
    expect((await findPortOwners(proc, 19999, {})).owners).toEqual([]);
  });

  it("find every gateway process (by title, not the CLI) with its workers' env", async () => {
    const { processes } = await findGatewayProcesses(proc, {});
    expect(processes.map((p) => p.pid)).toEqual([100, 200]);
    expect(processes[0]?.workers).toEqual([
      { pid: 101, env: expect.objectContaining({ OPENCLAW_GATEWAY_TOKEN: ARGV_TOKEN }) },
    ]);
  });
});

describe("tokens step on a drifted host", () => {
  it("sees the --token the gateway runs with through its worker, and ignores other gateways", async () => {
    const ctx = resolveProbeContext(
      { HOME: root, OPENCLAW_STATE_DIR: join(root, "state") },
      { procRoot: proc, serviceUnitDirs: [] },
    );
    const run: ProbeRun = {
      signal: new AbortController().signal,
      remainingMs: () => 5_000,
      readings: new JobReadings(ctx),
    };
    const data = await probeTokens(ctx, { verifyAgainstGateway: false }, run);
    expect(data.sources).toEqual([
      expect.objectContaining({ source: "config", present: true, fingerprint: tokenFingerprint(CONFIG_TOKEN) }),
      expect.objectContaining({ source: "shell-env", present: false, fingerprint: null }),
      expect.objectContaining({ source: "process-env", where: "pid 100", present: false }),
      { source: "process-argv", where: "pid 100", present: true, fingerprint: tokenFingerprint(ARGV_TOKEN) },
    ]);
    expect(data.distinct).toBe(2);
    expect(data.accepted).toBeUndefined();
    expect(JSON.stringify(data)).not.toMatch(/config-token|argv-token|other-lab/);
    expect(await run.readings.knownSecrets()).toEqual(expect.arrayContaining([CONFIG_TOKEN, ARGV_TOKEN]));
  });

  it("fingerprints are sha256: + 12 hex", () => {
    expect(tokenFingerprint("abc")).toBe("sha256:ba7816bf8f01");
  });
});
