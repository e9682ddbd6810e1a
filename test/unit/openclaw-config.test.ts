import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeConfig } from "../../src/agent/probes/config.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { JobReadings } from "../../src/agent/probes/job-readings.ts";
import { effectivePort, readOpenclawConfig } from "../../src/agent/probes/openclaw-config.ts";
import type { ProbeRun } from "../../src/agent/probes/probe.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawops-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readOpenclawConfig", () => {
  it("reads JSON5 (comments, trailing commas) like OpenClaw does", async () => {
    const path = join(dir, "json5.json");
    await writeFile(
      path,
      `{
        // written by hand
        gateway: { mode: "local", bind: "loopback", port: 19001, auth: { mode: "token", token: "abc-123456", }, },
        agents: { defaults: { workspace: "~/ws" } },
      }`,
    );
    const c = await readOpenclawConfig(path, {});
    expect(c).toMatchObject({ exists: true, mode: "local", bind: "loopback", port: 19001, authMode: "token" });
    expect(c.token).toBe("abc-123456");
    expect(c.tokenConfigured).toBe(true);
    expect(c.workspace).toBe("~/ws");
  });

  it("resolves env substitutions in the token and says when it cannot", async () => {
    const path = join(dir, "subst.json");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: OpenClaw's own `${VAR}` config syntax.
    await writeFile(path, JSON.stringify({ gateway: { auth: { token: "${OPENCLAW_GATEWAY_TOKEN}" } } }));
    expect((await readOpenclawConfig(path, { OPENCLAW_GATEWAY_TOKEN: "from-env-999" })).token).toBe("from-env-999");
    const unresolved = await readOpenclawConfig(path, {});
    expect(unresolved.token).toBeUndefined();
    expect(unresolved.tokenConfigured).toBe(true);
    expect(unresolved.tokenUnresolved).toBe("unset env OPENCLAW_GATEWAY_TOKEN");
  });

  it("treats a secret ref as configured but unreadable", async () => {
    const path = join(dir, "ref.json");
    await writeFile(path, JSON.stringify({ gateway: { auth: { token: { source: "file", id: "x" } } } }));
    const c = await readOpenclawConfig(path, {});
    expect(c).toMatchObject({ tokenConfigured: true, tokenUnresolved: "secret ref (not resolved by the agent)" });
    expect(c.token).toBeUndefined();
  });

  it("falls back to the main agent's workspace", async () => {
    const path = join(dir, "main.json");
    await writeFile(path, JSON.stringify({ agents: { entries: { main: { workspace: "/srv/ws" } } } }));
    expect((await readOpenclawConfig(path, {})).workspace).toBe("/srv/ws");
  });

  it("reports a missing file and a broken file as data", async () => {
    const missing = await readOpenclawConfig(join(dir, "nope.json"), {});
    expect(missing).toMatchObject({ exists: false, mode: null, tokenConfigured: false });
    expect(missing.readError).toBeUndefined();
    const path = join(dir, "broken.json");
    await writeFile(path, '{"gateway": {"mode": "local",');
    const broken = await readOpenclawConfig(path, {});
    expect(broken.exists).toBe(true);
    expect(broken.parseError).toMatch(/JSON5/);
    expect(broken.mode).toBeNull();
  });
});

describe("effectivePort", () => {
  it("follows OpenClaw's precedence: override → env → config → 18789", () => {
    expect(effectivePort({ env: {}, gatewayPortOverride: 1 }, { port: 3 })).toEqual({ port: 1, source: "agent" });
    expect(effectivePort({ env: { OPENCLAW_GATEWAY_PORT: "2" } }, { port: 3 })).toEqual({ port: 2, source: "env" });
    expect(effectivePort({ env: { OPENCLAW_GATEWAY_PORT: "junk" } }, { port: 3 })).toEqual({
      port: 3,
      source: "config",
    });
    expect(effectivePort({ env: {} }, { port: null })).toEqual({ port: 18789, source: "default" });
  });
});

describe("config step", () => {
  const run = (readings: JobReadings): ProbeRun => ({
    signal: new AbortController().signal,
    remainingMs: () => 2_000,
    readings,
  });

  it("reports the workspace state and never the token", async () => {
    const state = join(dir, "state");
    await mkdir(join(dir, "ws"), { recursive: true });
    await writeFile(join(dir, "afile"), "x");
    await mkdir(state, { recursive: true });
    const token = "never-leave-the-host-123";
    await writeFile(
      join(state, "openclaw.json"),
      JSON.stringify({
        gateway: { mode: "local", auth: { mode: "token", token } },
        agents: { defaults: { workspace: join(dir, "ws") } },
      }),
    );
    const ctx = resolveProbeContext({ HOME: dir, OPENCLAW_STATE_DIR: state });
    const data = await probeConfig(ctx, {}, run(new JobReadings(ctx)));
    expect(data).toMatchObject({
      path: join(state, "openclaw.json"),
      mode: "local",
      port: 18789,
      portSource: "default",
      tokenConfigured: true,
      workspace: { path: join(dir, "ws"), exists: true, isDirectory: true },
    });
    expect(JSON.stringify(data)).not.toContain(token);

    await writeFile(
      join(state, "openclaw.json"),
      JSON.stringify({ agents: { defaults: { workspace: join(dir, "afile", "ws") } } }),
    );
    const blocked = await probeConfig(ctx, {}, run(new JobReadings(ctx)));
    // A path component that is a file: the case that blocks a gateway restart (GATEWAY-FACTS §6d).
    expect(blocked.workspace).toMatchObject({ exists: false, isDirectory: false, error: "ENOTDIR" });
  });
});

describe("JobReadings and openclaw.json", () => {
  it("reads the file once per job: its config and its channel credentials come from the same version", async () => {
    const state = join(dir, "one-read");
    await mkdir(state, { recursive: true });
    const path = join(state, "openclaw.json");
    const write = (token: string, botToken: string) =>
      writeFile(
        path,
        JSON.stringify({ gateway: { auth: { mode: "token", token } }, channels: { telegram: { botToken } } }),
      );
    await write("gateway-token-first-111", "111111:bot-token-first-aaaaaaaa");
    const ctx = resolveProbeContext({ HOME: dir, OPENCLAW_STATE_DIR: state });
    const job = new JobReadings(ctx);
    expect((await job.config()).token).toBe("gateway-token-first-111");
    // Rewritten while the job runs: the job goes on with the version it read.
    await write("gateway-token-second-222", "222222:bot-token-second-bbbbbbb");
    expect((await job.channelSecrets()).map((c) => c.value)).toEqual(["111111:bot-token-first-aaaaaaaa"]);
    expect(await job.basicSecrets()).toContain("gateway-token-first-111");
    // The next job reads the file again.
    const next = new JobReadings(ctx);
    expect((await next.channelSecrets()).map((c) => c.value)).toEqual(["222222:bot-token-second-bbbbbbb"]);
    expect((await next.config()).token).toBe("gateway-token-second-222");
  });
});
