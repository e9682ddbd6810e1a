import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_MAIN, type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { runCliProcess } from "../support/cli-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { type SharedGateway, sharedGateway } from "../support/gateway/control.ts";
import { markSecondGatewayGone } from "../support/gateway/pair.ts";
import { exitOf, killGroup, type Netns, openNetnsWithUplink, type Uplink } from "../support/netns.ts";
import { bridgeIntoNetns } from "../support/netns-bridge.ts";
import { createNetnsHostLab, type NetnsGatewayRun, spawnNetnsGateway, waitReady } from "../support/netns-gateway.ts";
import { freePort } from "../support/ports.ts";
import { waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn, type StoredMessage } from "../support/slack-standin.ts";

/**
 * Issue 29, item 4, "Done when": an agent killed with its host's network cut opens "agent lost",
 * on real OpenClaw gateways, with the Node control plane as `npm start` runs it.
 *
 * Two hosts. `node-ok` is a real clawops-agent on the shared lab gateway, on this machine's
 * loopback. `node-lost` is a host of its own: a private network namespace (unshare, pid 1 a
 * holder) running a second real gateway (a copy of the shared lab's config) and a real agent
 * watching it, whose only way out is a veth link (`eth0`) to a second namespace, the network;
 * there a listener carries the agent's connection over a Unix socket to the control plane
 * (test/support/netns.ts `openNetnsWithUplink`, test/support/netns-bridge.ts). The agent must
 * watch a gateway inside its own namespace: the watch reads who holds the gateway port from the
 * host's own socket table, so an agent in a netns watching a gateway outside it would report
 * `port-held-by-other` and open a watch incident, not an "agent lost" one.
 *
 * The cut: `ip link set eth0 down` on the host, then SIGKILL to the agent's process group. The
 * FIN its death sends never leaves the host, so the network side keeps its end open and the
 * control plane hears no close: the agent's connection is half-open there, and only the hub's
 * own heartbeat (a ping every 15 s, dropped after one missed) ends it. The watch then holds the
 * host stale, and after CLAWOPS_WATCH_LOST_S (20 s here, 90 s by default) while `node-ok`
 * reports, raises "agent lost" for it (source `silence`). A control-plane restart afterwards,
 * with `node-ok` redialling by itself, opens nothing.
 */
const SECRET = "agent-lost-signing-secret-0123456789ab";
const BOT_TOKEN = "xoxb-agent-lost-bot-token";
const INCIDENTS = "C0LOST";
const LOST = "node-lost";
const HEALTHY = "node-ok";
const LOST_S = 20;
/** The control plane's watch sweep (src/node/server.ts): how late a sweep may notice. */
const SWEEP_MS = 5_000;

const CP_ENV = {
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_BOT_TOKEN: BOT_TOKEN,
  CLAWOPS_INCIDENT_CHANNEL: INCIDENTS,
  CLAWOPS_WATCH_INTERVAL_S: "2",
  CLAWOPS_WATCH_DIGEST_S: "60",
  CLAWOPS_WATCH_LOST_S: String(LOST_S),
};

let gw: SharedGateway;
let scratch: string;
let slack: SlackStandIn;
let cp: ControlPlaneProcess | undefined;
let ns: (Netns & { uplink: Uplink }) | undefined;
let bridge: { close(): Promise<void> } | undefined;
let netnsGateway: NetnsGatewayRun | undefined;
let healthyAgent: AgentProcess | undefined;
let healthyDir: string | undefined;
/** The lost host's agent: `nsenter` and, in its own process group, the agent it runs. */
let lostAgent: ChildProcess | undefined;
let lostLog = "";
const dataDirs: string[] = [];

interface Incident {
  id: string;
  source: string;
  state: string;
  hosts: string[];
  title: string;
  threadTs: string | null;
}

async function clawops(args: string[]): Promise<string> {
  const c = cp as ControlPlaneProcess;
  const run = await runCliProcess(args, { server: c.url, dataDir: c.dataDir });
  if (run.code !== 0) throw new Error(`clawops ${args.join(" ")}: exit ${run.code}\n${run.stderr}`);
  return run.stdout;
}

const incidents = async () =>
  (JSON.parse(await clawops(["incidents", "all", "--json"])) as { incidents: Incident[] }).incidents;

const headers = (host: string): StoredMessage[] =>
  slack.topLevel(INCIDENTS).filter((m) => m.text === `Incident: OpenClaw gateway on ${host}`);
const header = (host: string): StoredMessage | undefined => headers(host)[0];
const thread = (host: string): StoredMessage[] => {
  const parent = header(host);
  return parent ? slack.thread(INCIDENTS, parent.ts) : [];
};
const lostNotice = (host: string) => (m: StoredMessage) => m.text.startsWith(`Watch: agent of ${host} lost (`);
const everyMessage = () => [...slack.messages.values()];

/** The control plane's JSON log lines (pino) with this message. */
function logLines(c: ControlPlaneProcess, msg: string): Record<string, unknown>[] {
  return c
    .stderr()
    .split("\n")
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        return entry.msg === msg ? [entry] : [];
      } catch {
        return [];
      }
    });
}

/** For a failure message: every thread in the incident channel and what each side logged. */
const seen = () => {
  const threads = slack
    .topLevel(INCIDENTS)
    .map((m) => ({ [m.text]: slack.thread(INCIDENTS, m.ts).map((r) => r.text) }));
  return `${JSON.stringify(threads, null, 1)}\n--- control plane\n${cp?.stderr().slice(-6000)}\n--- ${LOST} agent\n${lostLog.slice(-3000)}`;
};

/** "Agent lost" incidents, as `clawops incidents all --json` lists them. */
const lostIncidents = async () => (await incidents()).filter((i) => i.source === "silence");

/** Waits until the watch holds every host healthy (ok, or warn: the labs have no model credentials). */
async function waitHeldHealthy(timeoutMs: number): Promise<void> {
  const c = cp as ControlPlaneProcess;
  const end = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < end) {
    const res = await fetch(`${c.url}/api/console/fleet?selector=all`, { headers: c.consoleHeaders() });
    const body = (await res.json()) as { source?: string; rows: { host: string; state: string }[] };
    last = JSON.stringify(body);
    const held = (host: string) => ["ok", "warn"].includes(body.rows.find((r) => r.host === host)?.state ?? "");
    if (body.source === "watch" && held(LOST) && held(HEALTHY)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the watch did not hold both hosts healthy within ${timeoutMs} ms; last ${last}\n${seen()}`);
}

async function isOnline(host: string): Promise<boolean> {
  const res = await fetch(`${(cp as ControlPlaneProcess).url}/api/console/hosts`, {
    headers: (cp as ControlPlaneProcess).consoleHeaders(),
  });
  const { hosts } = (await res.json()) as { hosts: { name: string; state: string }[] };
  return hosts.find((h) => h.name === host)?.state === "online";
}

beforeAll(async () => {
  gw = sharedGateway();
  scratch = await mkdtemp(join(tmpdir(), "clawops-agent-lost-"));
  await gw.restoreHealthy();
  ns = await openNetnsWithUplink();
  const lab = await createNetnsHostLab(gw, join(scratch, "host"));
  netnsGateway = spawnNetnsGateway(ns, gw, lab);
  // The host's gateway starts (15–40 s) while the rest comes up.
  const ready = waitReady(netnsGateway, 90_000);
  ready.catch(() => {});

  slack = new SlackStandIn(BOT_TOKEN);
  // A port below the ephemeral range: the restart below binds it again.
  cp = await spawnControlPlane(
    { ...CP_ENV, SLACK_API_URL: await slack.start(), CLAWOPS_PORT: String(await freePort()) },
    { keepData: true },
  );
  dataDirs.push(cp.dataDir);

  const healthyEnv = { ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin };
  healthyDir = await enrollAgent({
    server: cp.url,
    host: HEALTHY,
    code: await cp.enrollmentCode(HEALTHY),
    env: healthyEnv,
  });
  const agent = runAgent({ dir: healthyDir, env: healthyEnv });
  healthyAgent = agent;
  await waitHostOnline(cp.url, SECRET, HEALTHY, { describe: () => agent.log() });

  // The control plane as the host reaches it: across its link, at the network's address.
  bridge = await bridgeIntoNetns(ns.uplink, cp.url, { dir: scratch, listen: ns.uplink.networkAddress });
  const server = `http://${ns.uplink.networkAddress}:${new URL(cp.url).port}`;
  await ready;
  const lostEnv = { ...lab.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin };
  const lostDir = join(scratch, "agent");
  const enrolled = await ns.run(
    process.execPath,
    [
      AGENT_MAIN,
      "enroll",
      "--server",
      server,
      "--host",
      LOST,
      "--code",
      await cp.enrollmentCode(LOST),
      "--dir",
      lostDir,
    ],
    { env: lostEnv, cwd: lab.dir, timeoutMs: 30_000 },
  );
  if (enrolled.code !== 0)
    throw new Error(`enroll ${LOST} inside the netns: exit ${enrolled.code}\n${enrolled.stderr}`);
  lostAgent = ns.spawn(process.execPath, [AGENT_MAIN, "run", "--dir", lostDir], { env: lostEnv, cwd: lab.dir });
  lostAgent.stderr?.on("data", (d: Buffer) => {
    lostLog = (lostLog + d.toString()).slice(-20_000);
  });
  await waitHostOnline(cp.url, SECRET, LOST, { describe: () => lostLog });
}, 180_000);

afterAll(async () => {
  // Each step on its own: one that fails leaves the others to run.
  const steps: (() => Promise<unknown> | undefined)[] = [
    () => healthyAgent?.kill(),
    () => cp?.stop(),
    () => slack?.stop(),
    () => bridge?.close(),
    // The lost agent, the host's gateway, the network's listener and both namespaces (with the link).
    () => ns?.close(),
    ...dataDirs.map((d) => () => rm(d, { recursive: true, force: true })),
    () => (healthyDir ? rm(healthyDir, { recursive: true, force: true }) : undefined),
    () => (scratch ? rm(scratch, { recursive: true, force: true }) : undefined),
    () => gw?.restoreHealthy(),
  ];
  for (const step of steps) await Promise.resolve(step()).catch(() => {});
}, 120_000);

/*
 * What is asserted is what the brief of item 4 names: "agent lost" incidents (source `silence`)
 * and their notices. A watch failure of either host is another signal: on this shared 2-core
 * box a probe of a loaded gateway can time out and open one (seen once for node-ok while another
 * gateway run overlapped). It is tolerated for node-ok; for node-lost it would take the "agent
 * lost" signal into its open incident, so the first test requires node-lost to have none.
 */
describe("an agent killed with its host's network cut (issue 29, item 4)", () => {
  it("both agents report: the watch holds both hosts healthy; no agent lost, nothing open for the host to be cut off", async () => {
    await waitHeldHealthy(60_000);
    expect(await lostIncidents()).toEqual([]);
    expect(everyMessage().filter((m) => m.text.startsWith("Watch: agent of "))).toEqual([]);
    expect(headers(LOST), seen()).toEqual([]);
    expect((await incidents()).filter((i) => i.hosts.includes(LOST))).toEqual([]);
  }, 90_000);

  it("the host's link cut, then its agent SIGKILLed: no close reaches the control plane, and after the allowance one 'agent lost' incident opens for that host alone", async () => {
    const host = ns as Netns & { uplink: Uplink };
    const agent = lostAgent as ChildProcess;
    await host.uplink.cut();
    killGroup(agent, "SIGKILL");
    await exitOf(agent, 5_000);
    expect(agent.signalCode).toBe("SIGKILL");
    // Killed, and the control plane heard nothing of it: the host is still online there (a
    // close would have ended its session at once), until the heartbeat finds the peer gone.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await isOnline(LOST)).toBe(true);
    // Nothing reads the host's gateway any more (its agent is dead, its link cut): stopped while
    // the allowance runs out, so the other gateway lane may start its own (pair.ts).
    const gatewayGone = stopLostGateway();

    await slack
      .waitFor(
        () => thread(LOST).some(lostNotice(LOST)) && JSON.stringify(header(LOST)?.blocks ?? []).includes("(silence)"),
        // Dropped within two heartbeats (30 s), then lost after LOST_S, noticed by a sweep.
        30_000 + LOST_S * 1000 + 2 * SWEEP_MS + 15_000,
        `the "agent lost" incident for ${LOST}`,
      )
      .catch((err: Error) => {
        throw new Error(`${err.message}\n${seen()}`);
      });

    // The hub dropped it on its heartbeat, not on a close: the connection was half-open.
    const dropped = logLines(cp as ControlPlaneProcess, "agent missed heartbeats; dropping");
    expect(dropped.map((l) => l.host)).toEqual([LOST]);

    // In Slack: one incident for the lost host, its header naming the source and the signal.
    expect(headers(LOST)).toHaveLength(1);
    const head = JSON.stringify(header(LOST)?.blocks);
    expect(head).toContain("Opened by *clawops watch*");
    expect(head).toContain("(silence)");
    expect(head).toContain("*Signals:* 1 silence");
    expect(head).toContain("🔴 Failing");
    // Its thread says the agent is lost, once, with what clawops can and cannot tell.
    const notices = thread(LOST).filter(lostNotice(LOST));
    expect(notices).toHaveLength(1);
    const notice = notices[0] as StoredMessage;
    expect(notice.text).toMatch(
      new RegExp(`^Watch: agent of ${LOST} lost \\(agent disconnected \\(close 1006\\) \\d\\d:\\d\\d:\\d\\d UTC\\)$`),
    );
    const said = JSON.stringify(notice.blocks);
    expect(said).toContain(`the clawops agent on *${LOST}* is lost: agent disconnected (close 1006)`);
    expect(said).toContain("while other agents report");
    expect(said).toContain(
      "The host may be down, the agent may have died, or the network between them may be cut; clawops cannot tell which from here.",
    );
    // Its last report, before the cut, was healthy.
    expect(said).toContain("Its last report said the gateway was healthy.");
    expect(said).toContain("no triage can run without the agent");
    // The healthy host is not lost.
    expect(everyMessage().filter(lostNotice(HEALTHY)), seen()).toEqual([]);
    expect(slack.violations).toEqual([]);
    expect(JSON.stringify(slack.calls)).not.toContain(gw.token);

    // The record, as `clawops incidents` and `clawops incident <id>` show it: one agent lost.
    const all = await lostIncidents();
    expect(all, seen()).toHaveLength(1);
    const [lost] = all as [Incident];
    expect(lost).toMatchObject({
      source: "silence",
      state: "open",
      hosts: [LOST],
      title: `OpenClaw gateway on ${LOST}`,
    });
    expect(lost.threadTs).toBe(header(LOST)?.ts);
    const doc = JSON.parse(await clawops(["incident", lost.id, "--json"])) as {
      timeline: { kind: string; actor: string; text: string }[];
    };
    const silences = doc.timeline.filter((e) => e.kind === "silence");
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({
      kind: "silence",
      actor: "clawops watch",
      text: expect.stringMatching(
        new RegExp(`^agent of ${LOST} lost: agent disconnected \\(close 1006\\) since \\d{4}-\\d\\d-\\d\\dT`),
      ),
    });
    await gatewayGone;
  }, 150_000);

  describe("once the lost host's gateway is stopped", () => {
    // Stopped in the test before once its agent was killed; here too when that test failed first.
    beforeAll(() => stopLostGateway(), 30_000);

    it("a control-plane restart, the healthy agent redialling by itself, opens no agent lost", async () => {
      const [{ id: lostId }] = (await lostIncidents()) as [Incident];
      const before = cp as ControlPlaneProcess;
      const port = new URL(before.url).port;
      await before.stop();
      // The same data and port: the agents' configured server is where it was.
      cp = await spawnControlPlane(
        { ...CP_ENV, SLACK_API_URL: slack.url, CLAWOPS_PORT: port },
        { dataDir: before.dataDir, keepData: true },
      );
      const restartedAt = Date.now();
      await waitHostOnline(cp.url, SECRET, HEALTHY, { describe: () => healthyAgent?.log() ?? "" });
      // Past the restart allowance (judged from the new start, which was before this) and the
      // sweep after it.
      const judged = restartedAt + LOST_S * 1000 + SWEEP_MS + 2_000;
      await new Promise((r) => setTimeout(r, Math.max(0, judged - Date.now())));
      // The healthy agent reports to the new control plane (its state is the watch's again) …
      await expectHeldHealthy(HEALTHY);
      // … and no agent is lost: still the one lost host's incident, told once.
      expect(headers(LOST)).toHaveLength(1);
      expect(everyMessage().filter(lostNotice(HEALTHY)), seen()).toEqual([]);
      expect(everyMessage().filter(lostNotice(LOST))).toHaveLength(1);
      const all = await lostIncidents();
      expect(
        all.map((i) => [i.id, i.hosts]),
        seen(),
      ).toEqual([[lostId, [LOST]]]);
      expect(logLines(cp, "watch: agent lost, and no incident channel for this host")).toEqual([]);
      expect(slack.violations).toEqual([]);
    }, 120_000);
  });
});

let lostGatewayStopped: Promise<void> | undefined;
/**
 * Stops the lost host's gateway (once, whoever asks first) and says so to the run (pair.ts): with
 * it gone the machine runs one gateway fewer, and the other gateway lane may start its own.
 */
function stopLostGateway(): Promise<void> {
  const testPath = expect.getState().testPath;
  lostGatewayStopped ??= (async () => {
    if (netnsGateway) {
      killGroup(netnsGateway.child, "SIGTERM");
      await exitOf(netnsGateway.child, 15_000);
    }
    markSecondGatewayGone(testPath);
  })();
  return lostGatewayStopped;
}

/** The watch holds `host` healthy now. */
async function expectHeldHealthy(host: string): Promise<void> {
  const c = cp as ControlPlaneProcess;
  const res = await fetch(`${c.url}/api/console/fleet?selector=all`, { headers: c.consoleHeaders() });
  const body = (await res.json()) as { source?: string; rows: { host: string; state: string }[] };
  expect(body.source).toBe("watch");
  expect(["ok", "warn"]).toContain(body.rows.find((r) => r.host === host)?.state);
}
