import { describe, expect, it } from "vitest";
import { displayWidth, messageToText, mrkdwnToText } from "../../src/adapters/console/text.ts";
import { TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { renderHelp } from "../../src/core/commands/help.ts";
import { renderTriageProgress, renderTriageResult } from "../../src/core/triage/render.ts";
import { tokenDriftScript } from "../support/console-server.ts";

describe("mrkdwnToText", () => {
  it("drops formatting markers but leaves identifiers and arithmetic alone", () => {
    expect(mrkdwnToText("*Auth*: fail — _maybe_ ~gone~")).toBe("Auth: fail — maybe gone");
    expect(mrkdwnToText("AUTH_TOKEN_MISMATCH in gateway_status, 2*3*4, *not bold")).toBe(
      "AUTH_TOKEN_MISMATCH in gateway_status, 2*3*4, *not bold",
    );
    expect(mrkdwnToText("*1. 🔴 Token drift*  `token-drift` · Auth")).toBe("1. 🔴 Token drift  token-drift · Auth");
  });

  it("decodes Slack's three escapes once, and leaves formatting inside code alone", () => {
    expect(mrkdwnToText("a &lt;b&gt; &amp; c &amp;lt; d")).toBe("a <b> & c &lt; d");
    expect(mrkdwnToText("`*not bold* &lt;x&gt;`")).toBe("*not bold* <x>");
  });

  it("puts code blocks on lines of their own, indented", () => {
    expect(mrkdwnToText("*Evidence*\n```\nline &lt;1&gt;\n\nline 2\n```")).toBe("Evidence\n    line <1>\n\n    line 2");
    expect(mrkdwnToText("before ```one``` after")).toBe("before\n    one\nafter");
  });

  it("spells out mentions and links; other angle brackets are text", () => {
    expect(mrkdwnToText("<@U123ABC> and <@U9|alice> in <#C42|ops>, <!here>")).toBe(
      "@U123ABC and @alice in #ops, @here",
    );
    expect(mrkdwnToText("<https://example.test/x?a=1&amp;b=2|the runbook> or <https://example.test>")).toBe(
      "the runbook (https://example.test/x?a=1&b=2) or https://example.test",
    );
    expect(mrkdwnToText("`<img/src=x>` and <script>")).toBe("<img/src=x> and <script>");
  });

  it("uses ANSI bold only when asked", () => {
    expect(mrkdwnToText("*Auth* ok", { ansi: true })).toBe("\x1b[1mAuth\x1b[22m ok");
  });
});

describe("messageToText", () => {
  it("renders each part kind", () => {
    const text = messageToText({
      text: "fallback",
      parts: [
        { kind: "header", text: "🔴 Triage node-3" },
        { kind: "section", text: "*Health*\na: 1" },
        { kind: "divider" },
        { kind: "context", items: ["job `job_1`", "*x*"] },
        { kind: "actions", id: "a", buttons: [] },
      ],
    });
    expect(text).toBe(
      [
        "🔴 Triage node-3",
        "━".repeat(16),
        "Health",
        "a: 1",
        "",
        "─".repeat(48),
        "",
        "job job_1  ·  x",
        "",
        "[actions block]",
      ].join("\n"),
    );
  });

  it("falls back to the notification text when there are no parts", () => {
    expect(messageToText({ text: "*hello* &amp; bye", parts: [] })).toBe("hello & bye");
  });

  it("leaves no markup in the real triage messages", () => {
    const results = tokenDriftScript().map((s) => s.result);
    const steps = TRIAGE_STEPS.map((s) => s.step);
    const result = renderTriageResult(classifyResults(results, steps), {
      host: "node-3",
      jobId: "job_x",
      elapsedMs: 1100,
    });
    const progress = renderTriageProgress("node-3", steps, results.slice(0, 2), { phase: "running", elapsedMs: 200 });
    for (const m of [result, progress, renderHelp()]) {
      const text = messageToText(m);
      expect(text).not.toMatch(/```|\*\w|&amp;|&lt;|&gt;/);
    }
    const text = messageToText(result);
    expect(text.split("\n").slice(0, 3)).toEqual([
      "🔴 Triage node-3: 1 failing layer",
      "━".repeat(33),
      "Health by layer",
    ]);
    expect(text).toContain("\n🔴 Auth: fail — AUTH_TOKEN_MISMATCH\n");
    expect(text).toContain("\nEvidence\n    gateway.ws ws://127.0.0.1:19001: rejected\n");
    expect(text).toContain("\nNext commands\n    openclaw gateway status --json   # rpc.connectFailure.detailCode\n");
    expect(text).toContain("1. 🔴 Token drift: the running gateway rejects the configured token  token-drift · Auth");
  });
});

describe("displayWidth", () => {
  it("counts emoji as two columns and joiners as none", () => {
    expect(displayWidth("abc")).toBe(3);
    expect(displayWidth("🔴 x")).toBe(4);
    expect(displayWidth("⚠️")).toBe(2);
  });
});
