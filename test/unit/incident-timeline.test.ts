import { describe, expect, it } from "vitest";
import { messageToText } from "../../src/adapters/console/text.ts";
import { expireFreezes } from "../../src/core/freezes/freezes.ts";
import { applyFreezePolicy, parseFreezePolicy } from "../../src/core/freezes/policy.ts";
import { commandButton } from "../../src/core/messages/buttons.ts";
import type { TicketConfig } from "../../src/core/ports/bundles.ts";
import { gatewayDownData, triageResults } from "../support/evidence.ts";
import { incidentLab, LEAD, STRANGER } from "../support/incident-lab.ts";

/**
 * The rest of the incident's timeline (issue 29, item 1): freezes set, extended, lifted and
 * expired (a host's on its incident, the fleet's on every open one), and button presses, each
 * with who; `/openclaw incident <id>` shows them in order, with the *Open ticket* button where a
 * ticket system is configured (issue 41; open-ticket-gate.test.ts: none without).
 * (Approvals, recovery steps and bundles: postmortem.test.ts; tickets: incident-tickets.test.ts.)
 */
const MIN = 60_000;

async function twoIncidents(tickets?: TicketConfig) {
  const l = await incidentLab({
    ...(tickets ? { tickets } : {}),
    hosts: { "node-3": triageResults(gatewayDownData()), "node-4": triageResults(gatewayDownData()) },
  });
  await l.command(LEAD, "triage node-3");
  await l.command(LEAD, "triage node-4");
  const node3 = await l.store.findOpenIncident("node-3");
  const node4 = await l.store.findOpenIncident("node-4");
  if (!node3 || !node4) throw new Error("no incidents");
  return { l, node3, node4 };
}

describe("freezes on the incident record", () => {
  it("a host's freeze set, extended and lifted, each with who; a refused one is not written", async () => {
    const { l, node3, node4 } = await twoIncidents();
    l.advance(MIN);
    expect((await l.command(STRANGER, "freeze node-3 for 30m looking")).error?.code).toBe("forbidden");
    await l.command(LEAD, "freeze node-3 for 30m rolling back 2026.9.6");
    l.advance(MIN);
    await l.command(LEAD, "freeze node-3 extend 30m");
    l.advance(MIN);
    await l.command(LEAD, "unfreeze node-3");
    const freezes = (await l.store.incidentTimeline(node3.id)).filter((e) => e.kind === "freeze");
    expect(freezes.map((e) => [e.actor, e.text])).toEqual([
      [LEAD, "froze node-3 until 2026-11-25 09:31 UTC: rolling back 2026.9.6"],
      [LEAD, "extended the freeze of node-3: it lasts until 2026-11-25 10:01 UTC"],
      [LEAD, "lifted the freeze of node-3 (rolling back 2026.9.6)"],
    ]);
    // node-4's incident is not about node-3's freeze.
    expect((await l.store.incidentTimeline(node4.id)).some((e) => e.kind === "freeze")).toBe(false);
  });

  it("the fleet's freeze goes on every open incident, and its expiry too", async () => {
    const { l, node3, node4 } = await twoIncidents();
    await l.command(LEAD, "freeze all for 10m provider outage");
    l.advance(11 * MIN);
    await expireFreezes(l.deps, l.now());
    for (const id of [node3.id, node4.id]) {
      const freezes = (await l.store.incidentTimeline(id)).filter((e) => e.kind === "freeze");
      expect(freezes.map((e) => [e.actor, e.text])).toEqual([
        [LEAD, "froze the whole fleet until 2026-11-25 09:10 UTC: provider outage"],
        ["clawops", `freeze of the whole fleet by ${LEAD} expired (provider outage)`],
      ]);
    }
  });
});

describe("automatic freezes on the incident record", () => {
  it("the freeze policy's freeze and its lift when the host stays healthy", async () => {
    const { l, node3 } = await twoIncidents();
    const policy = parseFreezePolicy(
      { rules: [{ name: "gateway down", findings: ["gateway-down"], liftAfterHealthyMin: 5 }] },
      "test",
    );
    const thread = { channel: node3.channel as string, threadTs: node3.threadTs as string };
    const t = { host: "node-3", at: l.now(), since: l.now(), healthy: false, findingIds: ["gateway-down"] };
    expect(await applyFreezePolicy(l.deps, policy, t, thread)).toBe("frozen");
    l.advance(MIN);
    await applyFreezePolicy(
      l.deps,
      policy,
      { ...t, at: l.now(), since: l.now(), healthy: true, findingIds: [] },
      thread,
    );
    l.advance(6 * MIN);
    await expireFreezes(l.deps, l.now());
    const freezes = (await l.store.incidentTimeline(node3.id)).filter((e) => e.kind === "freeze");
    expect(freezes.map((e) => [e.actor, e.text])).toEqual([
      ["clawops (automatic)", 'automatic freeze by the policy\'s rule "gateway down" (gateway-down)'],
      ["clawops", "automatic freeze of node-3 lifted: healthy long enough"],
    ]);
  });
});

describe("button presses on the incident record", () => {
  it("a press is written with who pressed it and what became of it", async () => {
    const { l, node3 } = await twoIncidents();
    const freeze = commandButton("freeze", "node-3");
    const refused = await l.press(STRANGER, freeze);
    expect(refused.error?.code).toBe("forbidden");
    await (await l.press(LEAD, freeze)).later?.();
    const presses = (await l.store.incidentTimeline(node3.id)).filter((e) => e.kind === "button");
    expect(presses.map((e) => [e.actor, e.text])).toEqual([
      [STRANGER, "pressed the `freeze node-3 for 30m set with the Freeze 30 min button` button (refused: forbidden)"],
      [LEAD, "pressed the `freeze node-3 for 30m set with the Freeze 30 min button` button"],
    ]);
  });
});

describe("/openclaw incident <id>", () => {
  it("shows the timeline in order, and an Open ticket button that opens this incident's ticket", async () => {
    // GitHub with a repository: tickets could be opened here (nothing is sent by showing it).
    const { l, node3 } = await twoIncidents({
      github: { apiUrl: "https://api.github.example", token: "t", repo: "acme/infra" },
    });
    await l.command(LEAD, "freeze node-3 for 30m rolling back");
    const shown = await l.command(STRANGER, `incident ${node3.id}`);
    const text = messageToText(shown.ack);
    expect(text).toMatch(/triage requested[\s\S]*triage done[\s\S]*froze node-3/);
    const buttons = shown.ack.parts.flatMap((p) => (p.kind === "actions" ? p.buttons : []));
    expect(buttons.map((b) => [b.label, b.value])).toEqual([["Open ticket", `ticket ${node3.id} new`]]);
  });
});
