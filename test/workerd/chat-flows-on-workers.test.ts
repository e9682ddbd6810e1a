import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApprovalKey } from "../../src/contract/approval.ts";
import { makeAppCertificate } from "../support/app-certificate.ts";
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
import { type ScriptedHost, startScriptedHost } from "../support/scripted-agent.ts";
import { waitHostOnline } from "../support/slack-signing.ts";
import { GithubStandIn, JiraStandIn } from "../support/ticket-standins.ts";
import { startWorkerdPlane, type WorkerdPlane } from "../support/workerd-plane.ts";

/**
 * Issue 43's done criterion on the Workers runtime, for Discord, Mattermost and Microsoft Teams
 * alike: the same flows as test/unit/chat-flows.test.ts (a freeze with its announcement, a recover
 * with its approval pressed in the chat's own button form, a bundle attached to a Jira ticket),
 * typed in each chat and served by wrangler.toml's Worker in workerd: the chats' routes in the
 * Worker, each host's agent socket and triage in its Durable Object, each recover run a Workflow
 * instance whose approval is signed with CLAWOPS_APPROVAL_KEY, each bundle in R2; Teams with a
 * certificate as its credential (the PEM key in a var: no file in workerd), every Bot Connector
 * token got with a client assertion the Worker signed and the stand-in verified. The hosts'
 * agents are the real agent connection code with scripted step answers (the triage against the
 * real gateway from workerd is test/gateway/chats-workers.test.ts).
 */
const SECRET = "chat-flows-workerd-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-chat-flows-workerd";
const ADMIN_TOKEN = "chat-flows-workerd-admin-token-4c2a";
const GITHUB_TOKEN = "gh-chat-flows-token-7d1c";
const JIRA_TOKEN = "jira-chat-flows-workerd-token";
const LINK_SECRET = "chat-flows-workerd-link-secret-7e3b9d1f5a20c846";

/** Teams' certificate: `openssl` makes it here; the identity platform's stand-in holds it. */
const certificate = await makeAppCertificate();
const chats = threeChats(certificate);
let plane: WorkerdPlane;
let jira: JiraStandIn;
let github: GithubStandIn;
const hosts: ScriptedHost[] = [];

beforeAll(async () => {
  jira = new JiraStandIn("oncall@example.com", JIRA_TOKEN);
  const jiraUrl = await jira.start();
  github = new GithubStandIn(GITHUB_TOKEN);
  const githubUrl = await github.start();
  await Promise.all(chats.map((c) => c.start()));
  plane = await startWorkerdPlane({
    name: "chat-flows",
    secret: SECRET,
    botToken: BOT_TOKEN,
    adminToken: ADMIN_TOKEN,
    vars: {
      CLAWOPS_AUTHZ: JSON.stringify(flowAuthz(chats)),
      CLAWOPS_APPROVAL_KEY: JSON.stringify((await generateApprovalKey()).privateJwk),
      CLAWOPS_LINK_SECRET: LINK_SECRET,
      CLAWOPS_WATCH_INTERVAL_S: "0",
      JIRA_BASE_URL: jiraUrl,
      JIRA_EMAIL: "oncall@example.com",
      JIRA_API_TOKEN: JIRA_TOKEN,
      GITHUB_API_URL: githubUrl,
      GITHUB_TOKEN,
      GITHUB_REPO: FLOW_REPO,
      CLAWOPS_TICKET_RETRY_BASE_MS: "50",
      ...Object.assign({}, ...chats.map((c) => c.env())),
    },
  });
  for (const chat of chats) {
    for (const host of Object.values(flowHosts(chat))) {
      const code = await plane.enrollmentCode(host);
      hosts.push(await startScriptedHost({ server: plane.url, host, code, results: flowResults(chat.user) }));
    }
  }
  for (const h of hosts) await waitHostOnline(plane.url, SECRET, h.host);
}, 120_000);

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await plane?.stop();
  await Promise.all([jira?.stop(), github?.stop(), ...chats.map((c) => c.stop())]);
}, 60_000);

describe.each(chats.map((chat) => [chat.name, chat] as [string, ChatDriver]))(
  "%s on Workers (workerd)",
  (_name, chat) => {
    it("a freeze typed in the chat is announced in its thread there, with who, why and what to do", async () => {
      await freezeFlow(chat, plane.url);
      expect(chat.refused()).toEqual([]);
    });

    it("a recover runs as a Workflow to its approval prompt; the approval pressed in the chat's own form restarts it and ends recovered", async () => {
      await recoverFlow(chat, plane.url);
      expect(chat.refused()).toEqual([]);
    });

    it("a bundle asked for in the chat is stored in R2, attached to the Jira ticket and linked on the GitHub issue, and the thread says so with the links and the bundle", async () => {
      await bundleFlow(chat, plane.url, { jira, github });
      expect(jira.violations).toEqual([]);
      expect(github.violations).toEqual([]);
      expect(chat.refused()).toEqual([]);
    });
  },
);

it("nothing the chats did reached Slack", () => {
  expect(plane.slack.messages.size).toBe(0);
});

it("Teams' Bot Connector tokens were asked with the certificate's client assertion, never a password", () => {
  const teams = chats.find((c) => c.teams)?.teams;
  const requests = teams?.tokenRequests ?? [];
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) {
    expect(r.client_secret).toBeUndefined();
    expect(r.client_assertion_type).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  }
  // Each one verified by the stand-in with the certificate's public key.
  expect(teams?.assertions.length).toBe(requests.length);
});
