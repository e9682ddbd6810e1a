import { describe, expect, it } from "vitest";
import { toBlockKit } from "../../src/adapters/slack/render.ts";
import { STEP_NAMES as ALL_STEP_NAMES, TRIAGE_STEP_NAMES } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";

/** The triage's steps in catalog order (the catalog also holds the recovery runbook's steps). */
const STEP_NAMES = ALL_STEP_NAMES.filter((s) => TRIAGE_STEP_NAMES.includes(s));

import { renderTriageResult } from "../../src/core/triage/render.ts";
import { tokenDriftData, toResults } from "../support/evidence.ts";

const meta = {
  host: "node-3",
  jobId: "job_0123456789abcdef",
  elapsedMs: 3120,
  agentVersion: "0.1.0",
  gatewayVersion: "2026.9.6",
};

// The golden files of every message kind: golden-slack.test.ts (and -text, -html).
describe("Block Kit", () => {
  it("escapes what Slack would read as markup in evidence", () => {
    const d = tokenDriftData();
    d.ws.error = { message: "<!channel> & <@U1> `x`", detailCode: "AUTH_TOKEN_MISMATCH" };
    const msg = toBlockKit(renderTriageResult(classifyResults(toResults(d), STEP_NAMES), meta));
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain("&lt;!channel&gt; &amp; &lt;@U1&gt;");
    expect(text).not.toContain("<!channel>");
  });
});
