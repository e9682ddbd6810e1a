import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:tls";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageToText } from "../../src/adapters/console/text.ts";
import { expiryRoutes } from "../../src/adapters/http/expiry-routes.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { parseCommand } from "../../src/core/commands/parse.ts";
import type { HostRecord } from "../../src/core/ports/store.ts";
import { CLI } from "../support/cli-process.ts";
import { type ConsoleServer, startConsoleServer } from "../support/console-server.ts";
import { healthyResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { freePort } from "../support/ports.ts";
import { RecordingChat, testDeps } from "../support/test-deps.ts";

/**
 * `/openclaw expiries` and `clawops expiries --json` (issue 42, item 3). The TLS readings are the
 * real agent probe's (`gateway.tls`) on certificates `openssl` makes now, one served by a node:tls
 * stand-in for the gateway's listener; the model credentials are `models.authStatus` as the agent
 * summarizes it (the shape of the real capture in field-models.test.ts) with an OAuth profile.
 */
const DAY = 86_400_000;
let lab: string;
let server: Server | undefined;
let soonTls: StepResult;
let badTls: StepResult;
let soonPem: string;

function openssl(dir: string, name: string, days: number): { cert: string; key: string } {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", String(days), "-nodes"].concat([
      "-keyout",
      key,
      "-out",
      cert,
      "-subj",
      "/CN=openclaw-gateway",
    ]),
    { stdio: "ignore" },
  );
  return { cert, key };
}

/** The real agent probe on a state folder whose openclaw.json says `gateway.tls`. */
async function tlsReading(state: string, port: number, tls: object): Promise<StepResult> {
  await mkdir(state, { recursive: true });
  await writeFile(join(state, "openclaw.json"), JSON.stringify({ gateway: { port, tls } }));
  const ctx = resolveProbeContext(
    { HOME: join(lab, "home"), OPENCLAW_STATE_DIR: state, PATH: "/usr/bin:/bin" },
    { agentVersion: "0.0.0-test", procRoot: join(lab, "no-proc"), serviceUnitDirs: [] },
  );
  const [r] = (await runSteps(ctx, [{ step: "gateway.tls", args: { timeoutMs: 2_000 } }], {
    deadlineMs: 5_000,
  })) as StepResult[];
  return r as StepResult;
}

function ws(now: number, profiles: { profileId: string; type: string; status: string; inDays: number }[]): StepResult {
  const healthy = healthyResults().find((r) => r.step === "gateway.ws") as Extract<StepResult, { step: "gateway.ws" }>;
  const providers = profiles.map((p) => ({
    provider: p.profileId.split(":")[0] as string,
    status: p.status,
    expiresAt: now + p.inDays * DAY,
    profiles: [{ profileId: p.profileId, type: p.type, status: p.status, expiresAt: now + p.inDays * DAY }],
  }));
  return { ...healthy, data: { ...healthy.data, modelsRpc: { ok: true, providers } } } as StepResult;
}

const host = (name: string, enrolledDaysAgo: number, now: number): HostRecord => ({
  name,
  publicKey: `k-${name}`,
  enrolledAt: now - enrolledDaysAgo * DAY,
  revokedAt: null,
  agentVersion: "1",
  gatewayVersion: "2026.9.6",
  lastSeenAt: now,
});

beforeAll(async () => {
  lab = await mkdtemp(join(tmpdir(), "clawops-expiries-"));
  await mkdir(join(lab, "home"), { recursive: true });
  const port = await freePort();
  const tlsDir = join(lab, "a", "gateway", "tls");
  await mkdir(tlsDir, { recursive: true });
  const pair = openssl(tlsDir, "gateway", 5);
  soonPem = await readFile(pair.cert, "utf8");
  server = createServer({ cert: soonPem, key: await readFile(pair.key) }, (s) => s.end());
  await new Promise<void>((ok) => server?.listen(port, "127.0.0.1", ok));
  soonTls = await tlsReading(join(lab, "a"), port, { enabled: true });
  // node-3's certPath points at its key: not a certificate.
  badTls = await tlsReading(join(lab, "b"), port, { enabled: true, certPath: pair.key });
});

afterAll(async () => {
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  await rm(lab, { recursive: true, force: true });
});

async function fleet() {
  const now = Date.now();
  const store = new InMemoryStore();
  for (const [name, age] of [
    ["node-1", 200],
    ["node-2", 30],
    ["node-3", 400],
    ["node-4", 2],
  ] as const)
    await store.insertHost(host(name, age, now));
  const transport = new FakeHostTransport()
    .addHost("node-1", {
      results: [soonTls, ws(now, [{ profileId: "anthropic:manual", type: "token", status: "ok", inDays: 40 }])],
    })
    .addHost("node-2", {
      results: [ws(now, [{ profileId: "openai-codex:<email>", type: "oauth", status: "expiring", inDays: 3 }])],
    })
    .addHost("node-3", { results: [badTls, ws(now, [])] })
    .addHost("node-4", { online: false });
  const chat = new RecordingChat();
  return { deps: testDeps({ store, transport, chat }), chat, now };
}

describe("/openclaw expiries", () => {
  it("parses alone or with all, and says its usage otherwise", () => {
    expect(parseCommand("expiries")).toEqual({ kind: "expiries" });
    expect(parseCommand("expiries all")).toEqual({ kind: "expiries" });
    expect(() => parseCommand("expiries node-3")).toThrow(/Usage: `\/openclaw expiries`/);
  });

  it("one calendar, soonest first, marked within 14 days; errors and silent hosts said; never a PEM", async () => {
    const { deps, chat } = await fleet();
    const reply = await handleCommand(deps, {
      text: "expiries",
      user: "U1",
      channel: "C1",
      requestKey: "r1",
      source: "console",
    });
    expect(messageToText(reply.ack)).toContain("Reading certificates and credential expiries on 4 hosts");
    await reply.later?.();
    const [posted] = chat.posted;
    const text = messageToText(posted as never);
    expect(text).toContain("4 dated items on 4 hosts: 3 within 14 days · 1 host did not answer");
    const lines = text.split("\n");
    const oauth = lines.findIndex((l) => l.includes("node-2") && l.includes("openai-codex:<email> (oauth, expiring)"));
    const cert = lines.findIndex(
      (l) => l.includes("node-1") && l.includes("gateway TLS certificate (CN=openclaw-gateway)"),
    );
    expect(oauth).toBeGreaterThan(-1);
    expect(cert).toBeGreaterThan(oauth);
    expect(lines[oauth]).toMatch(/^⏰ .* \(3 d\)/);
    expect(lines[cert]).toMatch(/^⏰ .* \(5 d\) .* sha256 [0-9A-F]{8}…[0-9A-F]{8}/);
    // 40 days out: listed, not marked.
    expect(text).toMatch(/▫️ .*\(40 d\) · node-1 model credential anthropic:manual \(token, ok\)/);
    expect(text).toMatch(/⚠️ node-3 gateway TLS certificate file: .*gateway-key\.pem is not a certificate/);
    expect(text).toContain("Not read: node-4 (agent not connected)");
    expect(text).toContain("Agent enrollments, oldest first: node-3 400 d");
    expect(text).not.toContain("BEGIN");
    expect(text).not.toContain(soonPem.split("\n")[1] as string);
  });

  it("clawops expiries --json: the same calendar as JSON from the console route", async () => {
    const { deps } = await fleet();
    const app = new Hono();
    expiryRoutes(app, deps);
    const res = await app.request("/api/console/expiries");
    const doc = (await res.json()) as {
      ok: boolean;
      entries: { host: string; kind: string; daysLeft: number; soon: boolean; fingerprint?: string }[];
      problems: { host: string }[];
      unanswered: { host: string }[];
      enrollments: { host: string; ageDays: number }[];
    };
    expect(doc.ok).toBe(true);
    expect(doc.entries.map((e) => [e.host, e.kind, e.soon])).toEqual([
      ["node-2", "model-credential", true],
      ["node-1", "tls-certificate", true],
      ["node-3", "tls-certificate", true],
      ["node-1", "model-credential", false],
    ]);
    expect(doc.entries[1]?.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(doc.problems.map((p) => p.host)).toEqual(["node-3"]);
    expect(doc.unanswered.map((u) => u.host)).toEqual(["node-4"]);
    expect(doc.enrollments.map((e) => [e.host, e.ageDays])).toEqual([
      ["node-3", 400],
      ["node-1", 200],
      ["node-2", 30],
      ["node-4", 2],
    ]);
    expect(JSON.stringify(doc)).not.toContain("BEGIN");
    const { parseCli } = await import("../../src/node/cli/args.mjs");
    expect(parseCli(["expiries", "--json"], {})).toMatchObject({ text: "expiries", json: "expiries" });
    expect(() => parseCli(["expiries", "node-1"], {})).toThrow(/usage: clawops expiries \[--json\]/);
  });
});

function clawops(
  args: string[],
  server: ConsoleServer,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NO_COLOR: "1",
      CLAWOPS_URL: server.url,
      CLAWOPS_DATA_DIR: server.dataDir,
    };
    for (const name of ["CLAWOPS_PORT", "CLAWOPS_BIND", "CLAWOPS_ADMIN_TOKEN"]) delete env[name];
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("clawops expiries (the CLI against a running control plane and its console API)", () => {
  it("prints the calendar and exits 1 with a certificate and an OAuth credential inside 14 days; --json the same", async () => {
    const now = Date.now();
    const transport = new FakeHostTransport()
      .addHost("node-1", {
        results: [soonTls, ws(now, [{ profileId: "anthropic:manual", type: "token", status: "ok", inDays: 40 }])],
      })
      .addHost("node-2", {
        results: [ws(now, [{ profileId: "openai-codex:<email>", type: "oauth", status: "expiring", inDays: 3 }])],
      })
      .addHost("node-4", { online: false });
    const server = await startConsoleServer(transport, ["node-1", "node-2", "node-4"]);
    try {
      const text = await clawops(["expiries"], server);
      expect(text.stdout).toContain("Reading certificates and credential expiries on 3 hosts");
      expect(text.stdout).toContain("3 dated items on 3 hosts: 2 within 14 days · 1 host did not answer");
      expect(text.stdout).toMatch(/⏰ .* \(3 d\) · node-2 model credential openai-codex:<email> \(oauth, expiring\)/);
      expect(text.stdout).toMatch(/⏰ .* \(5 d\) · node-1 gateway TLS certificate \(CN=openclaw-gateway\)/);
      expect(text.code).toBe(1);
      const json = await clawops(["expiries", "--json"], server);
      expect(json.code).toBe(1);
      const doc = JSON.parse(json.stdout) as {
        entries: { host: string; kind: string }[];
        unanswered: { host: string }[];
      };
      expect(doc.entries.map((e) => `${e.host} ${e.kind}`)).toEqual([
        "node-2 model-credential",
        "node-1 tls-certificate",
        "node-1 model-credential",
      ]);
      expect(doc.unanswered.map((u) => u.host)).toEqual(["node-4"]);
      expect(json.stdout).not.toContain("BEGIN");
    } finally {
      await server.close();
    }
  }, 60_000);
});
