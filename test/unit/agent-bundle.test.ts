import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_NODE_FLAGS, buildAgent, bundleAgent } from "../../scripts/build-agent.ts";
import { type AgentLaunch, type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { startTlsProxy, type TlsProxy } from "../support/tls-proxy.ts";

/**
 * The single-file agent a host runs (`npm run build:agent`): built for real with esbuild, then
 * enrolled and connected to a real control plane process with the Node flags the infra units
 * use, and asked for a triage. Its gateway does not exist and no `openclaw` CLI is on its PATH.
 */
const SOURCES = fileURLToPath(new URL("../../src/agent/main.ts", import.meta.url));

let work: string;
let bundle: AgentLaunch;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "clawops-agent-bundle-"));
  const out = await buildAgent(join(work, "dist", "clawops-agent.mjs"));
  bundle = { entry: out.outfile, nodeArgs: AGENT_NODE_FLAGS };
  const home = join(work, "home");
  mkdirSync(home);
  env = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    OPENCLAW_GATEWAY_PORT: "9",
    OPENCLAW_STATE_DIR: join(home, ".openclaw"),
    CLAWOPS_OPENCLAW_BIN: join(home, "no-openclaw"),
  };
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/**
 * An `--import` hook for the bundle: counts each call of the functions that read ICU's time-zone
 * or locale data (and `getUTCFullYear`, which reads none, to show the counting sees the bundle's
 * calls), and writes the counts to $OUT when the process exits.
 */
const ICU_CALLS_HOOK = `
const seen = {};
const count = (name) => { seen[name] = (seen[name] ?? 0) + 1; };
const wrap = (proto, owner, names) => {
  for (const name of names) {
    const original = proto[name];
    Object.defineProperty(proto, name, { value: function (...args) { count(owner + "#" + name); return original.apply(this, args); }, writable: true, configurable: true });
  }
};
wrap(Date.prototype, "Date", ["getUTCFullYear", "toISOString", "toJSON", "toString", "toDateString", "toTimeString",
  "toLocaleString", "toLocaleDateString", "toLocaleTimeString", "getTimezoneOffset", "getFullYear", "getMonth",
  "getDate", "getDay", "getHours", "getMinutes", "getSeconds", "setFullYear", "setMonth", "setDate", "setHours",
  "setMinutes", "setSeconds", "setMilliseconds"]);
wrap(String.prototype, "String", ["localeCompare", "toLocaleLowerCase", "toLocaleUpperCase"]);
wrap(Number.prototype, "Number", ["toLocaleString"]);
wrap(Array.prototype, "Array", ["toLocaleString"]);
const LocalDate = Date;
// new Date(y, m, ...) and a date string without an offset are local times.
globalThis.Date = new Proxy(LocalDate, {
  construct(target, args, newTarget) { if (args.length > 1 || typeof args[0] === "string") count("new Date(local)"); return Reflect.construct(target, args, newTarget); },
  apply(target, self, args) { count("Date()"); return Reflect.apply(target, self, args); },
});
const parse = LocalDate.parse;
LocalDate.parse = (text) => { count("Date.parse"); return parse(text); };
for (const kind of Object.getOwnPropertyNames(Intl))
  if (typeof Intl[kind] === "function") {
    const original = Intl[kind];
    Intl[kind] = new Proxy(original, {
      construct(target, args, newTarget) { count("Intl." + kind); return Reflect.construct(target, args, newTarget); },
      apply(target, self, args) { count("Intl." + kind); return Reflect.apply(target, self, args); },
    });
  }
process.on("exit", () => process.getBuiltinModule("node:fs").writeFileSync($OUT, JSON.stringify(seen)));
`;

type ProbeResult = { step: string; status: string; data?: { outcome?: string }; error?: { code: string } };

type ParseOutcome = { ok: true; frame: unknown } | { ok: false; reason: string };

/**
 * `probe --json` against this test's host (no gateway on port 9, no CLI): it exits 1, since a
 * probe found a failure, and prints the results as JSON and nothing else.
 */
async function probeJson(args: string[]): Promise<string> {
  const failed = await promisify(execFile)(process.execPath, [...args, "probe", "--json"], {
    env,
    timeout: 60_000,
  }).then(
    () => null,
    (err: { code?: number; stdout?: string; stderr?: string }) => err,
  );
  expect(failed?.code, "probe --json exits 1: the gateway refuses every connection").toBe(1);
  expect(failed?.stderr ?? "").toBe("");
  return failed?.stdout ?? "";
}

async function probe(launch: AgentLaunch | null): Promise<ProbeResult[]> {
  const argv = launch ? [...(launch.nodeArgs ?? []), launch.entry ?? ""] : [SOURCES];
  return JSON.parse(await probeJson(argv));
}

describe("the bundled agent (dist/clawops-agent.mjs)", () => {
  it("is one executable file that needs no node_modules beside it", () => {
    const stat = statSync(bundle.entry ?? "");
    expect(stat.mode & 0o111).not.toBe(0);
    expect(stat.size).toBeGreaterThan(100_000);
  });

  it("runs the same probes with the same outcomes as the TypeScript sources", async () => {
    const [fromSources, fromBundle] = await Promise.all([probe(null), probe(bundle)]);
    const outcome = (rs: ProbeResult[]) =>
      rs.map((r) => `${r.step}=${r.status}:${r.data?.outcome ?? r.error?.code ?? ""}`).sort();
    expect(fromBundle.length).toBeGreaterThan(3);
    expect(outcome(fromBundle)).toEqual(outcome(fromSources));
    // The gateway on port 9 is absent and the CLI missing; the bundle sees both like the sources.
    expect(fromBundle.find((r) => r.step === "gateway.ws")?.data?.outcome).toBe("refused");
    expect(fromBundle.find((r) => r.step === "doctor.lint")?.error?.code).toBe("cli_unavailable");
  }, 90_000);

  // What the bundle keeps unloaded for memory (scripts/build-agent.ts): Node's own record of the
  // modules it loaded, written when a `probe` run (every probe, secretlint's rules) exits.
  it("runs every probe without loading fs/promises, readline, the REPL, perf_hooks, module or process.binding", async () => {
    const list = join(work, "module-load-list.txt");
    const onExit = `process.on("exit", () => process.getBuiltinModule("node:fs").writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join("\\n")));`;
    const hook = `data:text/javascript,${encodeURIComponent(onExit)}`;
    await probeJson([...AGENT_NODE_FLAGS, "--import", hook, bundle.entry ?? ""]);
    const loaded = readFileSync(list, "utf8").split("\n");
    // The probes did read files and run the rule set (a check that the run got that far).
    expect(loaded).toContain("NativeModule internal/fs/read/context");
    expect(loaded).toContain("NativeModule child_process");
    // fs/promises and perf_hooks with what they bring; `node:module` (createRequire) and
    // `import.meta`; lodash's process.binding("util").
    const keptOut = [
      /\b(fs\/promises|readline|repl|perf_hooks|usertiming|histogram)\b/,
      /^NativeModule (module|internal\/source_map\/source_map|internal\/modules\/esm\/initialize_import_meta|internal\/legacy\/processbinding)$/,
    ];
    expect(loaded.filter((m) => keptOut.some((unloaded) => unloaded.test(m)))).toEqual([]);
  }, 90_000);

  // ICU's data pages stay resident once read (src/agent/icu-free.ts): a `probe` run, with every
  // call that reads them (local time, collation, Intl) counted as the bundle makes it.
  it("runs every probe without a call that reads ICU's time-zone or locale data", async () => {
    const calls = join(work, "icu-calls.json");
    const hook = `data:text/javascript,${encodeURIComponent(ICU_CALLS_HOOK.replace("$OUT", JSON.stringify(calls)))}`;
    const stdout = await probeJson([...AGENT_NODE_FLAGS, "--import", hook, bundle.entry ?? ""]);
    const seen = JSON.parse(readFileSync(calls, "utf8")) as Record<string, number>;
    // The counting sees the bundle's calls: isoTime reads the UTC fields (the logs probe names
    // today's log file by its UTC date). The bundle before src/agent/icu-free.ts: toISOString twice.
    expect(JSON.parse(stdout).length).toBeGreaterThan(3);
    expect(seen["Date#getUTCFullYear"] ?? 0).toBeGreaterThan(0);
    expect(Object.keys(seen).filter((k) => k !== "Date#getUTCFullYear")).toEqual([]);
  }, 90_000);

  // The bundle parses with zod, the control plane's zod, and the contract's own schemas
  // (src/contract): it reads every recorded frame of wire protocol v1 as they were read when
  // recorded (test/unit/catalog-wire.test.ts), the hub's frames it receives and the step results
  // it sends, refusals with the same words at the same place.
  it("parses every recorded wire frame with zod as the control plane does, refusals word for word", async () => {
    const code = readFileSync(bundle.entry ?? "", "utf8");
    expect(code.includes("ZodError")).toBe(true);
    const fixture = fileURLToPath(new URL("fixtures/wire/frames-v1.json", import.meta.url));
    type Recorded = { raw: string; parsed?: unknown; reason?: string };
    const recorded = JSON.parse(readFileSync(fixture, "utf8")) as { hub: Recorded[]; agent: Recorded[] };
    const entry = join(work, "wire-check.mjs");
    writeFileSync(
      entry,
      await bundleAgent(
        [
          'import "./src/agent/zod-jitless.ts";',
          'import { readFileSync } from "node:fs";',
          'import { HubFrame, parseFrame } from "./src/contract/agent-wire.ts";',
          'import { StepResult } from "./src/contract/catalog.ts";',
          'const recorded = JSON.parse(readFileSync(process.argv[2], "utf8"));',
          "const hub = recorded.hub.map((r) => parseFrame(HubFrame, r.raw));",
          // The agent's results inside its recorded frames, wrapped as a frame of their own.
          "const results = recorded.agent.map((r) => JSON.parse(r.raw).result).map((result) =>",
          "  result === undefined ? null : parseFrame(StepResult, JSON.stringify(result)));",
          "process.stdout.write(JSON.stringify({ hub, results }));",
        ].join("\n"),
      ),
    );
    const { stdout } = await promisify(execFile)(process.execPath, [...AGENT_NODE_FLAGS, entry, fixture], {
      env,
      timeout: 60_000,
    });
    const read = JSON.parse(stdout) as { hub: ParseOutcome[]; results: (ParseOutcome | null)[] };
    read.hub.forEach((p, i) => {
      const r = recorded.hub[i];
      if (r?.reason !== undefined) expect(p).toEqual({ ok: false, reason: r.reason });
      else expect(p).toEqual({ ok: true, frame: r?.parsed });
    });
    const withResult = recorded.agent.flatMap((r, i) =>
      (JSON.parse(r.raw) as { result?: unknown }).result === undefined ? [] : [[r, read.results[i]] as const],
    );
    expect(withResult.length).toBeGreaterThan(20);
    for (const [r, p] of withResult) {
      // A refusal of the frame outside its result (a bad jobId) is not the result's.
      if (r.reason !== undefined && !/^malformed frame at result\b/.test(r.reason)) continue;
      expect(p?.ok, r.raw).toBe(r.reason === undefined);
      if (p && !p.ok && r.reason) expect(p.reason).toBe(r.reason.replace(" at result.", " at "));
    }
    expect(withResult.filter(([r]) => r.reason !== undefined).length).toBeGreaterThan(2);
  }, 90_000);

  describe("enrolled and connected to a control plane", () => {
    let cp: ControlPlaneProcess;
    let agent: AgentProcess | null = null;

    beforeAll(async () => {
      cp = await spawnControlPlane({});
    }, 90_000);

    afterAll(async () => {
      await agent?.kill();
      await cp.stop();
    });

    it("enrolls, signs its hello, takes a triage job and reports the gateway down", async () => {
      const dir = await enrollAgent({
        server: cp.url,
        host: "bundle-host",
        code: await cp.enrollmentCode("bundle-host"),
        env,
        dir: join(work, "agent-state"),
        launch: bundle,
      });
      agent = runAgent({ dir, env, launch: bundle });
      const command = async (text: string) =>
        (await (
          await fetch(`${cp.url}/api/console/command`, {
            method: "POST",
            headers: { "content-type": "application/json", ...cp.consoleHeaders() },
            body: JSON.stringify({ text }),
          })
        ).json()) as { ack: { text: string }; jobId: string | null };
      await expect
        .poll(async () => (await command("hosts")).ack.text, { timeout: 20_000, interval: 200 })
        .toContain("1 online");
      const triage = await command("triage bundle-host");
      expect(triage.jobId, triage.ack.text).toBeTruthy();
      type Job = { status: string; failingLayers: string[]; findings: string[] };
      let job: Job = { status: "running", failingLayers: [], findings: [] };
      await expect
        .poll(
          async () => {
            job = (
              (await (
                await fetch(`${cp.url}/api/console/jobs/${triage.jobId}`, { headers: cp.consoleHeaders() })
              ).json()) as { job: Job }
            ).job;
            return job.status;
          },
          { timeout: 60_000, interval: 250 },
        )
        .toBe("done");
      expect(job.failingLayers.length).toBeGreaterThan(0);
      expect(job.findings[0]).toBe("openclaw-not-found");
      expect(agent.log()).not.toMatch(/Dynamic require|is not supported|WebAssembly is not defined/);
    }, 120_000);
  });

  // A host dials its control plane over https:// and wss://: the bundle's `node:https` and `ws` through TLS.
  describe("enrolled and connected over https:// and wss:// (a TLS proxy in front of the control plane)", () => {
    let cp: ControlPlaneProcess;
    let proxy: TlsProxy;
    let agent: AgentProcess | null = null;
    let tlsEnv: NodeJS.ProcessEnv;
    let server: string;

    beforeAll(async () => {
      cp = await spawnControlPlane({});
      const target = new URL(cp.url);
      proxy = await startTlsProxy({ host: target.hostname, port: Number(target.port) });
      server = proxy.url;
      // The agent trusts the proxy's certificate as a host trusts its control plane's.
      tlsEnv = { ...env, NODE_EXTRA_CA_CERTS: proxy.caFile };
    }, 90_000);

    afterAll(async () => {
      await agent?.kill();
      await proxy.stop();
      await cp.stop();
    });

    it("enrolls over https:// and comes online over wss://", async () => {
      const dir = await enrollAgent({
        server,
        host: "tls-host",
        code: await cp.enrollmentCode("tls-host"),
        env: tlsEnv,
        dir: join(work, "agent-state-tls"),
        launch: bundle,
      });
      agent = runAgent({ dir, env: tlsEnv, launch: bundle });
      await expect
        .poll(
          async () =>
            (
              (await (
                await fetch(`${cp.url}/api/console/command`, {
                  method: "POST",
                  headers: { "content-type": "application/json", ...cp.consoleHeaders() },
                  body: JSON.stringify({ text: "hosts" }),
                })
              ).json()) as { ack: { text: string } }
            ).ack.text,
          { timeout: 20_000, interval: 200 },
        )
        .toContain("1 online");
      expect(agent.log()).not.toMatch(/Dynamic require|is not supported|certificate/);
    }, 60_000);
  });
});
