import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeConfig } from "../../src/agent/probes/config.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { JobReadings } from "../../src/agent/probes/job-readings.ts";
import type { ProbeRun } from "../../src/agent/probes/probe.ts";

/**
 * Which gateway processes are this config's, on evidence only (issue 14.1), and where a config
 * that does not parse is served from (14.3): a fake procfs with this lab's gateway on 19000,
 * a gateway whose environ cannot be read on 19001, one whose env names no config, and a zombie.
 */
let root: string;
let proc: string;

type Fake = { pid: number; state: string; env?: Record<string, string>; sockets?: number[] };

async function addGateway(p: Fake): Promise<void> {
  const dir = join(proc, String(p.pid));
  await mkdir(join(dir, "fd"), { recursive: true });
  await writeFile(join(dir, "comm"), "openclaw-gatewa\n");
  await writeFile(join(dir, "cmdline"), p.state === "Z" ? "" : "openclaw-gateway\0");
  await writeFile(join(dir, "status"), `Name:\topenclaw-gatewa\nState:\t${p.state} (x)\nPPid:\t1\nUid:\t0\t0\t0\t0\n`);
  // No environ file: unreadable, like another user's process or one exiting.
  if (p.env)
    await writeFile(
      join(dir, "environ"),
      `${Object.entries(p.env)
        .map(([k, v]) => `${k}=${v}`)
        .join("\0")}\0`,
    );
  for (const [i, inode] of (p.sockets ?? []).entries())
    await symlink(`socket:[${inode}]`, join(dir, "fd", String(10 + i)));
}

const readings = (stateDir: string) => {
  const ctx = resolveProbeContext(
    { HOME: root, OPENCLAW_STATE_DIR: stateDir },
    { procRoot: proc, serviceUnitDirs: [] },
  );
  const run: ProbeRun = {
    signal: new AbortController().signal,
    remainingMs: () => 5_000,
    readings: new JobReadings(ctx),
  };
  return { ctx, run };
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "clawops-own-"));
  proc = join(root, "proc");
  await mkdir(join(proc, "net"), { recursive: true });
  // 0x4A38 = 19000 (inode 501), 0x4A39 = 19001 (inode 601), 0x4A3A = 19002 (inode 701).
  await writeFile(
    join(proc, "net", "tcp"),
    `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:4A38 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 501 1 0 100 0 0 10 0
   1: 0100007F:4A39 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 601 1 0 100 0 0 10 0
   2: 0100007F:4A3A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 701 1 0 100 0 0 10 0
`,
  );
  const state = join(root, "state");
  await mkdir(state, { recursive: true });
  await addGateway({
    pid: 100,
    state: "S",
    env: { OPENCLAW_STATE_DIR: state, OPENCLAW_CONFIG_PATH: join(state, "openclaw.json") },
    sockets: [501],
  });
  await addGateway({ pid: 200, state: "S", sockets: [601] });
  await addGateway({ pid: 300, state: "S", env: {}, sockets: [701] });
  await addGateway({ pid: 400, state: "Z" });
  await writeFile(join(state, "openclaw.json"), JSON.stringify({ gateway: { port: 19000 } }));
  // A second state dir whose config does not parse, served by gateway 100's twin below.
  const broken = join(root, "broken");
  await mkdir(broken, { recursive: true });
  await writeFile(join(broken, "openclaw.json"), "{ gateway: { port: 19000, oops");
  await addGateway({
    pid: 500,
    state: "S",
    env: { OPENCLAW_STATE_DIR: broken, OPENCLAW_CONFIG_PATH: join(broken, "openclaw.json") },
    sockets: [701],
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("a gateway is this config's only on evidence", () => {
  it("same config path: ours; unreadable env, an env naming no config, a zombie: not ours", async () => {
    const { run } = readings(join(root, "state"));
    expect((await run.readings.ownGateways()).map((g) => g.pid)).toEqual([100]);
    const all = await run.readings.gatewayProcesses();
    expect(all.processes.find((g) => g.pid === 400)?.state).toBe("Z");
  });

  it("with no env evidence, holding the configured port makes it ours", async () => {
    // Gateway 200 (environ unreadable) holds 19001: a config naming 19001 claims it.
    const alt = join(root, "alt");
    await mkdir(alt, { recursive: true });
    await writeFile(join(alt, "openclaw.json"), JSON.stringify({ gateway: { port: 19001 } }));
    const { run } = readings(alt);
    expect((await run.readings.ownGateways()).map((g) => g.pid)).toEqual([200]);
  });
});

describe("a config that does not parse", () => {
  it("takes the port from its running gateway's socket, not the default 18789", async () => {
    const { ctx, run } = readings(join(root, "broken"));
    const data = await probeConfig(ctx, {}, run);
    expect(data).toMatchObject({ port: 19002, portSource: "process", portPid: 500 });
    expect(data.parseError).toBeDefined();
  });

  it("with no gateway of its own, the default is only a guess: no process on it counts as ours", async () => {
    const lone = join(root, "lone");
    await mkdir(lone, { recursive: true });
    await writeFile(join(lone, "openclaw.json"), "not json at all {");
    const { ctx, run } = readings(lone);
    expect(await probeConfig(ctx, {}, run)).toMatchObject({ port: 18789, portSource: "default" });
    expect(await run.readings.ownGateways()).toEqual([]);
  });
});

describe("a workspace that cannot be created", () => {
  it("names the nearest existing parent and its errno", async () => {
    const ws = join(root, "wsroot");
    await mkdir(ws, { recursive: true });
    await writeFile(join(ws, "afile"), "x");
    const cases: [string, unknown][] = [
      [
        join(ws, "afile", "ws"),
        { exists: false, error: "ENOTDIR", blockedBy: { path: join(ws, "afile"), code: "ENOTDIR" } },
      ],
      [join(ws, "afile", "a", "b"), { exists: false, blockedBy: { path: join(ws, "afile"), code: "ENOTDIR" } }],
      [join(ws, "new", "deeper"), { exists: false }],
    ];
    for (const [path, expected] of cases) {
      const state = join(root, `ws-${cases.findIndex((c) => c[0] === path)}`);
      await mkdir(state, { recursive: true });
      await writeFile(join(state, "openclaw.json"), JSON.stringify({ agents: { defaults: { workspace: path } } }));
      const { ctx, run } = readings(state);
      const data = await probeConfig(ctx, {}, run);
      expect(data.workspace, path).toMatchObject({ path, ...(expected as object) });
      if (!(expected as { blockedBy?: unknown }).blockedBy) expect(data.workspace?.blockedBy).toBeUndefined();
    }
  });
});
