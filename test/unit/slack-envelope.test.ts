import { describe, expect, it } from "vitest";
import {
  commandFromSlash,
  commandFromSlashForm,
  interactionFromForm,
  interactionFromPayload,
  pressFromInteraction,
} from "../../src/adapters/slack/envelope.ts";
import { APPROVE_ACTION_ID } from "../../src/core/confirmations/confirm.ts";
import { RUN_ACTION_PREFIX } from "../../src/core/messages/buttons.ts";
import { slashCommandBody } from "../support/slack-signing.ts";

describe("one Slack envelope converter for HTTP and Socket Mode", () => {
  it("a slash command becomes the same request whichever way it arrived, workspace included", () => {
    const form = new URLSearchParams(slashCommandBody({ text: "bundle node-3 PROJ-12", trigger_id: "13345.1" }));
    // Socket Mode hands Bolt's parsed command: the same fields, as an object.
    const socket = Object.fromEntries(form.entries());
    const viaHttp = commandFromSlashForm(form);
    const viaSocket = commandFromSlash(socket);
    expect(viaSocket).toEqual(viaHttp);
    expect(viaHttp).toEqual({
      text: "bundle node-3 PROJ-12",
      user: "U0OPERATOR",
      channel: "C0INCIDENT",
      requestKey: "slack:T0001:13345.1",
      source: "slack",
      workspace: "T0001",
      // Where the asker is told when the bot cannot post in the channel (never silent).
      responseUrl: "https://hooks.slack.invalid/commands/T0001/1/abc",
    });
  });

  it("a slash command without user, channel or trigger is a bad request", () => {
    expect(() => commandFromSlash({ text: "help", user_id: "U1", channel_id: "C1" })).toThrow(/trigger_id/);
  });

  it("a button press reads the same from a JSON envelope and from the form's payload field", () => {
    const payload = {
      type: "block_actions",
      user: { id: "U0LEAD" },
      channel: { id: "C0INCIDENT" },
      actions: [{ action_id: APPROVE_ACTION_ID, value: "cnf_123" }],
    };
    const form = new URLSearchParams({ payload: JSON.stringify(payload) });
    const expected = {
      confirmationId: "cnf_123",
      decision: "approve",
      actor: { user: "U0LEAD", channel: "C0INCIDENT", source: "slack" },
    };
    expect(pressFromInteraction(payload)).toEqual(expected);
    expect(interactionFromPayload(payload)).toEqual({ kind: "approval", press: expected });
    expect(interactionFromForm(form)).toEqual({ kind: "approval", press: expected });
  });

  it("a command button reads as a command press for the router, with its trigger as its identity", () => {
    const payload = {
      type: "block_actions",
      user: { id: "U0LEAD" },
      channel: { id: "C0INCIDENT" },
      team: { id: "T0001" },
      trigger_id: "777.1",
      response_url: "https://hooks.slack.invalid/actions/T0001/1/x",
      actions: [{ action_id: `${RUN_ACTION_PREFIX}triage`, value: "triage node-3" }],
    };
    const form = new URLSearchParams({ payload: JSON.stringify(payload) });
    const expected = {
      kind: "command-press",
      press: {
        actionId: `${RUN_ACTION_PREFIX}triage`,
        value: "triage node-3",
        user: "U0LEAD",
        channel: "C0INCIDENT",
        source: "slack",
        requestKey: "slack:T0001:777.1",
        workspace: "T0001",
        responseUrl: "https://hooks.slack.invalid/actions/T0001/1/x",
      },
    };
    expect(interactionFromPayload(payload)).toEqual(expected);
    expect(interactionFromForm(form)).toEqual(expected);
  });

  it("other interactions and broken payloads are not presses", () => {
    expect(pressFromInteraction({ type: "view_submission", user: { id: "U1" } })).toBeNull();
    expect(
      pressFromInteraction({
        type: "block_actions",
        user: { id: "U1" },
        actions: [{ action_id: "other", value: "x" }],
      }),
    ).toBeNull();
    expect(interactionFromPayload({ type: "view_submission", user: { id: "U1" } })).toBeNull();
    expect(interactionFromForm(new URLSearchParams({ payload: "{not json" }))).toBeNull();
  });
});

describe("a command's text with Slack's escaping on (should_escape: true)", () => {
  it("reads channels, links and user groups back as typed; a user stays a <@U…> the parser takes", () => {
    const text =
      "incident new sev2 replies stopped in <#C0SUPPORT|support> after <https://status.example.com/x|the deploy>, paging <!subteam^S0ONCALL|@oncall>";
    const req = commandFromSlash({ text, user_id: "U1", channel_id: "C1", trigger_id: "t1" });
    expect(req.text).toBe(
      "incident new sev2 replies stopped in #support after https://status.example.com/x, paging @oncall",
    );
    const role = commandFromSlash({
      text: "incident inc_1 role scribe <@U0ALICE|alice>",
      user_id: "U1",
      channel_id: "C1",
      trigger_id: "t2",
    });
    expect(role.text).toBe("incident inc_1 role scribe <@U0ALICE>");
    // A channel Slack names without its name, and a bare link.
    const bare = commandFromSlash({
      text: "freeze node-3 for 30m see <#C0OPS|> <https://x.example/y>",
      user_id: "U1",
      channel_id: "C1",
      trigger_id: "t3",
    });
    expect(bare.text).toBe("freeze node-3 for 30m see #C0OPS https://x.example/y");
  });
});
