import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { declareIncident } from "../../src/core/incidents/declare.ts";
import { moveIncidentAndTell } from "../../src/core/incidents/pipeline.ts";
import { DirectoryRecoveryStore, DirectoryStore } from "../../src/worker/directory-store.ts";
import { parseWorkerConfig } from "../../src/worker/env.ts";
import { createConsoleLogger } from "../../src/worker/logger.ts";
import { freezeSweepDeps } from "../../src/worker/wiring.ts";
import { HANG_MS, until } from "../support/until.ts";
import type { RecordedRequest } from "./signed-slack.ts";

/**
 * Incident mirrors on Workers (issue 43, item 5): CLAWOPS_INCIDENT_MIRRORS parsed by the Worker's
 * config, an incident declared on Slack (the incident channel) through the directory object's
 * store by RPC; its mirror deliveries queued in that object's outbox are delivered by the
 * object's alarm to the Discord and Mattermost origins of the outbound recorder, each mirror's
 * root recorded in the object's SQLite (state migration 12), and the header's edit reaching both.
 */
const DISCORD_MIRROR = "discord:1200000000000000777";
const MM_MIRROR = "mattermost:4xp9fdt7pbgeddg6ch5ju8ijha";

async function outbound(): Promise<RecordedRequest[]> {
  return (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
}
const calls = async (origin: string) => (await outbound()).filter((c) => c.url.startsWith(origin));

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

describe("an incident mirrored from Slack to Discord and Mattermost, on Workers", () => {
  it("posts each mirror's root from the directory object's alarm, without buttons, and edits it with the header", async () => {
    const parsed = parseWorkerConfig({ ...env, CLAWOPS_INCIDENT_MIRRORS: `${DISCORD_MIRROR},${MM_MIRROR}` });
    if (!parsed.ok) throw new Error(parsed.problems.join(" "));
    expect(parsed.config.incidents.mirrors).toEqual([DISCORD_MIRROR, MM_MIRROR]);
    const store = new DirectoryStore(env.DIRECTORY);
    const deps = freezeSweepDeps(
      { env, config: parsed.config, logger: createConsoleLogger("test"), store },
      new DirectoryRecoveryStore(env.DIRECTORY),
    );
    const incident = await declareIncident(deps, {
      actor: "U0OPERATOR",
      channel: "C0INCIDENT",
      severity: "sev2",
      hosts: [],
      title: "replies slow for EU customers",
    });

    const discordRoot = await until("the Discord mirror's root", HANG_MS, async () =>
      (await calls("http://discord-standin.test/")).find(
        (c) => c.method === "POST" && c.url.endsWith("/channels/1200000000000000777/messages"),
      ),
    );
    const mmRoot = await until("the Mattermost mirror's root", HANG_MS, async () =>
      (await calls("http://mattermost-standin.test/")).find(
        (c) => c.method === "POST" && c.url.endsWith("/api/v4/posts"),
      ),
    );
    for (const body of [discordRoot.body, mmRoot.body]) {
      expect(body).toContain("replies slow for EU customers");
      expect(body).toContain("Buttons and approvals:");
      expect(body).toContain("https://clawops-test.slack.com/archives/C0INCIDENT/p");
    }
    expect(JSON.parse(discordRoot.body).components ?? []).toEqual([]);
    const mmPost = JSON.parse(mmRoot.body) as { channel_id: string; root_id?: string; props?: unknown };
    expect(mmPost.channel_id).toBe("4xp9fdt7pbgeddg6ch5ju8ijha");
    expect(mmPost.root_id ?? "").toBe("");
    expect(JSON.stringify(mmPost.props ?? {})).not.toContain('"actions"');
    // Slack's own header has the buttons.
    const slackHeader = (await calls("http://slack-standin.test/api/chat.postMessage")).find((c) =>
      c.body.includes("replies slow for EU customers"),
    );
    expect(slackHeader?.body).toContain('"actions"');

    const mirrors = await until("both mirrors recorded", HANG_MS, async () => {
      const m = await store.incidentMirrors(incident.id);
      return m.length === 2 && m.every((x) => x.ts) ? m : null;
    });
    expect(mirrors.map((m) => m.channel)).toEqual([DISCORD_MIRROR, MM_MIRROR]);

    await moveIncidentAndTell(deps, incident.id, "acknowledged", "U0OPERATOR");
    const dTs = mirrors[0]?.ts;
    const mTs = mirrors[1]?.ts;
    const edits = await until("the header edited on both mirrors", HANG_MS, async () => {
      const d = (await calls("http://discord-standin.test/")).find(
        (c) => c.method === "PATCH" && c.url.endsWith(`/messages/${dTs}`),
      );
      const m = (await calls("http://mattermost-standin.test/")).find(
        (c) => c.method === "PUT" && c.url.endsWith(`/api/v4/posts/${mTs}/patch`),
      );
      return d && m ? [d, m] : null;
    });
    for (const e of edits) expect(e.body).toContain("U0OPERATOR");
    // One root on each: the edit is not a new post.
    expect(
      (await calls("http://discord-standin.test/")).filter(
        (c) => c.method === "POST" && c.url.endsWith("/channels/1200000000000000777/messages"),
      ),
    ).toHaveLength(1);
  });
});
