import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { toBlockKit } from "../../src/adapters/slack/render.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { renderTriageResult } from "../../src/core/triage/render.ts";
import { DirectoryRecoveryStore, DirectoryStore } from "../../src/worker/directory-store.ts";
import worker from "../../src/worker/index.ts";
import { gatewayDownData, toResults } from "../support/evidence.ts";
import { nowSeconds, type RecordedRequest, slackHeaders } from "./signed-slack.ts";

/**
 * Buttons on answers inside workerd: a really signed block_actions press through the Worker's
 * real `fetch` runs the command the button stands for as the presser (authorized by the
 * CLAWOPS_AUTHZ binding, audited in the directory object), acks them at the response_url,
 * acts once per trigger_id, and a forged press or a crafted value runs nothing.
 */
const HOOKS = env.SLACK_API_URL.replace(/\/api$/, "/hooks/actions/T0001");

interface SlackButton {
  action_id: string;
  value: string;
  text: { text: string };
}

/** The buttons of a real triage answer, as Slack receives them. */
function answerButtons(host: string): SlackButton[] {
  const results = toResults(gatewayDownData());
  const message = toBlockKit(
    renderTriageResult(
      classifyResults(
        results,
        results.map((r) => r.step),
      ),
      {
        host,
        jobId: "job_x",
        elapsedMs: 1000,
      },
    ),
  );
  return message.blocks.filter((b) => b.type === "actions").flatMap((b) => b.elements as SlackButton[]);
}

function interaction(user: string, b: SlackButton, id: string, triggerId = `${Date.now()}.${crypto.randomUUID()}`) {
  return new URLSearchParams({
    payload: JSON.stringify({
      type: "block_actions",
      team: { id: "T0001", domain: "acme" },
      user: { id: user, username: "someone", team_id: "T0001" },
      api_app_id: "A0CLAWOPS",
      container: { type: "message", message_ts: "1790000000.000100", channel_id: "C0INCIDENT" },
      trigger_id: triggerId,
      channel: { id: "C0INCIDENT", name: "incidents" },
      response_url: `${HOOKS}/${id}/secret`,
      actions: [
        {
          action_id: b.action_id,
          block_id: "clawops_triage_actions",
          value: b.value,
          type: "button",
          action_ts: "1.2",
        },
      ],
    }),
  }).toString();
}

function sign(body: string, secret = env.SLACK_SIGNING_SECRET, timestamp = nowSeconds()) {
  return slackHeaders(secret, body, timestamp);
}

/** Posts to the Worker's fetch and waits for its after-response work (waitUntil). */
async function post(body: string, headers: Record<string, string>) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://clawops.example/slack/interactions", { method: "POST", headers, body }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res.status;
}

async function calls(): Promise<RecordedRequest[]> {
  return (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
}

/** Presses `b` as `user`; the ack that reached the press's response_url. */
async function press(user: string, b: SlackButton, replay?: { body: string; id: string }) {
  const id = replay?.id ?? crypto.randomUUID();
  const body = replay?.body ?? interaction(user, b, id);
  expect(await post(body, await sign(body))).toBe(200);
  const acks = (await calls()).filter((c) => c.url.includes(`/${id}/`));
  const last = JSON.parse(acks[acks.length - 1]?.body ?? "{}") as { text?: string; response_type?: string };
  return { ack: last.text ?? "", type: last.response_type, body, id };
}

const recovery = () => new DirectoryRecoveryStore(env.DIRECTORY);
const audit = () => recovery().listAudit({ order: "asc" });

beforeAll(async () => {
  await new DirectoryStore(env.DIRECTORY).insertHost({
    name: "node-3",
    publicKey: "k3",
    enrolledAt: 1,
    revokedAt: null,
    agentVersion: null,
    gatewayVersion: null,
    lastSeenAt: null,
  });
});

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

const button = (label: string) => {
  const b = answerButtons("node-3").find((x) => x.text.text === label);
  if (!b) throw new Error(`no ${label} button`);
  return b;
};

describe("buttons on answers, pressed in Slack, on the Workers runtime", () => {
  it("Freeze 30 min: a stranger is refused, an allowed presser freezes; both audited with the presser", async () => {
    const refused = await press("U0STRANGER", button("Freeze 30 min"));
    expect(refused.type).toBe("ephemeral");
    expect(refused.ack).toMatch(/not allowed/);
    expect(await recovery().listFreezes()).toEqual([]);

    const done = await press("U0OPERATOR", button("Freeze 30 min"));
    expect(done.ack).toContain("Froze node-3");
    const [freeze] = await recovery().listFreezes();
    expect(freeze).toMatchObject({
      target: "node-3",
      owner: "U0OPERATOR",
      reason: "set with the Freeze 30 min button",
    });
    expect((freeze?.expiresAt ?? 0) - (freeze?.createdAt ?? 0)).toBe(30 * 60_000);

    const rows = (await audit()).filter((e) => e.action === "command");
    expect(rows.map((e) => [e.actor, e.source, e.outcome, e.detail.split(" → ")[0]])).toEqual([
      ["U0STRANGER", "slack", "refused", "button: /openclaw freeze node-3 for 30m set with the Freeze 30 min button"],
      ["U0OPERATOR", "slack", "ok", "button: /openclaw freeze node-3 for 30m set with the Freeze 30 min button"],
    ]);
  });

  it("Run again: the presser's triage (here refused as the agent is offline, said to them alone); a replay acts once", async () => {
    const before = (await audit()).length;
    const first = await press("U0OTHER", button("Run again"));
    expect(first.ack).toContain("offline");
    const after = await audit();
    expect(after.slice(before).map((e) => [e.actor, e.detail.split(" → ")[0]])).toEqual([
      ["U0OTHER", "button: /openclaw triage node-3"],
    ]);
    const again = await press("U0OTHER", button("Run again"), first);
    expect(again.ack).toContain("received already");
    expect((await audit()).length).toBe(after.length);
  });

  it("a crafted value runs nothing and is audited as refused", async () => {
    const before = (await audit()).length;
    const crafted = { action_id: "clawops_run:triage:node-3", value: "unfreeze all", text: { text: "x" } };
    const { ack } = await press("U0OPERATOR", crafted);
    expect(ack).toContain("Nothing was run");
    const rows = (await audit()).slice(before);
    expect(rows.map((e) => [e.actor, e.outcome])).toEqual([["U0OPERATOR", "refused"]]);
    expect(await recovery().listFreezes()).toHaveLength(1);
  });

  it("a forged or stale press is refused with 401 and reaches nothing", async () => {
    const before = (await audit()).length;
    const body = interaction("U0OPERATOR", button("Start recovery"), crypto.randomUUID());
    expect(await post(body, await sign(body, "not-the-signing-secret"))).toBe(401);
    expect(await post(body, await sign(body, env.SLACK_SIGNING_SECRET, nowSeconds() - 3600))).toBe(401);
    expect(await post(body, { "content-type": "application/x-www-form-urlencoded" })).toBe(401);
    expect((await audit()).length).toBe(before);
    expect(await calls()).toEqual([]);
  });
});
