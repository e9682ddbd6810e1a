import { describe, expect, it } from "vitest";
import { SLACK_MAX_AGE_SECONDS, slackSignature, verifySlackRequest } from "../../src/adapters/slack/verify.ts";
import { timingSafeEqual } from "../../src/contract/encoding.ts";
import { signSlack, slashCommandBody } from "../support/slack-signing.ts";

const secret = "8f742231b10e8888abcd99yyyzzz85a5";

describe("verifySlackRequest", () => {
  it("accepts a request signed the way Slack signs it", async () => {
    const body = slashCommandBody({ text: "triage node-3" });
    const headers = signSlack(secret, body, 1_790_000_000);
    await expect(
      verifySlackRequest({
        signingSecret: secret,
        body,
        signature: headers["x-slack-signature"],
        timestamp: headers["x-slack-request-timestamp"],
        nowSeconds: 1_790_000_010,
      }),
    ).resolves.toBeUndefined();
  });

  it("matches Slack's documented example signature", async () => {
    // From https://api.slack.com/authentication/verifying-requests-from-slack
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    expect(await slackSignature(secret, "1531420618", body)).toBe(
      "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    );
  });

  it("refuses a forged signature, a tampered body and missing headers", async () => {
    const body = slashCommandBody({ text: "triage node-3" });
    const h = signSlack(secret, body, 1_790_000_000);
    const base = { signingSecret: secret, timestamp: h["x-slack-request-timestamp"], nowSeconds: 1_790_000_000 };
    await expect(
      verifySlackRequest({ ...base, body, signature: signSlack("wrong", body, 1_790_000_000)["x-slack-signature"] }),
    ).rejects.toMatchObject({ code: "bad_signature", status: 401 });
    await expect(
      verifySlackRequest({ ...base, body: body.replace("node-3", "node-4"), signature: h["x-slack-signature"] }),
    ).rejects.toMatchObject({ code: "bad_signature" });
    await expect(verifySlackRequest({ ...base, body, signature: undefined })).rejects.toMatchObject({
      code: "bad_signature",
    });
    await expect(
      verifySlackRequest({ ...base, body, signature: h["x-slack-signature"], timestamp: "soon" }),
    ).rejects.toMatchObject({ code: "bad_signature" });
  });

  it("refuses requests outside the five-minute window, either side", async () => {
    const body = slashCommandBody({ text: "help" });
    for (const skew of [SLACK_MAX_AGE_SECONDS + 1, -(SLACK_MAX_AGE_SECONDS + 1)]) {
      const h = signSlack(secret, body, 1_790_000_000);
      await expect(
        verifySlackRequest({
          signingSecret: secret,
          body,
          signature: h["x-slack-signature"],
          timestamp: h["x-slack-request-timestamp"],
          nowSeconds: 1_790_000_000 + skew,
        }),
      ).rejects.toMatchObject({ code: "stale_request" });
    }
  });

  it("compares in constant time without short-circuiting on length", () => {
    expect(timingSafeEqual("v0=abc", "v0=abc")).toBe(true);
    expect(timingSafeEqual("v0=abc", "v0=abd")).toBe(false);
    expect(timingSafeEqual("v0=abc", "v0=abcd")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
  });
});
