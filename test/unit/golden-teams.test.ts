import { describe, expect, it } from "vitest";
import { ADAPTIVE_CARD, type CardElement, TEAMS_LIMITS, toTeams } from "../../src/adapters/teams/render.ts";
import { MESSAGE_KINDS } from "../support/message-kinds.ts";

/**
 * Teams golden files, one per message kind: the exact activity clawops sends to Bot Connector
 * v3 (`POST …/activities`, `PUT …/activities/{id}`): an Adaptive Card for a message with parts,
 * markdown text for one without. A change here must be on purpose
 * (`npx vitest run --project unit -u test/unit/golden-teams.test.ts` rewrites them). Each is
 * also held to what Teams takes: about 28 KB a message, a card of version 1.4 whose every
 * element is one Teams renders, and buttons whose data is a press clawops reads back.
 */
const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const ELEMENTS = new Set(["TextBlock", "ActionSet"]);

describe("Teams message goldens", () => {
  it.each(MESSAGE_KINDS.map(([name, make]) => [name, make] as const))("%s", async (name, make) => {
    const activity = toTeams(make());
    expect(activity.type).toBe("message");
    expect(JSON.stringify(activity).length).toBeLessThanOrEqual(28_000);
    if (activity.attachments) {
      const [card] = activity.attachments;
      expect(card?.contentType).toBe(ADAPTIVE_CARD);
      expect(card?.content.version).toBe("1.4");
      for (const e of card?.content.body ?? []) expect(ELEMENTS.has(String(e.type))).toBe(true);
      const actions = (card?.content.body ?? []).flatMap((e: CardElement) =>
        e.type === "ActionSet" ? (e.actions as { type: string; title: string; data: Record<string, unknown> }[]) : [],
      );
      for (const a of actions) {
        expect(a.type).toBe("Action.Submit");
        expect(a.title.length).toBeLessThanOrEqual(TEAMS_LIMITS.label);
        expect(["press", "ask"]).toContain(a.data.clawops);
      }
    } else {
      expect(activity.text?.length).toBeGreaterThan(0);
    }
    await expect(pretty(activity)).toMatchFileSnapshot(`golden/teams/${name}.golden.json`);
  });
});
