import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importApprovalKey } from "../../src/contract/approval.ts";
import { TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { INSTANCE_LOCK_FILE } from "../../src/node/instance-lock.ts";
import { CLI } from "../support/cli-process.ts";
import { type ConsoleServer, healthyScript, startConsoleServer, tokenDriftScript } from "../support/console-server.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { freePort } from "../support/harness.ts";
import { type Finished, runNode } from "../support/run-node.ts";

type Run = Finished;

function clawops(
  args: string[],
  server?: string,
  extra: Record<string, string> = {},
  onStdout?: (soFar: string) => void,
): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const name of ["CLAWOPS_URL", "CLAWOPS_PORT", "CLAWOPS_BIND", "CLAWOPS_ADMIN_TOKEN"]) delete env[name];
  if (server) env.CLAWOPS_URL = server;
  Object.assign(env, extra);
  // Where the CLI finds the console secret, as it would in the folder `npm start` runs in.
  env.CLAWOPS_DATA_DIR = consoleServer?.dataDir ?? "/nonexistent";
  return runNode(CLI, args, env, onStdout);
}

let server: ConsoleServer;
let consoleServer: ConsoleServer | undefined;
/** node-3's last probe answer waits for this: a test holds the triage until the CLI shows it running. */
let node3Held: Promise<void> = Promise.resolve();

beforeAll(async () => {
  const drift = tokenDriftScript();
  const transport = new FakeHostTransport()
    .addHost("node-3", { results: drift, beforeLast: () => node3Held })
    .addHost("node-5", { results: healthyScript() })
    // Drops after the fast probes are in and before the slow ones.
    .addHost("node-9", { results: drift, loseConnectionAfterMs: 300 })
    .addHost("node-4", { online: false })
    .addHost("node-7", { results: healthyScript(0.5) });
  server = await startConsoleServer(transport, ["node-3", "node-4", "node-5", "node-7", "node-9"]);
  consoleServer = server;
});

afterAll(async () => {
  await server?.close();
});

// Each test runs the CLI as a child process, several in turn (up to 6 s here in a loaded clean
// clone, more than 20 s in CI): a bound past the unit suite's 60 s default, not a speed claim.
describe("clawops CLI", { timeout: 90_000 }, () => {
  it("follows a triage to its result and exits 1 on failing layers", async () => {
    // The last probe's answer is held until the CLI has printed the triage running: on a loaded
    // box the CLI's start could otherwise take longer than the whole triage.
    let release = () => {};
    node3Held = new Promise((resolve) => {
      release = resolve;
    });
    const run = await clawops(["triage", "node-3"], server.url, {}, (soFar) => {
      if (soFar.includes("⏳ Triage of node-3 running")) release();
    }).finally(() => {
      release();
      node3Held = Promise.resolve();
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    const out = run.stdout;
    expect(out).toMatch(/^🔎 Triage of node-3 started \(job job_\w+\)\./);
    expect(out).toContain("🚨 Incident: OpenClaw gateway on node-3");
    // Not a terminal: each progress change is a line of its own, then the final steps.
    const n = TRIAGE_STEPS.length;
    expect(out).toMatch(new RegExp(`\\n⏳ Triage of node-3 running: [1-9]\\d?/${n} probes in`));
    expect(out).toContain(`\nTriage of node-3 finished: ${n}/${n} probes in`);
    // Each probe by what it found: the token sources disagree (a layer to watch), the config is fine.
    expect(out).toMatch(/\n🟡 tokens \d+ ms — Auth: Token sources disagree \(latent drift\)\n/);
    expect(out).toMatch(/\n🔴 gateway\.ws \d+ ms — Auth: AUTH_TOKEN_MISMATCH\n/);
    expect(out).toMatch(/\n✅ config \d+ ms\n/);
    expect(out).toContain("\n🔴 Triage node-3: 1 failing layer\n━━━");
    expect(out).toContain("\n🔴 Auth: fail — AUTH_TOKEN_MISMATCH\n");
    expect(out).toContain("1. 🔴 Token drift: the running gateway rejects the configured token  token-drift");
    expect(out).toContain("\nNext commands\n    openclaw gateway status --json");
    expect(out).not.toMatch(/```|\*\w/);
    expect(out).toMatch(/job job_\w+ · [\d.]+ s · agent 0\.1\.0 · gateway 2026\.9\.6\n/);
    // The answer's buttons, as the commands they stand for; then the top finding's snoozes.
    expect(out.trimEnd()).toMatch(
      /\[Run again: triage node-3\] {2}\[Collect bundle: bundle node-3\].*\[Start recovery: recover node-3\]\n\n\[Snooze 1 h: snooze node-3 token-drift 1h\] {2}.*\[Snooze until version changes: snooze node-3 token-drift until-version\]$/,
    );
  });

  it("exits 0 when the triage finds no failing layer, also as /openclaw passthrough", async () => {
    const run = await clawops(["/openclaw triage node-5"], server.url);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("🟢 Triage node-5: no failing layer found");
  });

  it("exits 2 on an error reply and starts nothing", async () => {
    const before = (await server.chat.since(0)).length;
    const unknown = await clawops(["triage", "nope"], server.url);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toContain("⚠️ No enrolled host named nope.");
    expect(unknown.stdout).toContain("error code unknown_host");
    const offline = await clawops(["--server", server.url, "triage", "node-4"]);
    expect(offline.code).toBe(2);
    expect(offline.stdout).toContain("Host node-4 is offline");
    expect((await server.chat.since(0)).length).toBe(before);
  });

  it("exits 2 when the agent connection is lost mid-job", async () => {
    const run = await clawops(["triage", "node-9"], server.url);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("Incomplete: Agent connection lost mid-job");
    expect(run.stderr).toMatch(/triage of node-9 did not complete \(lost\): Agent connection lost mid-job/);
  });

  it("exits 2 when --timeout passes before the result", async () => {
    const run = await clawops(["triage", "node-7", "--timeout", "0.3"], server.url);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/stopped following job job_\w+ after 0\.3 s \(status: running\); it may still finish/);
  });

  it("lists hosts and issues enrollment codes", async () => {
    const hosts = await clawops(["hosts"], server.url);
    expect(hosts.code).toBe(0);
    expect(hosts.stdout).toMatch(/node-3 — 🟢 online · agent 0\.1\.0/);
    expect(hosts.stdout).toMatch(/node-4 — ⚫ offline/);
    const enroll = await clawops(["enroll", "gw-new"], server.url);
    expect(enroll.code).toBe(0);
    expect(enroll.stdout).toMatch(/Enrollment code for gw-new: (\S+) \(one use/);
    const code = /Enrollment code for gw-new: (\S+) \(one use/.exec(enroll.stdout)?.[1];
    // This control plane serves no agent (test/unit/agent-install.test.ts has one that does, and
    // its one install command): the by-hand enrollment, at the URL it listens on.
    expect(enroll.stdout).toContain(
      `This control plane does not serve the agent: install it on the host by hand (docs/agents-and-ssm.md), then run there:\nclawops-agent enroll --server ${server.url} --host gw-new --code ${code}\n`,
    );
    expect(enroll.stdout).not.toContain("curl");
  });

  it("exits 3 with a clear message when the control plane is not running", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await clawops(["triage", "node-3"], url);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    // Where the URL came from, and the two ways to point the CLI elsewhere (issue 33, item 4).
    expect(run.stderr).toBe(
      `clawops: cannot reach clawops at ${url} (connect ECONNREFUSED ${url.slice("http://".length)}; the URL came from CLAWOPS_URL). Is the control plane running there? Point the CLI at it with --server <url> or CLAWOPS_URL; it also reads CLAWOPS_PORT.\n`,
    );
  });

  it("approval-key prints only a new Ed25519 private JWK on stdout (for `wrangler secret put`), without a control plane", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const [a, b] = [await clawops(["approval-key"], url), await clawops(["approval-key"], url)];
    expect(a.code).toBe(0);
    const jwk = JSON.parse(a.stdout) as JsonWebKey;
    expect(a.stdout.endsWith("}\n")).toBe(true);
    expect(jwk).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    expect(jwk.d).toMatch(/^[\w-]{43}$/);
    expect(a.stderr).toContain(`public part ${jwk.x}`);
    expect(a.stderr).not.toContain(jwk.d as string);
    // A fresh key each time, and one that signs.
    expect((JSON.parse(b.stdout) as JsonWebKey).d).not.toBe(jwk.d);
    const pair = await importApprovalKey(jwk);
    expect(pair.publicKey).toBe(jwk.x);
  });

  it("--version and -v print the package's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    for (const flag of ["--version", "-v"]) {
      const run = await clawops([flag]);
      expect(run).toEqual({ code: 0, stdout: `clawops ${version}\n`, stderr: "" });
    }
  });

  it("triage --json prints one JSON document (job, status, matrix by layer, findings) and keeps the exit codes", async () => {
    const failing = await clawops(["triage", "node-3", "--json"], server.url);
    expect(failing.stderr).toBe("");
    expect(failing.code).toBe(1);
    const doc = JSON.parse(failing.stdout) as {
      jobId: string;
      host: string;
      status: string;
      failingLayers: string[];
      matrix: Record<string, string>;
      findings: { id: string; title: string }[];
    };
    expect(doc).toMatchObject({ host: "node-3", status: "done", failingLayers: ["auth"] });
    expect(doc.jobId).toMatch(/^job_\w+$/);
    expect(Object.keys(doc.matrix)).toHaveLength(12);
    expect(doc.matrix).toMatchObject({ auth: "fail", process: "ok" });
    expect(doc.findings[0]).toMatchObject({
      id: "token-drift",
      title: "Token drift: the running gateway rejects the configured token",
    });
    const healthy = await clawops(["--json", "triage", "node-5"], server.url);
    expect(healthy.code).toBe(0);
    expect(JSON.parse(healthy.stdout)).toMatchObject({ host: "node-5", status: "done", failingLayers: [] });
    const offline = await clawops(["triage", "node-4", "--json"], server.url);
    expect(offline.code).toBe(2);
    expect(JSON.parse(offline.stdout)).toMatchObject({ jobId: null, error: { code: "host_offline" } });
  });

  it("hosts, status and audit --json print the host list, the fleet rows and the audit entries", async () => {
    const hosts = await clawops(["hosts", "--json"], server.url);
    expect(hosts.code).toBe(0);
    const listed = JSON.parse(hosts.stdout) as { hosts: { name: string; state: string }[] };
    expect(listed.hosts.map((h) => h.name)).toEqual(["node-3", "node-4", "node-5", "node-7", "node-9"]);
    expect(listed.hosts.slice(0, 2)).toMatchObject([
      { name: "node-3", state: "online", agentVersion: "0.1.0", gatewayVersion: "2026.9.6" },
      { name: "node-4", state: "offline" },
    ]);
    const status = await clawops(["status", "all", "--json"], server.url);
    expect(status.code).toBe(1); // node-4 is offline, node-3 fails auth
    const report = JSON.parse(status.stdout) as { selector: string; rows: { host: string; state: string }[] };
    expect(report.selector).toBe("all hosts");
    expect(report.rows.find((r) => r.host === "node-4")?.state).toBe("offline");
    expect(report.rows.map((r) => r.host).sort()).toEqual(["node-3", "node-4", "node-5", "node-7", "node-9"]);
    const audit = await clawops(["audit", "node-3", "--json"], server.url);
    expect(audit.code).toBe(0);
    const { entries } = JSON.parse(audit.stdout) as { entries: { action: string; host: string; detail: string }[] };
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.host === "node-3")).toBe(true);
    expect(entries.map((e) => e.detail)).toContain("/openclaw triage node-3");
    const wrong = await clawops(["enroll", "x", "--json"], server.url);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain(
      "--json goes with triage <host>, hosts, status <selector>, audit [host] (not --jsonl), incidents, incident <id> [--signals], report, expiries or config",
    );
  });

  it("incidents and incident <id> print the records a triage opened, as text and as --json", async () => {
    // The first test's triage of node-3 opened its incident (source: command).
    const list = await clawops(["incidents", "--json"], server.url);
    expect(list.code).toBe(0);
    const { incidents } = JSON.parse(list.stdout) as {
      incidents: { id: string; hosts: string[]; source: string; state: string }[];
    };
    const node3 = incidents.find((i) => i.hosts[0] === "node-3");
    expect(node3).toMatchObject({ source: "command", state: "open" });
    const id = node3?.id ?? "";

    const one = await clawops(["incident", id, "--json"], server.url);
    expect(one.code).toBe(0);
    const doc = JSON.parse(one.stdout) as {
      incident: { threadTs: string | null };
      timeline: { kind: string; text: string }[];
    };
    // The triage opened the thread after the record: the record learned it when the triage finished.
    expect(doc.incident.threadTs).toMatch(/^\d+\.\d+$/);
    // Each triage of node-3 in this file: requested, then its matrix and finding ids, in order.
    expect(doc.timeline[0]).toMatchObject({ kind: "triage", text: expect.stringMatching(/^triage requested/) });
    expect(doc.timeline.some((e) => /^triage done: .*auth fail.*findings: .*token-drift/.test(e.text))).toBe(true);

    const text = await clawops(["incidents"], server.url);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(id);
    const unknown = await clawops(["incident", "inc_nope", "--json"], server.url);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("No incident");
  });

  it("incident <id> --signals, report --since, incident new and sev: what fired, the window's figures, a declared incident (issue 40)", async () => {
    const { incidents } = JSON.parse((await clawops(["incidents", "--json"], server.url)).stdout) as {
      incidents: { id: string; hosts: string[] }[];
    };
    const id = incidents.find((i) => i.hosts[0] === "node-3")?.id ?? "";
    const signals = await clawops(["incident", id, "--signals", "--json"], server.url);
    expect(signals.stderr).toBe("");
    const doc = JSON.parse(signals.stdout) as {
      incident: string;
      fired: { source: string; count: number; fates: string[] }[];
      signals: { source: string; host: string; fate: string }[];
    };
    expect(doc.incident).toBe(id);
    expect(doc.signals[0]).toMatchObject({ source: "command", host: "node-3", fate: "opened" });
    expect(doc.fired[0]?.source).toBe("command");
    const asText = await clawops(["incident", id, "--signals"], server.url);
    expect(asText.stdout).toContain("What fired");

    const declared = await clawops(["incident", "new", "sev2", "replies", "stopped"], server.url);
    expect(declared.stderr).toBe("");
    expect(declared.stdout).toMatch(/Incident `?inc_\w+`? \(sev2\) declared: replies stopped/);
    const report = await clawops(["report", "--since", "30d", "--json"], server.url);
    expect(report.code).toBe(0);
    const r = JSON.parse(report.stdout) as {
      report: { incidents: number; bySource: Record<string, number>; bySeverity: Record<string, number> };
    };
    expect(r.report.bySource.declared).toBe(1);
    expect(r.report.bySeverity.sev2).toBeGreaterThanOrEqual(1);
    expect(r.report.incidents).toBe(Object.values(r.report.bySource).reduce((a, b) => a + b, 0));
    const bad = await clawops(["report", "--since", "forever"], server.url);
    expect(bad.stdout + bad.stderr).toContain("Usage: /openclaw report [<N>d|<N>h]");
  });

  it("postmortem <id> --md prints the draft; without --md it posts it to the thread (issue 29, item 8)", async () => {
    const { incidents } = JSON.parse((await clawops(["incidents", "--json"], server.url)).stdout) as {
      incidents: { id: string; hosts: string[] }[];
    };
    const id = incidents.find((i) => i.hosts[0] === "node-3")?.id ?? "";
    const md = await clawops(["postmortem", id, "--md"], server.url);
    expect(md.stderr).toBe("");
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(new RegExp(`^# Postmortem draft: OpenClaw gateway on node-3 \\(${id}\\)\n`));
    expect(md.stdout).toContain("## What the false green was");
    expect(md.stdout).toContain("`token-drift`");
    const posted = await clawops(["postmortem", id], server.url);
    expect(posted.code).toBe(0);
    expect(posted.stdout).toContain(`Postmortem draft of ${id}`);
    const unknown = await clawops(["postmortem", "inc_nope", "--md"], server.url);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("No incident");
    expect((await clawops(["postmortem", id, "--md", "--ticket"], server.url)).code).toBe(3);
  });

  it("help lists every command", async () => {
    const help = (await clawops(["help"])).stdout;
    for (const command of [
      "triage <host>",
      "hosts [",
      "status <selector>",
      "status ",
      "tag <host>",
      "bundle <host>",
      "freeze <host|all>",
      "unfreeze <host|all>",
      "recover <host>",
      "audit [host]",
      "incidents [open|all]",
      "incident <id>",
      "ticket <id> new",
      "postmortem <id>",
      "enroll <host>",
      "revoke <host>",
      "remove <host>",
      "login",
      "approval-key",
      "help",
    ]) {
      expect(help).toContain(`\n  clawops ${command}`);
    }
    expect(help).toContain("--json");
    expect(help).toContain("-v, --version");
    expect(help).toContain('clawops "/openclaw <text>"');
  });

  it("prints usage, and exits 3 on usage errors", async () => {
    const help = await clawops(["help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage:\n  clawops triage <host>");
    expect(help.stdout).toContain("Exit codes:");
    expect((await clawops(["--help"])).stdout).toBe(help.stdout);
    const missing = await clawops(["triage"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("usage: clawops triage <host>");
    const unknown = await clawops(["frobnicate"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const badOption = await clawops(["hosts", "--verbose"]);
    expect(badOption.code).toBe(3);
    expect(badOption.stderr).toBe("clawops: unknown option --verbose\nRun `clawops help` for usage.\n");
  });

  it("suggests the command or option a slip was meant to be (issue 33, item 7)", async () => {
    const typo = await clawops(["tirage", "node-3"]);
    expect(typo.code).toBe(3);
    expect(typo.stderr).toBe(
      'clawops: unknown command "tirage": did you mean triage? (`clawops help` lists them all)\nRun `clawops help` for usage.\n',
    );
    expect((await clawops(["unfrezee", "node-3"])).stderr).toContain("did you mean unfreeze?");
    const option = await clawops(["hosts", "--sever", "http://127.0.0.1:1"]);
    expect(option.code).toBe(3);
    // Not node:util's own words ("To specify a positional argument starting with a '-' …").
    expect(option.stderr).toBe(
      "clawops: unknown option --sever: did you mean --server?\nRun `clawops help` for usage.\n",
    );
    expect((await clawops(["triage", "node-3", "--timeout"])).stderr).toContain("clawops: --timeout needs a value\n");
    expect((await clawops(["status", "all", "--live=yes"])).stderr).toContain("clawops: --live takes no value\n");
  });

  it("finds the control plane at CLAWOPS_PORT when CLAWOPS_URL is unset, also from the control plane's env file (issue 33, item 4)", async () => {
    const port = new URL(server.url).port;
    const byPort = await clawops(["hosts"], undefined, { CLAWOPS_PORT: port });
    expect(byPort.stderr).toBe("");
    expect(byPort.stdout).toMatch(/node-3 — 🟢 online/);
    // CLAWOPS_URL wins over CLAWOPS_PORT, and --server over both.
    const dead = `http://127.0.0.1:${await freePort()}`;
    expect((await clawops(["hosts"], dead, { CLAWOPS_PORT: port })).stderr).toContain(
      `cannot reach clawops at ${dead} `,
    );
    expect((await clawops(["hosts", "--server", server.url], dead)).code).toBe(0);
    // The service's env file, as systemd reads it (CLAWOPS_BIND=0.0.0.0 is reached on loopback).
    const dir = mkdtempSync(join(tmpdir(), "clawops-cli-env-"));
    try {
      const file = join(dir, "clawops.env");
      writeFileSync(file, `CLAWOPS_BIND=0.0.0.0\nCLAWOPS_PORT=${port}\nSLACK_BOT_TOKEN=xoxb-not-read\n`);
      const byFile = await clawops(["--env-file", file, "hosts"]);
      expect(byFile.stderr).toBe("");
      expect(byFile.stdout).toMatch(/node-3 — 🟢 online/);
      // Node itself reads `--env-file` anywhere on its command line (before the CLI runs): a
      // missing file stops it with Node's own words.
      const missing = await clawops(["hosts", "--env-file", join(dir, "missing.env")]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain("missing.env: not found");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const unreachable = await clawops(["hosts"], undefined, { CLAWOPS_PORT: new URL(dead).port });
    expect(unreachable.stderr).toContain("the URL came from CLAWOPS_PORT");
  });

  it("with CLAWOPS_PORT=0 (any free port, as `npm run demo` starts) finds the control plane through its data folder's lock", async () => {
    // The lock `npm start` writes (src/node/instance-lock.ts): a live pid and the URL it took.
    const lock = join(server.dataDir, INSTANCE_LOCK_FILE);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), url: server.url }));
    try {
      const run = await clawops(["hosts"], undefined, { CLAWOPS_PORT: "0" });
      expect(run.stderr).toBe("");
      expect(run.stdout).toMatch(/node-3 — 🟢 online/);
    } finally {
      rmSync(lock, { force: true });
    }
    const none = await clawops(["hosts"], undefined, { CLAWOPS_PORT: "0" });
    expect(none.stderr).toContain("the URL came from the default");
  });
});
