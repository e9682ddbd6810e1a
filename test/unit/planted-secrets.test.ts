import { describe, expect, it } from "vitest";
import { redactDeep, redactText } from "../../src/agent/probes/redact.ts";
import { redactWithRuleSet } from "../../src/agent/probes/redact-rule-set.ts";
import { secondScan } from "../../src/core/bundles/second-scan.ts";
import { scrubDeep, scrubText } from "../../src/core/secret-scrub.ts";
import { leaked, plantedCorpus } from "../support/planted-secrets.ts";

/**
 * Issue 32, item 1: the planted-secret corpus through each layer. The agent's redactor alone
 * and the control plane's second scan alone each let nothing out (two independent layers, so a
 * gap in one is covered by the other), and what passes both is what a bundle accepts.
 */
const corpus = plantedCorpus();

async function agentSide(text: string): Promise<string> {
  return redactText((await redactWithRuleSet(text)).text);
}

describe("planted-secret corpus", () => {
  it("holds at least 150 distinct values", () => {
    expect(new Set(corpus.map((p) => p.value)).size).toBeGreaterThanOrEqual(150);
  });

  it("the agent's redaction lets none out", async () => {
    const out: string[] = [];
    for (const p of corpus) if (leaked(p, await agentSide(p.text))) out.push(p.form);
    expect(out).toEqual([]);
  });

  it("the control plane's second scan alone lets none out (an agent that redacts nothing)", async () => {
    const out: string[] = [];
    for (const p of corpus) if (leaked(p, await scrubText(p.text))) out.push(p.form);
    expect(out).toEqual([]);
  });

  it("a step result through both is clean for the bundle's fail-closed scan too", async () => {
    const result = { step: "logs.signatures", data: { examples: corpus.map((p) => p.text) } };
    const sent = await scrubDeep(redactDeep(result));
    const text = JSON.stringify(sent);
    expect(corpus.filter((p) => leaked(p, text)).map((p) => p.form)).toEqual([]);
    const scan = await secondScan(sent.data.examples.map((t, i) => ({ where: `line ${i}`, text: t })));
    expect(scan.hits).toEqual([]);
  });

  it("leaves findings' words readable", async () => {
    const prose = [
      "gateway rejected the CLI: token mismatch (provide gateway auth token)",
      "close code 1008: AUTH_TOKEN_MISMATCH",
      "tokenSource: config",
      "Token mismatch after rotation",
    ];
    for (const line of prose) {
      expect(redactText(line)).toBe(line);
      expect(await scrubText(line)).toBe(line);
    }
  });
});
