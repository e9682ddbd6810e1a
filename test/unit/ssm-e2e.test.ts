import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { firstFindingId, postSlashCommand } from "../support/slack-signing.ts";
import { SlackStandIn } from "../support/slack-standin.ts";
import { REPO_ROOT, SsmStandIn } from "../support/ssm-standin.ts";

/**
 * End to end through AWS SSM: the control plane process (as `npm start` runs it) reads its Slack
 * secrets from Parameter Store, a really signed slash command asks for a triage of a host the
 * inventory maps to an instance id, the SSM stand-in runs the real document and agent one-shot,
 * and the triage lands in the incident thread at the Slack stand-in.
 */
const KEY = { accessKeyId: "AKIACLAWOPSE2E000001", secretAccessKey: "e2e-secret-access-key/0123456789abcdefXYZ" };
const REGION = "eu-west-1";
const SIGNING_SECRET = "ssm-e2e-signing-secret-5f0c2a9e7b";
const BOT_TOKEN = "xoxb-ssm-e2e-bot-token-93be1";
const LINK_SECRET = "ssm-e2e-link-secret-0b7d5e1c9a3f4862";
const CHANNEL = "C0SSMINCIDENTS";
const HOST = "gw-eu-1";
const INSTANCE = "i-0123456789abcdef0";

let ssm: SsmStandIn;
let slack: SlackStandIn;
let cp: ControlPlaneProcess;
let cpLog = "";

beforeAll(async () => {
  ssm = new SsmStandIn({ ...KEY, region: REGION });
  ssm.instances.set(INSTANCE, {
    kind: "run",
    env: {
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: process.env.HOME ?? "/root",
      CLAWOPS_HOME: REPO_ROOT,
      OPENCLAW_GATEWAY_PORT: "1",
      OPENCLAW_CONFIG_PATH: "/nonexistent/clawops-ssm-e2e/openclaw.json",
      OPENCLAW_STATE_DIR: "/nonexistent/clawops-ssm-e2e/state",
      CLAWOPS_OPENCLAW_BIN: "/nonexistent/clawops-ssm-e2e/openclaw",
    },
  });
  ssm.setSecureString("/clawops/e2e/SLACK_SIGNING_SECRET", SIGNING_SECRET);
  ssm.setSecureString("/clawops/e2e/SLACK_BOT_TOKEN", BOT_TOKEN);
  ssm.setSecureString("/clawops/e2e/CLAWOPS_LINK_SECRET", LINK_SECRET);
  await ssm.start();
  slack = new SlackStandIn(BOT_TOKEN);
  const apiUrl = await slack.start();
  const env: Record<string, string> = {
    SLACK_API_URL: apiUrl,
    SLACK_SIGNING_SECRET: "",
    SLACK_BOT_TOKEN: "",
    CLAWOPS_LINK_SECRET: "",
    AWS_ACCESS_KEY_ID: KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
    AWS_SESSION_TOKEN: "",
    AWS_PROFILE: "",
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_SSM: ssm.url,
    CLAWOPS_SSM_PARAMETER_PATH: "/clawops/e2e/",
    CLAWOPS_SSM_INVENTORY_JSON: JSON.stringify({
      region: REGION,
      runAs: userInfo().username,
      hosts: [{ host: HOST, instanceId: INSTANCE }],
    }),
  };
  cp = await spawnControlPlane(env);
  cp.child.stderr?.on("data", (d) => {
    cpLog += d;
  });
});

afterAll(async () => {
  await cp?.stop();
  await slack?.stop();
  await ssm?.stop();
});

describe("triage through AWS SSM", () => {
  it("a signed slash command triages an SSM host and posts the result to Slack", async () => {
    const { status, body } = await postSlashCommand(cp.url, SIGNING_SECRET, {
      text: `triage ${HOST}`,
      channel_id: CHANNEL,
    });
    expect(status).toBe(200);
    expect(body.text).toContain(`Triage of ${HOST} started`);
    await slack.waitFor(
      () => {
        const parent = slack.topLevel(CHANNEL)[0];
        const result = parent ? slack.thread(CHANNEL, parent.ts)[1] : undefined;
        return !!result && !JSON.stringify(result.blocks).includes("Still running");
      },
      60_000,
      "the final triage result in the incident thread",
    );
    const parent = slack.topLevel(CHANNEL)[0];
    expect(parent?.text).toContain(HOST);
    const result = slack.thread(CHANNEL, parent?.ts ?? "")[1];
    // Nothing listens on the gateway port: the classifier says so, as it would over the agent socket.
    expect(firstFindingId(result?.blocks)).toBeTruthy();
    expect(JSON.stringify(result?.blocks)).toMatch(/not running|nothing listens|refused/i);
    expect(slack.violations).toEqual([]);

    // It went through SSM: the clawops document, to the mapped instance, signed with the right key.
    const sends = ssm.calls.filter((c) => c.target === "AmazonSSM.SendCommand");
    expect(sends.length).toBe(2);
    for (const s of sends) expect(s.body).toMatchObject({ DocumentName: "ClawopsProbe", InstanceIds: [INSTANCE] });
    expect(ssm.refused).toEqual([]);
    const secretsCall = ssm.calls.find((c) => c.target === "AmazonSSM.GetParameters");
    expect(secretsCall?.body).toMatchObject({ WithDecryption: true });

    // `/openclaw hosts` lists the SSM host, and its agent version is known from the versions probe.
    const hosts = await postSlashCommand(cp.url, SIGNING_SECRET, { text: "hosts" });
    expect(JSON.stringify(hosts.body)).toMatch(new RegExp(`\\*${HOST}\\* — 🟢 online · agent \\d`));

    // The bundle link key came from Parameter Store too: without it the control plane would have
    // made a random one in its data folder at start.
    expect(existsSync(join(cp.dataDir, "link-secret"))).toBe(false);
    expect(JSON.stringify(secretsCall?.body)).toContain("/clawops/e2e/CLAWOPS_LINK_SECRET");

    // Secrets never reach Slack or the log.
    const everything = JSON.stringify(slack.calls) + cpLog;
    for (const secret of [SIGNING_SECRET, BOT_TOKEN, LINK_SECRET, KEY.secretAccessKey])
      expect(everything).not.toContain(secret);
  });
});
