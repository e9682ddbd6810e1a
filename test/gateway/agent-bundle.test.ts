import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV, buildAgent } from "../../scripts/build-agent.ts";
import { TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { LAB_DRIFT_TOKEN, type SharedGateway } from "../support/gateway/control.ts";
import { type GatewayPlane, startGatewayPlane } from "../support/gateway-plane.ts";
import { firstFindingId, postSlashCommand } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";

/**
 * What ships is what is tested (issue 31): the single-file agent built as `npm run build:agent`
 * builds it (scripts/build-agent.ts, `buildAgent`), run with the service's Node flags and
 * environment (infra/systemd), enrolled with a one-time code against a control plane process
 * (as `npm start` runs it) and triaging the real OpenClaw gateway. Its hub socket and the
 * gateway probe's are `ws`, its HTTP Node's own, its frames and files parsed by zod: a triage
 * of a healthy gateway and of one that refuses the configured token go through all of them.
 */
const SECRET = "bundle-gw-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-bundle-gw-bot-token";
const HOST = "bundle-gw";
const CHANNEL = "C0BUNDLE";
const DRIFT_TOKEN = LAB_DRIFT_TOKEN;
const N = TRIAGE_STEPS.length;

let work: string;
let plane: GatewayPlane;
let gw: SharedGateway;
let slack: SlackStandIn;

const blocksText = (m: StoredMessage | undefined) => JSON.stringify(m?.blocks ?? []);

async function triage(): Promise<StoredMessage> {
  const parent = slack.topLevel(CHANNEL)[0];
  const before = parent ? slack.thread(CHANNEL, parent.ts).length : 0;
  const { status, body } = await postSlashCommand(plane.cp.url, SECRET, {
    text: `triage ${HOST}`,
    channel_id: CHANNEL,
  });
  expect(status, JSON.stringify(body)).toBe(200);
  const final = () => {
    const p = slack.topLevel(CHANNEL)[0];
    const m = p ? slack.thread(CHANNEL, p.ts)[before + 1] : undefined;
    return m && !blocksText(m).includes("Still running") ? m : undefined;
  };
  await slack.waitFor(() => !!final(), 90_000, "the triage's final answer");
  return final() as StoredMessage;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "clawops-bundle-gw-"));
  const built = await buildAgent(join(work, "dist", "clawops-agent.mjs"));
  plane = await startGatewayPlane({
    secret: SECRET,
    botToken: BOT_TOKEN,
    host: HOST,
    launch: { entry: built.outfile, nodeArgs: AGENT_NODE_FLAGS, env: { ...AGENT_SERVICE_ENV } },
  });
  ({ gw, slack } = plane);
}, 180_000);

afterAll(async () => {
  await plane?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("the built single-file agent, on a real control plane and a real OpenClaw gateway", () => {
  it("runs from the bundle, not the sources", () => {
    const argv = plane.agent.child.spawnargs;
    expect(argv).toContain(join(work, "dist", "clawops-agent.mjs"));
    expect(argv.some((a) => a.endsWith("src/agent/main.ts"))).toBe(false);
    expect(argv).toEqual(expect.arrayContaining([...AGENT_NODE_FLAGS]));
  });

  it("triages the healthy gateway: its WebSocket handshake and RPCs, HTTP health, every layer read", async () => {
    const result = await triage();
    const text = blocksText(result);
    const progress = slack.thread(CHANNEL, slack.topLevel(CHANNEL)[0]?.ts ?? "")[0];
    expect(progress?.text).toMatch(new RegExp(`finished: ${N}/${N} probes`));
    for (const line of ["🟢 *Process*: ok", "🟢 *Port*: ok", "🟢 *Transport*: ok", "🟢 *Auth*: ok", "🟢 *Scope*: ok"])
      expect(text).toContain(line);
    // The gateway's version from its hello-ok, read over the probe's `ws` socket.
    expect(text).toContain(`gateway ${gw.version}`);
    expect(text).not.toContain("🔴");
    // How old the doctor reading is, said in the answer.
    expect(text).toMatch(/· (doctor ran for this triage|doctor result [^·"]* old|no doctor reading yet)/);
    expect(plane.agent.log()).not.toMatch(/"level":"error"|Dynamic require|is not supported/);
  });

  it("triages a gateway that refuses the configured token: the gateway's own error frame, read by the bundle", async () => {
    // Left drifted: the file after it starts so (sequencer.ts).
    await gw.drift();
    const result = await triage();
    expect(firstFindingId(result.blocks)).toBe("token-drift");
    const text = blocksText(result);
    expect(text).toContain("AUTH_TOKEN_MISMATCH");
    expect(text).toContain("🔴 *Auth*: fail");
    expect(JSON.stringify(slack.calls)).not.toContain(DRIFT_TOKEN);
    expect(JSON.stringify(slack.calls)).not.toContain(gw.token);
  });
});
