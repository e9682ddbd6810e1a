import { expect } from "vitest";
import type { StepResult } from "../../src/contract/catalog.ts";
import type { ChatDriver } from "./chat-drivers.ts";
import { healthyData, toResults } from "./evidence.ts";
import { bundleCollect } from "./incident-lab.ts";
import { acceptancePassed, inflightIdle, restartedBy } from "./runbook-answers.ts";
import type { GithubStandIn, JiraStandIn } from "./ticket-standins.ts";
import { until } from "./until.ts";

/**
 * The flows issue 43 asks to run end to end from each chat, on whichever runtime serves `base`
 * (the Node control plane or the Worker in workerd): a freeze with its announcement, a recover
 * with its approval pressed in that chat's own button form, and a bundle attached to a Jira
 * ticket. Each is what a person in that chat does and sees; the chat's stand-in checks every
 * call's documented shape, and the tracker's stand-in the attachment's.
 */

/** What every scripted host answers: a healthy gateway, its runbook steps passing, a small bundle. */
export const flowResults = (approver: string) => (): StepResult[] => [
  ...toResults(healthyData()),
  inflightIdle(),
  restartedBy(approver),
  acceptancePassed(),
  bundleCollect(new Date().toISOString(), [
    { at: "2026-11-27T01:52:40.000Z", kind: "token-rotation", detail: "gateway auth changed" },
  ]),
];

/** The hosts each chat's flows use (each flow its own host, so one chat's freeze holds no other flow). */
export const flowHosts = (chat: ChatDriver) => {
  const p = { Discord: "dc", Mattermost: "mm", Teams: "ms" }[chat.name];
  return { freeze: `${p}-freeze`, recover: `${p}-recover`, bundle: `${p}-bundle` };
};

/** The Jira key and the GitHub issue (in GITHUB_REPO, FLOW_REPO) each chat's bundle goes to. */
export const flowTicket = (chat: ChatDriver) => `OPS-${{ Discord: 431, Mattermost: 432, Teams: 433 }[chat.name]}`;
export const FLOW_REPO = "acme/infra";
export const flowIssue = (chat: ChatDriver) => ({ Discord: 31, Mattermost: 32, Teams: 33 })[chat.name];

/** The authorization file's content: each chat's person may freeze, recover and approve the restart. */
export function flowAuthz(chats: ChatDriver[]): Record<string, unknown> {
  const users = chats.map((c) => c.user);
  return {
    actions: {
      freeze: { users },
      unfreeze: { users },
      recover: { users },
      restart: { users },
    },
  };
}

const WAIT = 60_000;

export async function freezeFlow(chat: ChatDriver, base: string): Promise<void> {
  const { freeze: host } = flowHosts(chat);
  const res = await chat.command(base, `freeze ${host} for 45m kernel patch window`);
  expect(res.status).toBe(200);
  // The person is told at once (the chat's own ack or follow-up), and the announcement follows in the thread.
  const said = await until(`the freeze announcement in ${chat.name}`, WAIT, () => {
    const text = chat.saidInThreads();
    return text.includes(`Freeze: ${host}`) ? text : undefined;
  });
  expect(said).toContain("kernel patch window");
  expect(said).toContain(`**Who:** ${chat.shownAs}`);
  expect(said).toMatch(/do not restart or reconfigure/);
  // The person who froze it was told at once (Mattermost's ephemeral answer is the route's own).
  expect(res.body + chat.said()).toMatch(new RegExp(`Froze \\*{1,2}${host}\\*{1,2} until`));
}

export async function recoverFlow(chat: ChatDriver, base: string): Promise<void> {
  const { recover: host } = flowHosts(chat);
  const res = await chat.command(base, `recover ${host}`);
  expect(res.status).toBe(200);
  // The run reaches the restart and asks for its approval with a button in the thread.
  const label = "Approve gateway.restart";
  await until(`the approval prompt in ${chat.name}`, WAIT, () =>
    chat.saidInThreads().includes(`Confirm \`gateway.restart\` on ${host}`) && chat.said().includes(label)
      ? true
      : undefined,
  );
  expect(chat.said()).not.toContain(`${host} recovered in`);
  await chat.press(base, label);
  const said = await until(`the recovered result in ${chat.name}`, WAIT, () => {
    const text = chat.saidInThreads();
    return text.includes(`${host}** recovered in`) ? text : undefined;
  });
  // The run's message ends with its six steps green, the approval named, the freeze lifted.
  expect(said).toMatch(new RegExp(`✅ Recovered \\*{0,2}${host}\\*{0,2} \\(run`));
  expect(said).toContain("**6. Acceptance: one read, one write** — read `status` ok, write `sessions.create` ok");
  expect(said).toMatch(
    new RegExp(`Approved \`gateway.restart\` on \\*{0,2}${host}\\*{0,2} by ${chat.shownAs.replace(/\*/g, "\\*")}`),
  );
  expect(said).toContain("Freeze lifted.");
  // `audit <host>` in the chat shows the approval as that chat's person gave it.
  const audit = await chat.command(base, `audit ${host}`);
  expect(audit.status).toBe(200);
  await until(`${chat.name}'s audit naming the approval`, WAIT, () =>
    (audit.body + chat.said()).includes("approved gateway.restart") ? true : undefined,
  );
}

export async function bundleFlow(
  chat: ChatDriver,
  base: string,
  trackers: { jira: JiraStandIn; github: GithubStandIn },
): Promise<void> {
  const { jira, github } = trackers;
  const { bundle: host } = flowHosts(chat);
  const ticket = flowTicket(chat);
  const issue = flowIssue(chat);
  const res = await chat.command(base, `bundle ${host} --ticket ${ticket} --ticket #${issue}`);
  expect(res.status).toBe(200);
  // Jira holds the file; GitHub (no attachment API) a comment with the summary and the signed link.
  const attached = await until(`the bundle at ${ticket}`, WAIT, () =>
    jira.attachments.find((a) => a.issueKey === ticket),
  );
  expect(attached.filename).toMatch(new RegExp(`^clawops-bundle-${host}-\\d{8}T\\d{6}\\.zip$`));
  expect(attached.contentType).toBe("application/zip");
  expect(attached.bytes.subarray(0, 2).toString("latin1")).toBe("PK");
  const comment = await until(`the bundle's comment on #${issue}`, WAIT, () =>
    github.comments.find((c) => c.repo === FLOW_REPO && c.issue === issue),
  );
  const link = /(http:\/\/127\.0\.0\.1:\d+\/bundles\/\S+?sig=[\w-]+)/.exec(comment.body)?.[1] ?? "";
  expect(link).not.toBe("");
  const download = await fetch(link);
  expect(download.status).toBe(200);
  expect(Buffer.compare(Buffer.from(await download.arrayBuffer()), attached.bytes)).toBe(0);
  // The thread says where it went, with the GitHub comment's link; the bundle itself is in the
  // thread as a file, or (Teams) its signed link.
  const said = await until(`the ticket notes in ${chat.name}`, WAIT, () => {
    const text = chat.saidInThreads();
    return text.includes(`✅ ${ticket}`) && text.includes(`✅ #${issue}`) ? text : undefined;
  });
  expect(said).toContain(`/${FLOW_REPO}/issues/${issue}#issuecomment-`);
  expect(said).toMatch(/\/bundles\/[^\s"?]+\?exp=\d+&sig=/);
  if (chat.name === "Teams") expect(chat.files()).toEqual([]);
  else expect(chat.files()).toContain(attached.filename);
}

/** What a healthy lab's matrix says on every chat (the markdown the three renderers share). */
export const healthyMatrix = (host: string) => ({
  // The headline, once the triage has ended: no layer failing. How many are to watch depends on
  // what the lab holds at the time (the model routing's warning always; another file's cron job
  // or session may add one); the lines below are what this flow is about.
  headline: new RegExp(`🟡 Triage ${host}: \\d+ layers? to watch`, "u"),
  green: ["Process", "Port", "Transport", "Auth", "Scope", "Config", "Workspace"].map((l) => `🟢 **${l}**: ok`),
  // The lab's one warning: no model credentials (GATEWAY-FACTS §3).
  warning: "🟡 **Model routing**: warn — No credentials for a model provider in use",
});

/**
 * `triage <host>` typed in the chat, against a real gateway: the route answers at once and the
 * chat's thread ends with the gateway's matrix, every layer a healthy lab has green, no red, the
 * gateway's version and never its token.
 */
export async function triageFlow(
  chat: ChatDriver,
  base: string,
  host: string,
  gateway: { version: string; token: string },
): Promise<void> {
  const m = healthyMatrix(host);
  const res = await chat.command(base, `triage ${host}`);
  expect(res.status).toBe(200);
  const said = await until(`the gateway's matrix in ${chat.name}'s thread`, 120_000, () => {
    const text = chat.saidInThreads();
    return m.headline.test(text) ? text : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}; the thread said:\n${chat.saidInThreads().slice(-3_000)}`);
  });
  for (const line of m.green) expect(said).toContain(line);
  expect(said).toContain(m.warning);
  expect(said).toContain(`gateway ${gateway.version}`);
  expect(said).not.toContain("🔴");
  expect(chat.said()).not.toContain(gateway.token);
  expect(chat.refused()).toEqual([]);
}
