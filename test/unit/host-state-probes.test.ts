import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clobberedChanges } from "../../src/agent/probes/config-keys.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { envReferences } from "../../src/agent/probes/gateway-env.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { forgetStorageSamples, level } from "../../src/agent/probes/state-files.ts";
import { forecastFree } from "../../src/agent/probes/storage-forecast.ts";
import type { ServiceDefinitionData, StateFilesData, StepResult } from "../../src/contract/catalog.ts";

/**
 * The agent's side of issue 30's classes 10–13: `state.files` and `service.definition` on real
 * files in a scratch folder laid out as OpenClaw 2026.9.6 lays out its state (state/openclaw.sqlite,
 * agents/<id>/agent/openclaw-agent.sqlite, agents/<id>/sessions/, openclaw.json.clobbered.<time>)
 * and as `openclaw gateway install` writes a systemd user unit (dist systemd-unit: buildSystemdUnit,
 * program-args: `<node> <…>/openclaw/dist/index.js gateway --port N`).
 */
let lab: string;
const SQLITE_HEADER = Buffer.concat([Buffer.from("SQLite format 3\u0000", "latin1"), Buffer.alloc(84, 1)]);

async function run<T>(step: "state.files" | "service.definition", args: object, extra: object = {}): Promise<T> {
  const ctx = resolveProbeContext(
    { HOME: join(lab, "home"), OPENCLAW_STATE_DIR: join(lab, "state"), PATH: "/usr/bin:/bin" },
    {
      agentVersion: "0.0.0-test",
      procRoot: join(lab, "no-proc"),
      serviceUnitDirs: [join(lab, "home/.config/systemd/user"), join(lab, "etc/systemd/system")],
      ...extra,
    },
  );
  const [r] = (await runSteps(ctx, [{ step, args } as never], { deadlineMs: 5_000 })) as StepResult[];
  expect(r?.status, JSON.stringify(r?.error)).toBe("ok");
  return r?.data as T;
}

beforeAll(async () => {
  lab = await mkdtemp(join(tmpdir(), "clawops-host-state-"));
  const state = join(lab, "state");
  await mkdir(join(state, "state"), { recursive: true });
  await mkdir(join(state, "agents", "main", "agent"), { recursive: true });
  await mkdir(join(state, "agents", "main", "sessions"), { recursive: true });
  await writeFile(join(state, "state", "openclaw.sqlite"), SQLITE_HEADER);
  await writeFile(join(state, "state", "openclaw.sqlite-wal"), Buffer.alloc(4096));
  // An agent database whose first bytes were overwritten (the live fault test does the same to a real one).
  await writeFile(
    join(state, "agents", "main", "agent", "openclaw-agent.sqlite"),
    Buffer.concat([Buffer.from("clawops-corrupt!"), SQLITE_HEADER.subarray(16)]),
  );
  await writeFile(join(state, "agents", "main", "sessions", "s1.jsonl"), "x".repeat(5000));
  await writeFile(join(state, "agents", "main", "sessions", "s2.jsonl"), "x".repeat(100));
  await writeFile(
    join(state, "openclaw.json"),
    JSON.stringify({
      gateway: { mode: "local", port: 19001, auth: { mode: "token", token: "secret-current-token" } },
      logging: { file: join(lab, "logs", "openclaw-file.log") },
    }),
  );
  // What the operator wrote and OpenClaw set aside: another token value, no gateway.mode.
  await writeFile(
    join(state, "openclaw.json.clobbered.2026-11-25T10-06-00-000Z"),
    JSON.stringify({
      gateway: { port: 19001, auth: { mode: "token", token: "secret-operator-token" } },
      channels: { telegram: { enabled: true } },
    }),
  );
  await mkdir(join(lab, "logs"), { recursive: true });
  await writeFile(join(lab, "logs", "openclaw-file.log"), "y".repeat(3000));
  await writeFile(join(lab, "logs", "openclaw-file.log.1"), "y".repeat(9000));
  await writeFile(join(lab, "logs", "unrelated.txt"), "z".repeat(99_999));
});

afterAll(async () => {
  if (lab) await rm(lab, { recursive: true, force: true });
});

describe("state.files", () => {
  it("quick (the watch): volumes and SQLite headers only", async () => {
    forgetStorageSamples();
    const d = await run<StateFilesData>("state.files", { quick: true });
    expect(d.quick).toBe(true);
    expect(d.volumes.length).toBeGreaterThan(0);
    expect(d.volumes[0]?.holds).toEqual(expect.arrayContaining(["state", "logs"]));
    expect(d.volumes[0]?.totalBytes).toBeGreaterThan(0);
    expect(d.databases.map((x) => [x.role, x.header])).toEqual([
      ["state", "sqlite"],
      ["agent", "not-sqlite"],
    ]);
    expect(d.databases[0]?.walBytes).toBe(4096);
    expect(d.logs).toBeUndefined();
    expect(d.clobbered).toBeUndefined();
  });

  it("full: the log folder of logging.file, transcripts, and the clobbered config's changed keys by name only", async () => {
    const d = await run<StateFilesData>("state.files", {});
    expect(d.logs).toMatchObject({ dir: join(lab, "logs"), files: 2, totalBytes: 12_000 });
    expect(d.logs?.largest?.path).toBe(join(lab, "logs", "openclaw-file.log.1"));
    expect(d.transcripts).toMatchObject({ files: 3, truncated: false });
    expect(d.transcripts?.largest?.path).toBe(join(lab, "state", "agents", "main", "sessions", "s1.jsonl"));
    expect(d.clobbered?.[0]?.changedKeys).toEqual([
      "channels.telegram.enabled",
      "gateway.auth.token",
      "gateway.mode",
      "logging.file",
    ]);
    const text = JSON.stringify(d);
    expect(text).not.toContain("secret-operator-token");
    expect(text).not.toContain("secret-current-token");
    expect(d.mappedDeleted).toEqual([]);
  });
});

describe("free space and its forecast", () => {
  it("levels: under 2 % or 512 MiB critical, under 10 % or 2 GiB low", () => {
    const G = 1024 ** 3;
    expect(level(50 * G, 100 * G)).toBe("ok");
    expect(level(8 * G, 100 * G)).toBe("low");
    expect(level(1.5 * G, 10 * G)).toBe("low");
    expect(level(1 * G, 100 * G)).toBe("critical");
    expect(level(400 * 1024 ** 2, 1 * G)).toBe("critical");
  });

  it("needs 10 samples over 10 minutes; a steady fill gives days until full, a flat one none", () => {
    const G = 1024 ** 3;
    const at = (i: number) => 1_800_000_000_000 + i * 30_000;
    const filling = Array.from({ length: 40 }, (_, i) => ({ at: at(i), freeBytes: 10 * G - i * 10 * 1024 ** 2 }));
    expect(forecastFree(filling.slice(0, 9), 10 * G)).toBeUndefined();
    expect(forecastFree(filling.slice(0, 12), 10 * G)).toBeUndefined(); // 5.5 min
    const f = forecastFree(filling, filling[39]?.freeBytes ?? 0);
    // 10 MiB every 30 s = 28.125 GiB a day; 9.6 GiB left: about 0.34 days.
    expect(f?.bytesPerDay).toBe(28.125 * G);
    expect(f?.daysUntilFull).toBeCloseTo(0.34, 2);
    expect(f?.horizon).toBe("day");
    const flat = Array.from({ length: 40 }, (_, i) => ({ at: at(i), freeBytes: 10 * G + (i % 2) * 4096 }));
    expect(forecastFree(flat, 10 * G)).toMatchObject({ daysUntilFull: null, horizon: "none" });
  });
});

describe("config keys and environment references", () => {
  it("clobbered vs current: added, removed and changed leaves by dotted name", () => {
    expect(clobberedChanges('{a:{b:1,c:"x"},d:[1]}', '{"a":{"b":1,"c":"y"},"e":{}}').keys).toEqual(["a.c", "d", "e"]);
    expect(clobberedChanges("{not json", "{}").error).toMatch(/does not parse/);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: OpenClaw's ${VAR} config syntax, quoted as written
  it("${VAR}, $VAR and SecretRefs with source env; not $${escaped}, not the env block itself", () => {
    const refs = envReferences({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: OpenClaw's ${VAR} config syntax, quoted as written
      models: { providers: { openai: { apiKey: "${OPENAI_API_KEY}", baseUrl: "https://$${LITERAL}/v1" } } },
      channels: { telegram: { botToken: { source: "env", provider: "default", id: "TELEGRAM_BOT_TOKEN" } } },
      tools: { web: { apiKey: "$BRAVE_API_KEY" } },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: OpenClaw's ${VAR} config syntax, quoted as written
      env: { vars: { SET_HERE: "${NOT_A_REFERENCE}" } },
    });
    expect(refs).toEqual([
      { name: "BRAVE_API_KEY", at: ["tools.web.apiKey"] },
      { name: "OPENAI_API_KEY", at: ["models.providers.openai.apiKey"] },
      { name: "TELEGRAM_BOT_TOKEN", at: ["channels.telegram.botToken"] },
    ]);
  });
});

describe("service.definition", () => {
  const unitName = "openclaw-gateway.service";
  beforeAll(async () => {
    const user = join(lab, "home/.config/systemd/user");
    const system = join(lab, "etc/systemd/system");
    const pkg = join(lab, "opt", "openclaw-2026.8.2", "node_modules", "openclaw");
    await mkdir(join(pkg, "dist"), { recursive: true });
    await writeFile(join(pkg, "package.json"), JSON.stringify({ name: "openclaw", version: "2026.8.2" }));
    await writeFile(join(pkg, "dist", "index.js"), "");
    await mkdir(join(user, `${unitName}.d`), { recursive: true });
    await mkdir(join(user, "default.target.wants"), { recursive: true });
    await mkdir(join(system, "multi-user.target.wants"), { recursive: true });
    await writeFile(
      join(lab, "gateway.env"),
      "HTTPS_PROXY=http://op:hunter2@proxy.corp:3128\nOPENAI_API_KEY=sk-not-shown\n",
    );
    // As buildSystemdUnit renders it (dist systemd-unit), with a runtime that is gone.
    await writeFile(
      join(user, unitName),
      [
        "[Unit]",
        "Description=OpenClaw Gateway",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        `ExecStart=${join(lab, "nvm", "v24.16.0", "bin", "node")} --max-old-space-size=4096 ${join(pkg, "dist", "index.js")} gateway --port 19001 --token lab-secret-token`,
        "Restart=always",
        "RestartSec=5",
        "RestartPreventExitStatus=78",
        `EnvironmentFile=-${join(lab, "gateway.env")}`,
        "Environment=NODE_ENV=production",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
      ].join("\n"),
    );
    await writeFile(join(user, `${unitName}.d`, "override.conf"), "[Service]\nEnvironment=OPENCLAW_LOG_LEVEL=debug\n");
    const old = new Date("2026-10-01T08:00:00Z");
    await utimes(join(user, `${unitName}.d`, "override.conf"), old, old);
    await symlink(join(user, unitName), join(user, "default.target.wants", unitName));
    await writeFile(join(system, unitName), "[Service]\nExecStart=/usr/bin/openclaw gateway\n");
    await symlink(join(system, unitName), join(system, "multi-user.target.wants", unitName));
    await mkdir(join(lab, "agent"), { recursive: true });
    await writeFile(
      join(lab, "agent", "policy.json"),
      JSON.stringify({ supervisor: { kind: "systemd", unit: unitName, user: true } }),
    );
  });

  it("the unit as a restart would run it: the missing runtime, the OpenClaw it starts, drop-ins, both scopes, names only", async () => {
    const d = await run<ServiceDefinitionData>("service.definition", {}, { agentDir: join(lab, "agent") });
    expect(d.supervisor).toBe("systemd");
    expect(d.path).toBe(join(lab, "home/.config/systemd/user", unitName));
    expect(d.missingPaths).toEqual([join(lab, "nvm", "v24.16.0", "bin", "node")]);
    expect(d.openclaw).toEqual({
      root: join(lab, "opt", "openclaw-2026.8.2", "node_modules", "openclaw"),
      version: "2026.8.2",
    });
    expect(d.execStart).toContain("***");
    expect(d.dropIns).toEqual([
      {
        path: join(lab, "home/.config/systemd/user", `${unitName}.d`, "override.conf"),
        modifiedAt: "2026-10-01T08:00:00.000Z",
        overrides: ["Environment"],
      },
    ]);
    expect(d.enabled?.map((x) => x.scope).sort()).toEqual(["system", "user"]);
    expect(d.environment).toEqual([
      {
        name: "HTTPS_PROXY",
        target: "http://proxy.corp:3128",
        fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{12}$/),
      },
      { name: "OPENAI_API_KEY" },
      { name: "NODE_ENV" },
      { name: "OPENCLAW_LOG_LEVEL" },
    ]);
    const text = JSON.stringify(d);
    for (const secret of ["lab-secret-token", "hunter2", "sk-not-shown", "production"])
      expect(text).not.toContain(secret);
  });
});
