import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summarizeDoctorLint } from "../../src/agent/probes/doctor-lint.ts";
import { summarizeConfigWarnings, summarizeNodes, summarizePlugins } from "../../src/agent/probes/gateway-inventory.ts";
import type { RpcResult } from "../../src/agent/probes/gateway-ws-client.ts";
import { scanLogText } from "../../src/agent/probes/log-signatures.ts";
import { deletedSqliteMappings } from "../../src/agent/probes/state-files.ts";
import {
  type GatewayEnvData,
  type GatewayInventoryData,
  type LogSignaturesData,
  type ServiceDefinitionData,
  STEP_NAMES,
  type StateFilesData,
  type StepResult,
} from "../../src/contract/catalog.ts";
import { type Classification, classifyResults } from "../../src/core/classify/classify.ts";
import { type Data, gatewayDownData, healthyData, toResults } from "../support/evidence.ts";

/**
 * The field-failure rules of issue 30 (classes 10–18, the refused start and the pending change),
 * on what the gateway really wrote: log lines and RPC answers captured from OpenClaw 2026.9.6 in
 * a lab (`*.real-gateway.*` in fixtures/openclaw/field/), and, where a lab gateway cannot be
 * brought there, lines built from the package's own strings (`*.dist-strings.*`: the sentence,
 * subsystem and tslog shape as dist/ writes them, each file's source named where it is read).
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/openclaw/field/${name}`, import.meta.url), "utf8");
const json = (name: string) => JSON.parse(fixture(name)) as unknown;

type Extra = {
  files?: StateFilesData;
  definition?: ServiceDefinitionData;
  env?: GatewayEnvData;
  inventory?: GatewayInventoryData;
};

function results(d: Data, x: Extra = {}): StepResult[] {
  const r = toResults(d);
  if (x.files) r.push({ step: "state.files", status: "ok", durationMs: 4, data: x.files });
  if (x.definition) r.push({ step: "service.definition", status: "ok", durationMs: 3, data: x.definition });
  if (x.env) r.push({ step: "gateway.env", status: "ok", durationMs: 3, data: x.env });
  if (x.inventory) r.push({ step: "gateway.inventory", status: "ok", durationMs: 20, data: x.inventory });
  return r;
}
const classify = (d: Data, x: Extra = {}): Classification => classifyResults(results(d, x), STEP_NAMES);
const ids = (d: Data, x: Extra = {}) => classify(d, x).findings.map((f) => f.id);
const finding = (c: Classification, id: string) => c.findings.find((f) => f.id === id);

function logsFrom(text: string): LogSignaturesData {
  return {
    found: true,
    path: "/home/op/lab/logs/openclaw-file.log",
    tried: [],
    bytesRead: text.length,
    ...scanLogText(text),
  };
}

const ok = (payload: unknown): RpcResult => ({ ok: true, payload });

function healthyFiles(): StateFilesData {
  return {
    stateDir: "/home/op/.openclaw",
    quick: false,
    volumes: [
      {
        holds: ["state", "logs"],
        path: "/home/op/.openclaw",
        totalBytes: 100 * 1024 ** 3,
        freeBytes: 60 * 1024 ** 3,
        level: "ok",
      },
    ],
    databases: [
      {
        path: "/home/op/.openclaw/state/openclaw.sqlite",
        role: "state",
        sizeBytes: 1_212_416,
        header: "sqlite",
        walBytes: 4_152_992,
      },
    ],
    mappedDeleted: [],
    logs: {
      dir: "/tmp/openclaw",
      files: 2,
      totalBytes: 2_400_000,
      largest: { path: "/tmp/openclaw/openclaw-2026-11-25.log", sizeBytes: 1_900_000 },
    },
    transcripts: { files: 1, totalBytes: 65_536, largest: null, truncated: false },
    clobbered: [],
  };
}

describe("a healthy gateway with the field probes", () => {
  it("no finding from state files, service definition, environment or inventory", () => {
    const c = classify(healthyData(), {
      files: healthyFiles(),
      definition: { supervisor: "manual", path: null },
      env: { pid: 8088, references: [], shellImport: false, proxies: { process: [], agent: [] } },
      inventory: {
        reachable: true,
        plugins: summarizePlugins(ok(json("health-plugins.real-gateway.json"))),
        nodes: [],
        configWarnings: [],
      },
    });
    expect(c.findings).toEqual([]);
  });
});

describe("class 10: the state database", () => {
  it("a header that is not SQLite while the gateway serves: fail, /healthz and /readyz named as false greens", () => {
    const files = healthyFiles();
    files.databases[0] = { ...files.databases[0], header: "not-sqlite" } as StateFilesData["databases"][number];
    const c = classify(healthyData(), { files });
    const f = finding(c, "state-db-corrupt");
    expect(f?.severity).toBe("fail");
    expect(f?.evidence[0]).toContain("does not begin with the SQLite header");
    expect(f?.falseGreen).toContain("/healthz");
    expect(f?.falseGreen).toContain("/readyz 200");
    expect(c.matrix.process.status).toBe("fail");
  });

  it("the gateway's own refused start (real: exit 78, 'file is not a database'): the reason, and no doctor --fix offered", () => {
    const d = gatewayDownData();
    d.logs = logsFrom(fixture("start-notadb.real-gateway.jsonl"));
    const c = classify(d);
    const refused = finding(c, "gateway-start-refused");
    expect(refused?.evidence[0]).toMatch(
      /shared state database is unreadable at \S+openclaw\.sqlite: file is not a database/,
    );
    expect(refused?.nextCommands.join("\n")).toMatch(/restore \S+openclaw\.sqlite from a verified backup/);
    for (const f of c.findings) expect(f.nextCommands.join("\n"), f.id).not.toMatch(/doctor --fix/);
    // The bare "not running" finding offers what the gateway offers, nothing more.
    expect(finding(c, "gateway-down")?.nextCommands).toEqual(refused?.nextCommands);
    expect(finding(c, "state-db-corrupt")?.evidence.join("\n")).toContain("file is not a database");
  });

  it("the same for a malformed database (real: 'database disk image is malformed')", () => {
    const d = gatewayDownData();
    d.logs = logsFrom(fixture("start-malformed.real-gateway.jsonl"));
    const c = classify(d);
    expect(finding(c, "gateway-start-refused")?.evidence[0]).toContain("database disk image is malformed");
    expect(finding(c, "state-db-corrupt")?.severity).toBe("fail");
  });

  it("the same lines in the shared default log, not proven this gateway's (its config unreadable): no state-db-corrupt while its database reads as SQLite", () => {
    // Seen on a real host: another gateway's 'file is not a database' in /tmp/openclaw, read because
    // this gateway's openclaw.json did not parse (so its logging.file was unknown).
    const d = healthyData();
    d.logs = {
      ...logsFrom(fixture("start-notadb.real-gateway.jsonl")),
      attribution: { verdict: "unproven", how: "OpenClaw's default log, shared by every gateway and CLI on this host" },
    };
    const c = classify(d);
    expect(finding(c, "state-db-corrupt")).toBeUndefined();
    // Proven (this config's own logging.file): the same lines count.
    d.logs = { ...d.logs, attribution: { verdict: "configured", how: "this config's logging.file" } };
    expect(finding(classify(d), "state-db-corrupt")?.severity).toBe("fail");
  });

  it("a -shm deleted under the running gateway (real /proc/<pid>/maps line) → state-db-sidecar-deleted", () => {
    const maps = fixture("maps-shm-deleted.real-gateway.txt");
    expect(deletedSqliteMappings(maps)).toEqual(["/tmp/cap30b/lab/state/state/openclaw.sqlite-shm"]);
    expect(deletedSqliteMappings(fixture("maps-shm-live.real-gateway.txt"))).toEqual([]);
    const files = healthyFiles();
    files.mappedDeleted = deletedSqliteMappings(maps).map((path) => ({ pid: 8088, path }));
    const f = finding(classify(healthyData(), { files }), "state-db-sidecar-deleted");
    expect(f?.evidence).toEqual(["gateway pid 8088 maps /tmp/cap30b/lab/state/state/openclaw.sqlite-shm (deleted)"]);
  });

  it("'database is locked' since the last start (dist strings: unhandled-rejections' transient SQLite line) → warn", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("state-db-busy.dist-strings.jsonl"));
    const f = finding(classify(d), "state-db-busy");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence.join("\n")).toContain("Non-fatal unhandled rejection (continuing): Error: database is locked");
  });

  it("the housekeeping line a healthy gateway writes beside a reader (real) is not a locked database", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("snapshot-reclamation-locked.real-gateway.jsonl"));
    expect(d.logs.signatures.map((s) => s.kind)).not.toContain("state-db-busy");
    expect(ids(d)).not.toContain("state-db-busy");
  });
});

describe("class 11: disk, logs and transcripts", () => {
  it("a day's forecast from the watch's samples → fail, with what uses the space", () => {
    const files = healthyFiles();
    files.volumes[0] = {
      ...files.volumes[0],
      freeBytes: 3 * 1024 ** 3,
      level: "ok",
      forecast: {
        daysUntilFull: 0.5,
        bytesPerDay: 6 * 1024 ** 3,
        sampleCount: 240,
        sampleSpanMs: 2 * 3_600_000,
        horizon: "day",
      },
    } as StateFilesData["volumes"][number];
    const c = classify(healthyData(), { files });
    const f = finding(c, "disk-full-soon");
    expect(f?.severity).toBe("fail");
    expect(f?.evidence.join("\n")).toMatch(
      /shrinks 6\.0 GiB\/day over the last 2\.0 h \(240 samples of the watch\): full in about 12\.0 h/,
    );
    expect(f?.evidence.join("\n")).toContain("gateway log folder /tmp/openclaw: 2 file(s)");
    expect(ids(healthyData(), { files })).not.toContain("disk-filling");
  });

  it("under 10 % free and steady → disk-filling warn only", () => {
    const files = healthyFiles();
    files.volumes[0] = {
      ...files.volumes[0],
      freeBytes: 8 * 1024 ** 3,
      level: "low",
    } as StateFilesData["volumes"][number];
    const c = classify(healthyData(), { files });
    expect(c.findings.map((f) => [f.id, f.severity])).toEqual([["disk-filling", "warn"]]);
  });

  it("'database or disk is full' in the log (dist strings: an unhandled rejection, which ends the process) → disk-full-soon", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("state-db-full.dist-strings.jsonl"));
    expect(ids(d)).toContain("disk-full-soon");
  });
});

describe("class 13: a config restored behind the operator's back", () => {
  it("the clobbered copy is newest and the file unchanged since: key names, never values", () => {
    const files = healthyFiles();
    files.clobbered = [
      {
        path: "/home/op/.openclaw/openclaw.json.clobbered.2026-11-25T10-06-00-000Z",
        modifiedAt: "2026-11-25T10:06:00.000Z",
        changedKeys: ["channels.telegram.botToken", "gateway.mode"],
      },
    ];
    const d = healthyData();
    d.config.modifiedAt = "2026-11-25T10:06:00.120Z";
    d.logs = logsFrom(fixture("config-auto-restored.dist-strings.jsonl"));
    const f = finding(classify(d, { files }), "config-auto-restored");
    expect(f?.evidence[0]).toContain(
      "keys that differ from the current file: channels.telegram.botToken, gateway.mode",
    );
    expect(f?.evidence.join("\n")).toContain("Config auto-restored from backup");
  });

  it("an operator edit after the restore settles it", () => {
    const files = healthyFiles();
    files.clobbered = [
      { path: "/x/openclaw.json.clobbered.a", modifiedAt: "2026-11-25T10:06:00.000Z", changedKeys: ["gateway.mode"] },
    ];
    const d = healthyData();
    d.config.modifiedAt = "2026-11-25T11:00:00.000Z";
    expect(ids(d, { files })).not.toContain("config-auto-restored");
  });
});

describe("class 12: service definition drift", () => {
  const unit = "/home/op/.config/systemd/user/openclaw-gateway.service";
  it("a start command whose node is gone → fail, the running gateway named as the false green", () => {
    const f = finding(
      classify(healthyData(), {
        definition: {
          supervisor: "systemd",
          unit: "openclaw-gateway.service",
          path: unit,
          execStart: [
            "/home/op/.nvm/versions/node/v24.16.0/bin/node",
            "/usr/lib/node_modules/openclaw/dist/index.js",
            "gateway",
            "--port",
            "19001",
          ],
          missingPaths: ["/home/op/.nvm/versions/node/v24.16.0/bin/node"],
          openclaw: { root: "/usr/lib/node_modules/openclaw", version: "2026.9.6" },
        },
      }),
      "service-start-broken",
    );
    expect(f?.severity).toBe("fail");
    expect(f?.evidence[0]).toBe(
      "/home/op/.nvm/versions/node/v24.16.0/bin/node: no such file (the next start fails here)",
    );
    expect(f?.falseGreen).toMatch(/the running gateway answers/);
  });

  it("another version than the CLI, a stale drop-in and units enabled in both scopes → three warnings", () => {
    const c = classify(healthyData(), {
      definition: {
        supervisor: "systemd",
        unit: "openclaw-gateway.service",
        path: unit,
        modifiedAt: "2026-11-20T08:00:00.000Z",
        execStart: ["/usr/bin/node", "/opt/openclaw-2026.8.2/node_modules/openclaw/dist/index.js", "gateway"],
        openclaw: { root: "/opt/openclaw-2026.8.2/node_modules/openclaw", version: "2026.8.2" },
        dropIns: [
          { path: `${unit}.d/override.conf`, modifiedAt: "2026-10-01T08:00:00.000Z", overrides: ["ExecStart"] },
        ],
        enabled: [
          {
            scope: "system",
            unit: "openclaw-gateway.service",
            link: "/etc/systemd/system/multi-user.target.wants/openclaw-gateway.service",
          },
          {
            scope: "user",
            unit: "openclaw-gateway.service",
            link: "/home/op/.config/systemd/user/default.target.wants/openclaw-gateway.service",
          },
        ],
      },
    });
    expect(c.findings.map((f) => [f.id, f.severity])).toEqual([
      ["service-runs-other-version", "warn"],
      ["service-units-duplicated", "warn"],
      ["service-dropin-stale", "warn"],
    ]);
    expect(finding(c, "service-runs-other-version")?.evidence).toContain("the openclaw CLI on this host is 2026.9.6");
  });
});

describe("class 14: secrets and environment under the supervisor", () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: OpenClaw's ${VAR} config syntax, quoted as written
  it("a ${VAR} the running gateway lacks but the agent's shell has, with the gateway's own warning (real config.get)", () => {
    const warnings = summarizeConfigWarnings(ok(json("config-get-warnings-env.real-gateway.json")));
    const d = healthyData();
    d.logs = logsFrom(fixture("missing-env.real-gateway.jsonl"));
    const f = finding(
      classify(d, {
        env: {
          pid: 8088,
          references: [
            { name: "CLAWOPS_CAPTURE_MISSING_KEY", at: ["models.providers.openai.apiKey"], foundIn: ["agent-env"] },
          ],
          shellImport: false,
          proxies: { process: [], agent: [] },
        },
        inventory: { reachable: true, configWarnings: warnings ?? [] },
      }),
      "secrets-env-missing",
    );
    expect(f?.evidence[0]).toMatch(
      /^CLAWOPS_CAPTURE_MISSING_KEY \(read at models\.providers\.openai\.apiKey\): not in the running gateway's environment \(pid 8088\)/,
    );
    expect(f?.evidence[0]).toContain("the agent's own environment has it");
    expect(f?.evidence.join("\n")).toContain('Missing env var "CLAWOPS_CAPTURE_MISSING_KEY"');
    expect(f?.evidence.join("\n")).toContain("[SECRETS_OWNER_UNAVAILABLE]");
  });
});

describe("class 15: plugins", () => {
  it("a configured plugin the gateway ignores (real config.get warning)", () => {
    const f = finding(
      classify(healthyData(), {
        inventory: {
          reachable: true,
          configWarnings: summarizeConfigWarnings(ok(json("config-get-warnings-plugin.real-gateway.json"))) ?? [],
        },
      }),
      "plugins-not-loaded",
    );
    expect(f?.evidence[0]).toMatch(/plugin not found: clawops-capture-missing \(stale config entry ignored/);
  });

  it("a plugin that failed during load (dist strings: the loader's [plugins] line)", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("plugin-failed.dist-strings.jsonl"));
    expect(finding(classify(d), "plugins-not-loaded")?.evidence.join("\n")).toContain(
      "[plugins] matrix failed during load",
    );
  });
});

describe("class 16: proxy and egress", () => {
  it("provider calls lost on the network (dist strings: provider-transport-fetch's [model-fetch] line)", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("provider-egress.dist-strings.jsonl"));
    const f = finding(classify(d), "provider-egress-failing");
    expect(f?.layer).toBe("model_routing");
    expect(f?.evidence[0]).toMatch(/2 "provider-egress-failed" lines \(ECONNRESET×1, EAI_AGAIN×1\)/);
  });

  it("the gateway's proxy differs from its unit's and the shell's: by target and fingerprint", () => {
    const f = finding(
      classify(healthyData(), {
        definition: {
          supervisor: "systemd",
          path: "/etc/systemd/system/openclaw-gateway.service",
          environment: [{ name: "HTTPS_PROXY", target: "http://proxy.corp:3128", fingerprint: "sha256:aaaaaaaaaaaa" }],
        },
        env: {
          pid: 8088,
          references: [],
          shellImport: false,
          proxies: {
            process: [],
            agent: [{ name: "https_proxy", target: "http://10.0.0.9:8080", fingerprint: "sha256:bbbbbbbbbbbb" }],
          },
        },
      }),
      "proxy-env-differs",
    );
    expect(f?.evidence).toEqual([
      "https_proxy: gateway unset; unit HTTPS_PROXY=http://proxy.corp:3128 (sha256:aaaaaaaaaaaa)",
      "https_proxy: gateway unset; agent's environment https_proxy=http://10.0.0.9:8080 (sha256:bbbbbbbbbbbb)",
    ]);
  });
});

describe("class 17: other clients' device tokens, pairings, nodes", () => {
  it("one client refused 4 times with device_token_mismatch (real lines) → device-token-loop with its cadence", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("device-token-loop.real-gateway.jsonl"));
    const f = finding(classify(d), "device-token-loop");
    expect(f?.evidence[0]).toMatch(
      /^client test ui v0\.0\.1-cap: refused 4 times with device_token_mismatch between \S+ and \S+, one every ~\d+ s$/,
    );
  });

  it("a pending device repair in doctor's findings (dist strings: doctor-device-pairing)", () => {
    const d = healthyData();
    d.lint = { exitCode: 1, timedOut: false, ...summarizeDoctorLint(fixture("doctor-lint-pairing.dist-strings.json")) };
    expect(finding(classify(d), "pairing-repair-pending")?.evidence[0]).toMatch(
      /^doctor --lint: Pending device repair /,
    );
  });

  it("a paired node that is not connected (node.list shape from dist nodes-cli)", () => {
    const nodes = summarizeNodes(ok(json("node-list.dist-strings.json")));
    const f = finding(
      classify(healthyData(), { inventory: { reachable: true, ...(nodes ? { nodes } : {}) } }),
      "node-paired-disconnected",
    );
    expect(f?.evidence).toEqual([
      "node.list: studio-mac (n-7c2e) paired, not connected, last seen 2026-11-25T09:46:40.000Z",
    ]);
  });
});

describe("class 18: host exec denied", () => {
  // infra/exec-approvals fails closed per read and warns at most once a minute (WARN_INTERVAL_MS).
  const linesOf = (text: string) => text.trim().split("\n");
  const at = (line: string, time: string) => line.replaceAll("2026-11-25T10:05:00.000", time);

  it("one unavailable read since the start on a busy database → a warning that says it may have passed, quoting the error", () => {
    const [ready = "", damaged = ""] = linesOf(fixture("exec-approvals.dist-strings.jsonl"));
    const busy = damaged.replace("database disk image is malformed", "database is locked");
    const d = healthyData();
    d.logs = logsFrom([ready, busy].join("\n"));
    expect(d.logs.signatures.find((s) => s.kind === "exec-approvals-unavailable")?.reasons).toEqual({
      "state is unavailable (database is locked)": 1,
    });
    const c = classify(d);
    expect(finding(c, "host-exec-denied")).toBeUndefined();
    const once = finding(c, "host-exec-denied-once");
    expect(once).toMatchObject({ severity: "warn", layer: "policy" });
    expect(once?.explanation).toContain("it may have passed");
    expect(once?.evidence.join("\n")).toContain(
      "denying host execution (error: Exec approvals SQLite state is unavailable: Error: database is locked)",
    );
    expect(c.matrix.policy.status).toBe("warn");
    // A line without its error (an older build, a plain-text log) reads the same way.
    d.logs = logsFrom([ready, busy.replace(/,"2":\{[^}]*\}/, "")].join("\n"));
    expect(finding(classify(d), "host-exec-denied-once")?.evidence.join("\n")).not.toContain("(error:");
  });

  it("one unavailable read since the start on a damaged database (dist strings) → policy fail at its first line", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("exec-approvals.dist-strings.jsonl"));
    const c = classify(d);
    expect(finding(c, "host-exec-denied-once")).toBeUndefined();
    const denied = finding(c, "host-exec-denied");
    expect(denied?.severity).toBe("fail");
    expect(denied?.evidence.join("\n")).toContain(
      "(error: Exec approvals SQLite state is unavailable: Error: database disk image is malformed)",
    );
    expect(c.matrix.policy.status).toBe("fail");
  });

  it("unavailable reads warned a minute apart since the start → policy fail", () => {
    const [ready = "", unavailable = ""] = linesOf(fixture("exec-approvals.dist-strings.jsonl"));
    const d = healthyData();
    d.logs = logsFrom([ready, unavailable, at(unavailable, "2026-11-25T10:06:10.000")].join("\n"));
    const c = classify(d);
    expect(finding(c, "host-exec-denied")?.severity).toBe("fail");
    expect(finding(c, "host-exec-denied-once")).toBeUndefined();
    expect(c.matrix.policy.status).toBe("fail");
  });

  it("a malformed row → policy fail at its first line; lines before the last start are history", () => {
    const [ready = "", unavailable = ""] = linesOf(fixture("exec-approvals.dist-strings.jsonl"));
    const d = healthyData();
    const malformed = unavailable.replace("SQLite state is unavailable", "SQLite row is malformed");
    d.logs = logsFrom([ready, malformed].join("\n"));
    expect(finding(classify(d), "host-exec-denied")?.severity).toBe("fail");
    // A start after both failures: its ready line last.
    const laterReady = ready.replaceAll("2026-11-25T10:00:00.000", "2026-11-25T10:10:00.000");
    d.logs = logsFrom([malformed, unavailable, laterReady].join("\n"));
    const after = classify(d);
    expect(finding(after, "host-exec-denied")).toBeUndefined();
    expect(finding(after, "host-exec-denied-once")).toBeUndefined();
  });
});

describe("refused starts and pending changes", () => {
  it("an invalid value (real): the reason and the command the gateway names", () => {
    const d = gatewayDownData();
    d.logs = logsFrom(fixture("start-invalid-value.real-gateway.jsonl"));
    const f = finding(classify(d), "gateway-start-refused");
    expect(f?.evidence[0]).toContain('gateway.reload.mode: Invalid input (allowed: "off", "hybrid"), got: "sometimes"');
    expect(f?.nextCommands).toEqual(["openclaw doctor --fix"]);
  });

  it("a bind address this host does not have (real)", () => {
    const d = gatewayDownData();
    d.logs = logsFrom(fixture("start-bind-absent.real-gateway.jsonl"));
    const f = finding(classify(d), "gateway-start-refused");
    expect(f?.evidence[0]).toContain(
      "gateway bind=custom requested 10.254.254.254 but resolved 0.0.0.0; refusing fallback",
    );
    expect(f?.nextCommands).toEqual(["openclaw gateway status --deep"]);
  });

  it("the file names another port than the gateway serves: judged on what runs, the change named", () => {
    const d = healthyData();
    d.config = { ...d.config, portSource: "process", portPid: 8088, pendingPort: 19002 };
    const c = classify(d);
    expect(c.findings.map((f) => f.id)).toEqual(["config-change-pending"]);
    expect(c.findings[0]?.evidence[0]).toBe(
      "gateway.port=19002 in the file; the running gateway (pid 8088) serves on 19001",
    );
    expect(c.matrix.port.status).toBe("ok");
  });
});
