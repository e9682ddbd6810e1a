import { describe, expect, it } from "vitest";
import { STEP_NAMES as ALL_STEP_NAMES, TRIAGE_STEP_NAMES } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";

/** The triage's steps in catalog order (the catalog also holds the recovery runbook's steps). */
const STEP_NAMES = ALL_STEP_NAMES.filter((s) => TRIAGE_STEP_NAMES.includes(s));

import {
  renderHelp,
  renderHosts,
  renderIncidentHeader,
  renderTriageProgress,
  renderTriageResult,
} from "../../src/core/render/blocks.ts";
import { gatewayDownData, healthyResults, tokenDriftData, toResults } from "../support/evidence.ts";

const meta = {
  host: "node-3",
  jobId: "job_0123456789abcdef",
  elapsedMs: 3120,
  agentVersion: "0.1.0",
  gatewayVersion: "2026.9.6",
};
const golden = (name: string) => `golden/${name}.golden.json`;
const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

describe("Block Kit golden files", () => {
  it.each([
    ["triage-healthy", healthyResults()],
    ["triage-token-drift", toResults(tokenDriftData())],
    ["triage-gateway-down", toResults(gatewayDownData())],
  ])("%s", async (name, results) => {
    const msg = renderTriageResult(classifyResults(results, STEP_NAMES), meta);
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    await expect(pretty(msg)).toMatchFileSnapshot(golden(name));
  });

  it("progress, incident header, hosts and help", async () => {
    const results = healthyResults().slice(0, 3);
    await expect(
      pretty(renderTriageProgress("node-3", STEP_NAMES, results, { phase: "running", elapsedMs: 850 })),
    ).toMatchFileSnapshot(golden("progress-running"));
    await expect(
      pretty(
        renderTriageProgress("node-3", STEP_NAMES, results, {
          phase: "lost",
          elapsedMs: 4100,
          detail: "Agent connection lost mid-job (agent disconnected (close 1006)); 3/7 probes arrived.",
        }),
      ),
    ).toMatchFileSnapshot(golden("progress-lost"));
    await expect(
      pretty(renderIncidentHeader("node-3", "U0OPERATOR", Date.UTC(2026, 10, 22, 7, 30))),
    ).toMatchFileSnapshot(golden("incident-header"));
    const hosts = [
      {
        name: "node-3",
        publicKey: "k",
        enrolledAt: 0,
        revokedAt: null,
        agentVersion: "0.1.0",
        gatewayVersion: "2026.9.6",
        lastSeenAt: 1_000_000 - 12_000,
      },
      {
        name: "node-4",
        publicKey: "k",
        enrolledAt: 0,
        revokedAt: null,
        agentVersion: null,
        gatewayVersion: null,
        lastSeenAt: null,
      },
    ];
    await expect(pretty(renderHosts(hosts, new Set(["node-3"]), 1_000_000))).toMatchFileSnapshot(golden("hosts"));
    await expect(pretty(renderHelp())).toMatchFileSnapshot(golden("help"));
  });

  it("escapes what Slack would read as markup in evidence", () => {
    const d = tokenDriftData();
    d.ws.error = { message: "<!channel> & <@U1> `x`", detailCode: "AUTH_TOKEN_MISMATCH" };
    const msg = renderTriageResult(classifyResults(toResults(d), STEP_NAMES), meta);
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain("&lt;!channel&gt; &amp; &lt;@U1&gt;");
    expect(text).not.toContain("<!channel>");
  });
});
