import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatDriver, threeChats } from "../support/chat-drivers.ts";
import {
  bundleFlow,
  FLOW_REPO,
  flowAuthz,
  flowHosts,
  flowResults,
  freezeFlow,
  recoverFlow,
} from "../support/chat-flows.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { type ScriptedHost, startScriptedHost } from "../support/scripted-agent.ts";
import { waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn } from "../support/slack-standin.ts";
import { GithubStandIn, JiraStandIn } from "../support/ticket-standins.ts";

/**
 * Issue 43's done criterion on Node, for Discord, Mattermost and Microsoft Teams alike: a freeze
 * with its announcement, a recover with its approval pressed in the chat's own button form, and a
 * bundle attached to a Jira ticket, each typed in the chat. The control plane runs as `npm start`
 * runs it (its own process, all three chats on beside Slack, each pointed at its stand-in), every
 * command really signed as its chat signs it (Discord's Ed25519, Mattermost's command token and
 * its own signed action contexts, the Bot Framework's RS256 JWT), and the hosts' agents are the
 * real agent connection code over real sockets with scripted step answers (the triage against the
 * real gateway is test/gateway/chats.test.ts).
 */
const SECRET = "chat-flows-node-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-chat-flows-node";
const GITHUB_TOKEN = "gh-chat-flows-token-7d1c";
const JIRA_TOKEN = "jira-chat-flows-node-token";

const chats = threeChats();
let slack: SlackStandIn;
let jira: JiraStandIn;
let github: GithubStandIn;
let cp: ControlPlaneProcess;
let dir: string;
const hosts: ScriptedHost[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "clawops-chat-flows-"));
  const authzFile = join(dir, "authz.json");
  writeFileSync(authzFile, JSON.stringify(flowAuthz(chats)));
  slack = new SlackStandIn(BOT_TOKEN);
  const slackUrl = await slack.start();
  jira = new JiraStandIn("oncall@example.com", JIRA_TOKEN);
  const jiraUrl = await jira.start();
  github = new GithubStandIn(GITHUB_TOKEN);
  const githubUrl = await github.start();
  await Promise.all(chats.map((c) => c.start()));
  cp = await spawnControlPlane({
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: slackUrl,
    CLAWOPS_AUTHZ_FILE: authzFile,
    JIRA_BASE_URL: jiraUrl,
    JIRA_EMAIL: "oncall@example.com",
    JIRA_API_TOKEN: JIRA_TOKEN,
    GITHUB_API_URL: githubUrl,
    GITHUB_TOKEN,
    GITHUB_REPO: FLOW_REPO,
    CLAWOPS_TICKET_RETRY_BASE_MS: "50",
    ...Object.assign({}, ...chats.map((c) => c.env())),
  });
  for (const chat of chats) {
    for (const host of Object.values(flowHosts(chat))) {
      const code = await cp.enrollmentCode(host);
      hosts.push(await startScriptedHost({ server: cp.url, host, code, results: flowResults(chat.user) }));
    }
  }
  for (const h of hosts) await waitHostOnline(cp.url, SECRET, h.host, { describe: () => cp.stderr() });
}, 60_000);

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await cp?.stop();
  await Promise.all([slack?.stop(), jira?.stop(), github?.stop(), ...chats.map((c) => c.stop())]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(chats.map((chat) => [chat.name, chat] as [string, ChatDriver]))("%s on Node", (_name, chat) => {
  it("a freeze typed in the chat is announced in its thread there, with who, why and what to do", async () => {
    await freezeFlow(chat, cp.url);
    expect(chat.refused()).toEqual([]);
  }, 60_000);

  it("a recover runs to its approval prompt; the approval pressed in the chat's own form restarts it and ends recovered", async () => {
    await recoverFlow(chat, cp.url);
    expect(chat.refused()).toEqual([]);
  }, 60_000);

  it("a bundle asked for in the chat is attached to the Jira ticket and linked on the GitHub issue, and the thread says so with the links and the bundle", async () => {
    await bundleFlow(chat, cp.url, { jira, github });
    expect(jira.violations).toEqual([]);
    expect(github.violations).toEqual([]);
    expect(chat.refused()).toEqual([]);
  }, 60_000);
});

it("nothing the chats did reached Slack", () => {
  expect(slack.messages.size).toBe(0);
});
