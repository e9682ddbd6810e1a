/**
 * `npm run demo`: clawops on this machine with a real OpenClaw gateway to look at (issue 33,
 * item 3). A fresh machine has no gateway, so `npm start`'s first triage is all red; this installs
 * the pinned OpenClaw gateway and the Node 24 it needs into the cache exactly as the test setup
 * does (test/support/gateway/install.ts, ~/.cache/clawops, about 840 MB, once), runs it isolated
 * (its own HOME, state, config and logs in a temporary lab, loopback only, a random port and
 * token), and starts the control plane as `npm start` does, its local agent enrolled as host
 * `demo` (CLAWOPS_LOCAL_HOST) and pointed at that gateway.
 *
 *   npm run demo                                  start; Ctrl-C (or `-- stop`) stops it all and removes the lab
 *   npm run demo -- --break token-drift|down|hung put the gateway into a known fault, from another terminal
 *   npm run demo -- --fix                         back to healthy
 *   npm run demo -- stop
 *
 * token-drift restarts the gateway with another token than its config's (the CLI and clients
 * then hold a token the running gateway refuses), down stops it, hung stops its processes with
 * SIGSTOP (the port still accepts connections; nothing answers). The running demo is found
 * through `<data folder>/demo.json` (its control address and token, mode 0600).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startControlServer } from "../test/support/gateway/control-server.ts";
import { RealGateway } from "../test/support/gateway/gateway.ts";
import { ensureOpenclaw } from "../test/support/gateway/install.ts";
import { type DemoFile, runDemo } from "./demo-session.ts";

const MAIN = fileURLToPath(new URL("../src/node/main.ts", import.meta.url));
const FAULTS = ["token-drift", "down", "hung"] as const;
type Fault = (typeof FAULTS)[number];

const say = (line: string) => process.stderr.write(`[demo] ${line}\n`);

function usage(): string {
  return [
    "npm run demo                                   a real OpenClaw gateway, watched by clawops' local agent as host `demo`",
    "npm run demo -- --break token-drift|down|hung  put the running demo's gateway into a known fault",
    "npm run demo -- --fix                          back to healthy",
    "npm run demo -- stop                           stop it all and remove the lab (Ctrl-C does the same)",
    "",
  ].join("\n");
}

const { values, positionals } = parseArgs({
  options: { break: { type: "string" }, fix: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  allowPositionals: true,
});
const dataDir = resolve(process.env.CLAWOPS_DATA_DIR ?? "data");
const demoFile = join(dataDir, "demo.json");

function running(): DemoFile | null {
  try {
    const demo = JSON.parse(readFileSync(demoFile, "utf8")) as DemoFile;
    process.kill(demo.pid, 0);
    return demo;
  } catch {
    return null;
  }
}

async function control(demo: DemoFile, path: string, body: unknown = {}): Promise<void> {
  const res = await fetch(`${demo.control.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${demo.control.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`the demo's gateway did not take ${path}: HTTP ${res.status} ${await res.text()}`);
}

/**
 * Each fault from whatever state the gateway is in, with no start it does not need: a stop and a
 * restart with other arguments each end any earlier fault themselves (a hung gateway is continued
 * first), so only the hang starts from a healthy gateway.
 */
async function breakGateway(demo: DemoFile, fault: Fault): Promise<void> {
  if (fault === "token-drift")
    await control(demo, "/restart", { extraArgs: ["--token", `drift-${randomBytes(12).toString("hex")}`] });
  if (fault === "down") await control(demo, "/stop");
  if (fault === "hung") {
    await control(demo, "/restore");
    await control(demo, "/pause");
  }
}

async function command(): Promise<number> {
  if (values.help) {
    process.stdout.write(usage());
    return 0;
  }
  const stop = positionals[0] === "stop";
  if (positionals.length > (stop ? 1 : 0)) {
    process.stderr.write(`demo: unknown argument "${positionals.join(" ")}"\n${usage()}`);
    return 3;
  }
  if (!stop && !values.fix && values.break === undefined) return start();
  const demo = running();
  if (!demo) {
    process.stderr.write(
      `demo: no demo is running for the data folder ${dataDir} (start one with \`npm run demo\`).\n`,
    );
    return 2;
  }
  if (stop) {
    process.kill(demo.pid, "SIGTERM");
    for (let i = 0; i < 600 && running(); i++) await new Promise((r) => setTimeout(r, 100));
    say(running() ? `pid ${demo.pid} is still stopping` : "stopped; the lab is removed");
    return 0;
  }
  if (values.fix) {
    await control(demo, "/restore");
    say(`the gateway is healthy again. See: bin/clawops triage ${demo.host}`);
    return 0;
  }
  const fault = values.break as Fault;
  if (!FAULTS.includes(fault)) {
    process.stderr.write(`demo: --break takes ${FAULTS.join(", ")} (got "${values.break}")\n`);
    return 3;
  }
  await breakGateway(demo, fault);
  say(`broke the gateway: ${fault}. See what clawops says: bin/clawops triage ${demo.host}`);
  return 0;
}

async function start(): Promise<number> {
  const other = running();
  if (other) {
    process.stderr.write(
      `demo: a demo is already running for ${dataDir} (pid ${other.pid}, gateway ${other.gateway}); stop it with \`npm run demo -- stop\`.\n`,
    );
    return 2;
  }
  say("installing (once) and starting a real OpenClaw gateway on loopback; the first run downloads about 840 MB");
  return runDemo({
    dataDir,
    demoFile,
    host: process.env.CLAWOPS_LOCAL_HOST ?? "demo",
    install: () => ensureOpenclaw(),
    createGateway: (install) => RealGateway.create(install),
    startControl: startControlServer,
    // Its own process group: Ctrl-C reaches this process, which stops it with one SIGTERM (a drain).
    spawnControlPlane: (env) =>
      spawn(process.execPath, [MAIN], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "inherit"],
        detached: true,
      }),
    say,
    signals: process,
  });
}

command().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
