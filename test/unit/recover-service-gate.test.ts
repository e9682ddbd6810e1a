import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { healthyData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { postSlashCommand } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";

/**
 * Step 5 of `/openclaw recover` stops before the restart when the gateway's service definition
 * would start something else (issue 30, class 12). The control plane, its Slack endpoint and the
 * runbook are real; the host answers through the runbook tests' scripted transport, and its
 * `service.definition` answer is the real agent probe's, read from a systemd user unit as
 * `openclaw gateway install` writes one (dist systemd-unit) in a scratch folder.
 */
const SECRET = "test-signing-secret-service-gate-0123";
const BOT_TOKEN = "xoxb-0000-test-bot-token-servicegate";
const OWNER = "U0OWNER";
const CHANNEL = "C0GATE";
const UNIT = "openclaw-gateway.service";

let cp: ControlPlane;
let slack: SlackStandIn;
let plane: SlackPlane;
let lab: string;
const fake = new FakeHostTransport();

/** The agent's own reading of a unit whose ExecStart names `node`, then the OpenClaw entry point. */
async function definitionOf(node: string, openclawVersion: string): Promise<StepResult> {
  const dir = await mkdtemp(join(lab, "unit-"));
  const user = join(dir, "home/.config/systemd/user");
  const pkg = join(dir, "lib/node_modules/openclaw");
  await mkdir(join(pkg, "dist"), { recursive: true });
  await mkdir(user, { recursive: true });
  await writeFile(join(pkg, "package.json"), JSON.stringify({ name: "openclaw", version: openclawVersion }));
  await writeFile(join(pkg, "dist", "index.js"), "");
  const nodePath = node === "present" ? process.execPath : join(dir, "nvm/v24.16.0/bin/node");
  await writeFile(
    join(user, UNIT),
    `[Unit]\nDescription=OpenClaw Gateway\n\n[Service]\nExecStart=${nodePath} ${join(pkg, "dist/index.js")} gateway --port 19001\nRestart=always\n\n[Install]\nWantedBy=default.target\n`,
  );
  await writeFile(
    join(dir, "policy.json"),
    JSON.stringify({ supervisor: { kind: "systemd", unit: UNIT, user: true } }),
  );
  const ctx = resolveProbeContext(
    { HOME: join(dir, "home"), PATH: "/usr/bin:/bin" },
    { agentVersion: "0.0.0-test", procRoot: join(dir, "no-proc"), serviceUnitDirs: [user], agentDir: dir },
  );
  const [r] = await runSteps(ctx, [{ step: "service.definition", args: {} }], { deadlineMs: 5_000 });
  expect(r?.status).toBe("ok");
  return r as StepResult;
}

const all = () => [...slack.messages.values()];
const blocksOf = (m: StoredMessage) => JSON.stringify(m.blocks);

async function waitForText(after: number, pattern: RegExp, what: string): Promise<StoredMessage> {
  let found: StoredMessage | undefined;
  await slack.waitFor(
    () => {
      found = all()
        .slice(after)
        .find((m) => pattern.test(m.text) || pattern.test(blocksOf(m)));
      return !!found;
    },
    15_000,
    what,
  );
  return found as StoredMessage;
}

beforeAll(async () => {
  lab = await mkdtemp(join(tmpdir(), "clawops-service-gate-"));
  plane = await startSlackPlane({
    name: "service-gate",
    secret: SECRET,
    botToken: BOT_TOKEN,
    channel: CHANNEL,
    authz: { actions: { recover: { users: [OWNER] }, restart: { users: [OWNER] }, freeze: { users: [OWNER] } } },
    hosts: ["node-7", "node-8"],
    transport: fake,
  });
  ({ cp, slack } = plane);
  // node-7's unit runs a Node that is gone; node-8's is whole and runs the installed 2026.9.6.
  fake.addHost("node-7", {
    results: [
      ...toResults(healthyData()).filter((r) => r.step !== "service.definition"),
      await definitionOf("missing", "2026.9.6"),
    ],
  });
  fake.addHost("node-8", {
    results: [
      ...toResults(healthyData()).filter((r) => r.step !== "service.definition"),
      await definitionOf("present", "2026.9.6"),
    ],
  });
});

afterAll(async () => {
  await plane?.close();
  if (lab) await rm(lab, { recursive: true, force: true });
});

describe("recover step 5: the service definition gate", () => {
  it("a unit whose start command points at a path that is gone: the run stops before the restart, nobody is asked", async () => {
    const before = all().length;
    await postSlashCommand(cp.url, SECRET, { text: "recover node-7", user_id: OWNER, channel_id: CHANNEL });
    const end = await waitForText(before, /^Recovery stopped: node-7/, "the run's end");
    expect(blocksOf(end)).toMatch(
      /5\. Ordered restart\* — not restarted: the service definition would start something else \([^"]*nvm\/v24\.16\.0\/bin\/node: no such file/,
    );
    // The thread says why and what to do.
    const why = await waitForText(before, /the restart would start something else/, "the reason in the thread");
    expect(blocksOf(why)).toContain("openclaw gateway install --force");
    expect(
      all()
        .slice(before)
        .some((m) => m.text === "Confirm gateway.restart on node-7"),
    ).toBe(false);
    expect(
      fake.dispatched.some((d) => d.host === "node-7" && d.job.steps.some((s) => s.step === "gateway.restart")),
    ).toBe(false);
    // The snapshot asked the agent for the definition.
    expect(
      fake.dispatched.some((d) => d.host === "node-7" && d.job.steps.some((s) => s.step === "service.definition")),
    ).toBe(true);
  });

  it("a whole unit running the installed version: the gate lets the run ask for the restart", async () => {
    const before = all().length;
    await postSlashCommand(cp.url, SECRET, { text: "recover node-8", user_id: OWNER, channel_id: CHANNEL });
    await waitForText(before, /^Confirm gateway\.restart on node-8$/, "the restart confirmation");
  });
});
