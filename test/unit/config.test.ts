import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_VARS } from "../../src/adapters/discord/settings.ts";
import { SHARED_VARS } from "../../src/adapters/env/shared-vars.ts";
import { parseVars, type VarSpec } from "../../src/adapters/env/vars.ts";
import { MATTERMOST_VARS } from "../../src/adapters/mattermost/settings.ts";
import { TEAMS_VARS } from "../../src/adapters/teams/settings.ts";
import { AGENT_VARS } from "../../src/agent/vars.ts";
import { controlPlaneSettings, loadNodeConfig } from "../../src/node/config/load.ts";
import { CLI_VARS, NODE_VARS } from "../../src/node/config/schema.ts";
import { WORKER_VARS } from "../../src/worker/env-vars.ts";
import { CLI } from "../support/cli-process.ts";
import { quietLogger } from "../support/harness.ts";
import { REPO_ROOT, SsmStandIn } from "../support/ssm-standin.ts";

/**
 * One configuration (issue 28): every variable parsed together at start, every problem listed,
 * `clawops config` saying what each is and where it came from, secrets never shown.
 */
const MAIN = fileURLToPath(new URL("../../src/node/main.ts", import.meta.url));
const BOT_TOKEN = "xoxb-1111-2222-secretpartofthetoken";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "clawops-config-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(CLAWOPS|SLACK|JIRA|GITHUB|PAGERDUTY|AWS)_|^LOG_LEVEL$/.test(k)),
    );
    const child = spawn(process.execPath, [file, ...args], {
      env: { ...clean, CLAWOPS_DATA_DIR: join(dir, "data"), CLAWOPS_LOCAL_AGENT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the Node configuration", () => {
  it("lists every problem at once, each naming its variable, never a secret's value", async () => {
    const loaded = await loadNodeConfig({
      CLAWOPS_PORT: "eighty",
      CLAWOPS_WATCH_INTERVAL_S: "soon",
      CLAWOPS_HOST_CHANNELS: "node-*",
      CLAWOPS_METRICS_TOKEN: "short-secret",
      CLAWOPS_AUTHZ_FILE: join(dir, "missing-authz.json"),
      CLAWOPS_CONSOLE: "maybe",
      SLACK_BOT_TOKEN: BOT_TOKEN,
    });
    if (loaded.ok) expect.fail("a configuration with six mistakes was accepted");
    const named = [
      "CLAWOPS_PORT",
      "CLAWOPS_WATCH_INTERVAL_S",
      "CLAWOPS_HOST_CHANNELS",
      "CLAWOPS_METRICS_TOKEN",
      "CLAWOPS_AUTHZ_FILE",
      "CLAWOPS_CONSOLE",
      "SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN",
    ];
    for (const name of named)
      expect(
        loaded.problems.some((p) => p.includes(name)),
        name,
      ).toBe(true);
    expect(loaded.problems).toHaveLength(named.length);
    const all = loaded.problems.join("\n");
    expect(all).not.toContain("short-secret");
    expect(all).not.toContain("secretpartofthetoken");
  });

  it("reads the files the variables name and lists their problems with the rest", async () => {
    const policy = join(dir, "policy.json");
    writeFileSync(policy, JSON.stringify({ rules: [{ name: "down", findings: ["gateway-gone"] }] }));
    const tickets = join(dir, "tickets.json");
    writeFileSync(
      tickets,
      JSON.stringify({ T0AAA: { jira: { baseUrl: "not a url", email: "a@b.c", apiToken: "t" } } }),
    );
    const loaded = await loadNodeConfig({ CLAWOPS_FREEZE_POLICY: policy, CLAWOPS_TICKETS_FILE: tickets });
    if (loaded.ok) expect.fail("accepted");
    expect(loaded.problems.join("\n")).toMatch(/CLAWOPS_FREEZE_POLICY .*rules\.0\.findings\.0: not a finding rule id/);
    expect(loaded.problems.join("\n")).toMatch(/CLAWOPS_TICKETS_FILE .*T0AAA\.jira\.baseUrl/);
  });

  it("turns a good environment into the control plane's settings, as `npm start` did", async () => {
    const authz = join(dir, "authz.json");
    writeFileSync(authz, JSON.stringify({ actions: { freeze: { users: ["U0LEAD"] } } }));
    const loaded = await loadNodeConfig({
      CLAWOPS_PORT: "9123",
      SLACK_SIGNING_SECRET: "s".repeat(32),
      SLACK_BOT_TOKEN: BOT_TOKEN,
      CLAWOPS_AUTHZ_FILE: authz,
      CLAWOPS_ANNOUNCE_CHANNELS: "C01, C02 ,",
      CLAWOPS_HOST_CHANNELS: "node-*=C0NODES",
      CLAWOPS_INCIDENT_CHANNEL: "C0INC",
      CLAWOPS_WATCH_INTERVAL_S: "0",
      CLAWOPS_BUNDLE_RETENTION_DAYS: "3",
      CLAWOPS_FREEZE_WARN_MIN: "5",
    });
    if (!loaded.ok) expect.fail(loaded.problems.join("\n"));
    const settings = controlPlaneSettings(loaded.config, quietLogger);
    expect(settings).toMatchObject({
      port: 9123,
      bind: "127.0.0.1",
      console: false,
      slack: { botToken: BOT_TOKEN },
      commandName: "/openclaw",
      incidents: { defaultChannel: "C0INC", rules: [{ match: "node-*", channel: "C0NODES" }] },
      watch: { intervalMs: 0 },
      recovery: { announceChannels: ["C01", "C02"], freezeWarnMin: 5 },
      alerts: { policy: { hostLabels: ["clawops_host", "host", "instance"], triageEveryMs: 300_000 } },
    });
    expect(settings.recovery?.authz?.actions.freeze?.users).toEqual(["U0LEAD"]);
    expect(settings.bundles?.retentionMs).toBe(3 * 24 * 3600_000);
  });

  it("tickets and PagerDuty write-back (issue 29): a token without PAGERDUTY_FROM, or the resolve without a token, is a problem", async () => {
    const missingFrom = await loadNodeConfig({ PAGERDUTY_API_TOKEN: "pd-key-1234567890" });
    expect(missingFrom.ok).toBe(false);
    if (!missingFrom.ok) expect(missingFrom.problems.join("\n")).toContain("PAGERDUTY_API_TOKEN needs PAGERDUTY_FROM");
    const resolveAlone = await loadNodeConfig({ CLAWOPS_PAGERDUTY_RESOLVE: "1" });
    if (!resolveAlone.ok) expect(resolveAlone.problems.join("\n")).toContain("CLAWOPS_PAGERDUTY_RESOLVE=1 needs");
    else expect.fail("CLAWOPS_PAGERDUTY_RESOLVE=1 alone was taken");
    const loaded = await loadNodeConfig({
      PAGERDUTY_API_TOKEN: "pd-key-1234567890",
      PAGERDUTY_FROM: "oncall@example.com",
      CLAWOPS_PAGERDUTY_RESOLVE: "1",
      JIRA_BASE_URL: "https://acme.atlassian.example",
      JIRA_EMAIL: "oncall@example.com",
      JIRA_API_TOKEN: "jira-token",
      JIRA_PROJECT: "OPS",
      CLAWOPS_TICKET_LINK_DAYS: "30",
    });
    if (!loaded.ok) expect.fail(loaded.problems.join("\n"));
    const settings = controlPlaneSettings(loaded.config, quietLogger);
    expect(settings.pagerduty).toMatchObject({ token: "pd-key-1234567890", from: "oncall@example.com", resolve: true });
    expect(settings.bundles?.tickets.jira).toMatchObject({ project: "OPS", issueType: "Task" });
    expect(settings.bundles?.ticketKeepMs).toBe(30 * 24 * 3600_000);
  });

  it("`npm start` refuses to start listing every problem, and exits 1", async () => {
    const r = await run(MAIN, [], { CLAWOPS_PORT: "-1", LOG_LEVEL: "chatty", SLACK_APP_TOKEN: "xapp-1-abc" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the configuration has 3 problems");
    expect(r.stderr).toContain("CLAWOPS_PORT");
    expect(r.stderr).toContain("LOG_LEVEL");
    expect(r.stderr).toContain("SLACK_APP_TOKEN (Socket Mode) needs SLACK_BOT_TOKEN too");
    expect(r.stderr).not.toContain("xapp-1-abc");
  });
});

describe("`clawops config`", () => {
  it("prints each variable's value and where it came from, secrets masked; exit 0", async () => {
    const envFile = join(dir, "clawops.env");
    writeFileSync(envFile, `# as systemd reads it\nSLACK_SIGNING_SECRET=${"z".repeat(32)}\nCLAWOPS_PORT=9000\n`);
    const r = await run(CLI, ["config", "--env-file", envFile], {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      CLAWOPS_WATCH_INTERVAL_S: "10",
    });
    expect(r.code).toBe(0);
    const line = (name: string) => r.stdout.split("\n").find((l) => l.trim().startsWith(`${name} `)) ?? "";
    expect(line("CLAWOPS_PORT")).toMatch(/9000\s+file .*clawops\.env$/);
    expect(line("CLAWOPS_WATCH_INTERVAL_S")).toMatch(/10\s+env$/);
    expect(line("CLAWOPS_BIND")).toMatch(/127\.0\.0\.1\s+default$/);
    expect(line("CLAWOPS_PUBLIC_URL")).toMatch(/-\s+unset$/);
    expect(line("SLACK_BOT_TOKEN")).toMatch(new RegExp(`xoxb-•••• \\(${BOT_TOKEN.length} characters\\)\\s+env$`));
    expect(r.stdout).not.toContain("secretpartofthetoken");
    expect(r.stdout).not.toContain("z".repeat(32));
    expect(r.stdout).toContain("No problems");
  });

  it("lists every problem and exits 2; --json gives the same for scripts", async () => {
    const r = await run(CLI, ["config", "--json"], { CLAWOPS_PORT: "x", CLAWOPS_ALERT_TRIAGE_MINUTES: "often" });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { ok: boolean; problems: string[]; variables: { name: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.problems).toHaveLength(2);
    expect(doc.variables.map((v) => v.name)).toEqual(Object.keys(NODE_VARS));
  });

  it("names Parameter Store as the source of a secret read from it (real AWS SDK, SSM stand-in)", async () => {
    const key = { accessKeyId: "AKIACLAWOPSTEST00002", secretAccessKey: "config-test-secret/clawops+0123456789" };
    const ssm = new SsmStandIn({ ...key, region: "eu-west-1" });
    await ssm.start();
    try {
      ssm.setSecureString("/clawops/cfg/SLACK_SIGNING_SECRET", "from-parameter-store-signing");
      const r = await run(CLI, ["config"], {
        CLAWOPS_SSM_PARAMETER_PATH: "/clawops/cfg/",
        SLACK_BOT_TOKEN: BOT_TOKEN,
        AWS_REGION: "eu-west-1",
        AWS_ENDPOINT_URL_SSM: ssm.url,
        AWS_ACCESS_KEY_ID: key.accessKeyId,
        AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/SLACK_SIGNING_SECRET\s+•••• \(28 characters\)\s+Parameter Store/);
      expect(r.stdout).not.toContain("from-parameter-store");
    } finally {
      await ssm.stop();
    }
  });
});

describe("every variable is declared once", () => {
  /** Names that look like variables and are not: constants (prefixes in prose, `CLAWOPS_WATCH_*`, end in `_`). */
  const NOT_VARIABLES = new Set(["SLACK_MAX_AGE_SECONDS"]);
  const declared = new Set([NODE_VARS, CLI_VARS, WORKER_VARS, AGENT_VARS].flatMap((t) => Object.keys(t)));

  function files(d: string): string[] {
    return readdirSync(d).flatMap((e) => {
      const p = join(d, e);
      return statSync(p).isDirectory() ? files(p) : /\.(ts|mjs)$/.test(p) ? [p] : [];
    });
  }

  it("each CLAWOPS_* and SLACK_* name in the control plane's sources is in a runtime's table", () => {
    const missing = new Set<string>();
    for (const root of ["src/node", "src/worker", "src/core", "src/adapters"]) {
      for (const file of files(join(REPO_ROOT, root))) {
        for (const m of readFileSync(file, "utf8").matchAll(/\b(?:CLAWOPS|SLACK)_[A-Z0-9_]*/g)) {
          const name = m[0];
          if (!declared.has(name) && !NOT_VARIABLES.has(name) && !name.endsWith("_")) missing.add(name);
        }
      }
    }
    expect([...missing].sort()).toEqual([]);
  });

  it("core takes settings, not variables: the runtimes read them (paging's and the digest's readers are the ones left)", () => {
    const readers = files(join(REPO_ROOT, "src/core"))
      .filter((f) => /export function \w+FromEnv\b/.test(readFileSync(f, "utf8")))
      .map((f) => f.slice(REPO_ROOT.length).replace(/^\//, ""));
    // Both outside this change (issue 45): core/incidents and core/paging are the on-call work's.
    expect(readers.sort()).toEqual(["src/core/incidents/report.ts", "src/core/paging/settings.ts"]);
  });

  it("only the configuration modules read the process environment in the control plane", () => {
    const readers = ["src/node", "src/worker"]
      .flatMap((root) => files(join(REPO_ROOT, root)))
      .filter((f) => /process\.env\b/.test(readFileSync(f, "utf8")))
      .map((f) => f.slice(REPO_ROOT.length).replace(/^\//, ""))
      .sort();
    expect(readers).toEqual([
      // The CLI's entry: argv and the variables the CLI reads (args.mjs, zod-free so it starts fast).
      "src/node/cli/main.mjs",
      // The local agent's child process inherits the environment (its own variables, AGENT_VARS).
      "src/node/local-agent.ts",
      "src/node/main.ts",
    ]);
  });
});

describe("one table for what both runtimes read (issue 45)", () => {
  /** Same name, another meaning: required on the Worker and optional on Node; a file on Node, the JSON on the Worker. */
  const APART = ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "CLAWOPS_FREEZE_POLICY"];
  const node = NODE_VARS as Record<string, VarSpec>;
  const worker = WORKER_VARS as Record<string, VarSpec>;
  // Discord's, Mattermost's and Teams' tables (src/adapters/*/settings.ts) are spread into both runtimes the same way.
  const shared = { ...SHARED_VARS, ...DISCORD_VARS, ...MATTERMOST_VARS, ...TEAMS_VARS } as Record<string, VarSpec>;

  it("every name both runtimes read is the shared entry on both, with its one schema and default", () => {
    const both = Object.keys(node).filter((n) => n in worker);
    expect(both.filter((n) => !APART.includes(n)).sort()).toEqual(Object.keys(shared).sort());
    for (const name of Object.keys(shared)) {
      expect(node[name]?.schema, name).toBe(shared[name]?.schema);
      expect(worker[name]?.schema, name).toBe(shared[name]?.schema);
      expect([node[name]?.default, worker[name]?.default, node[name]?.secret, worker[name]?.secret], name).toEqual([
        shared[name]?.default,
        shared[name]?.default,
        shared[name]?.secret,
        shared[name]?.secret,
      ]);
    }
  });

  /** URLs Node always checked as URLs and the Worker took as any text. */
  const BAD_URLS = {
    JIRA_BASE_URL: "jira.example.com",
    GITHUB_API_URL: "ftp://github.example.com",
    PAGERDUTY_API_URL: "pagerduty",
    CLAWOPS_PUBLIC_URL: "https://clawops.example.com/?next=$(id)",
    PAGERDUTY_EVENTS_URL: "events",
    OPSGENIE_API_URL: "opsgenie",
    CLAWOPS_PAGE_WEBHOOK_URL: "ntfy.example/x",
    SLACK_API_URL: "slack",
  };

  it("a URL is checked as a URL on both: each bad one is a problem naming it, on Node and on the Worker", async () => {
    // The Worker's table as parseWorkerConfig reads it (test/workers/worker-config.test.ts runs that in workerd).
    const worker = parseVars(WORKER_VARS, { SLACK_SIGNING_SECRET: "s", SLACK_BOT_TOKEN: BOT_TOKEN, ...BAD_URLS });
    const node = await loadNodeConfig({ ...BAD_URLS });
    for (const [runtime, result] of [
      ["Worker", worker],
      ["Node", node],
    ] as const) {
      if (result.ok) expect.fail(`${runtime} accepted ${Object.keys(BAD_URLS).length} bad URLs`);
      for (const name of Object.keys(BAD_URLS))
        expect(
          result.problems.some((p) => p.startsWith(name)),
          `${runtime}: ${name}`,
        ).toBe(true);
    }
  });
});
