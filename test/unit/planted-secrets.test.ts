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

  it("holds the values no name gives away (issue 44): plugin config, skill env, OAuth profiles, headless PEM bodies", () => {
    const forms = new Set(corpus.map((p) => p.form));
    for (const form of [
      "plugin config hmac (openclaw.json)",
      "plugin config, a name that says nothing",
      "skill env without a credential word (openclaw.json)",
      "skill env without a credential word (.env)",
      "OAuth access token in auth-profiles.json",
      "OAuth refresh token in auth-profiles.json",
      "PEM body lines, BEGIN cut off by the excerpt",
      "PEM body line alone",
    ]) {
      expect(forms.has(form), form).toBe(true);
    }
  });

  it("keeps the next line: a line ending in a credential word does not take the next line's timestamp (issue 44)", async () => {
    const excerpt = [
      "2026-11-22T09:06:00.000Z [ws] unauthorized: provide gateway auth token",
      "2026-11-22T09:06:01.000Z [ws] closed before connect code",
      "2026-11-22T09:06:02.000Z [cli] openclaw gateway call health --token",
      "2026-11-22T09:06:03.000Z [auth] missing key",
      "2026-11-22T09:06:04.000Z [proxy] login failed for operator with password",
      "2026-11-22T09:06:05.000Z [gateway] ready",
    ].join("\n");
    expect(redactText(excerpt)).toBe(excerpt);
    expect(await scrubText(excerpt)).toBe(excerpt);
  });

  it("keeps ordinary evidence: timestamps, versions, ports, ids, hashes, model names, paths, session keys (issue 44)", async () => {
    const evidence = [
      "2026-11-22T09:03:00.000Z [ws] closed before connect conn=bb code=1008 reason=unauthorized phase=auth",
      "gateway ws://127.0.0.1:18789 port=18789 pid=4123 version=2026.9.6 (eb377ac) node=v24.11.1",
      "runId=550e8400-e29b-41d4-a716-446655440000 job=job_7f3a9c2e4b1d8f6a0c5e requestId=01JD3X8Q9M2K7V5N4B6C8E0F1G",
      "appliedConfigHash=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 commit=eb377ac4d1f0c2b9e8a7d6c5b4a3f2e1d0c9b8a7",
      "model=anthropic/claude-sonnet-4-5-20250929 provider=openai-codex effective=missing:missing",
      "finding=gateway.token-drift layer=auth severity=critical id=service.unit-drift",
      "file=/Users/Alice/Library/Logs/openclaw2/gateway.log state=/home/ubuntu/.openclaw/agents/main/sessions/sessions.json",
      "handler=OpenClawGatewayV2Handler cause=ModelRuntimeV2Unavailable plugin=@openclaw/voice-call",
      'doctor: {"checkId":"gateway.auth.token.plaintext","severity":"warning","path":"gateway.auth.token"}',
      "slack ts=1764000000.123456 channel=C0123ABCD user=U0456EFGH team=T0789IJKL",
      "close code 4001 session=agent:main:s42 heartbeatSeconds=1800 delayP99Ms=22.5",
      "node_modules/openclaw/dist/gateway/server-ws-handler.js:412:17",
      "NODE_OPTIONS=--max-old-space-size=4096 OPENCLAW_STATE_DIR=/var/lib/openclaw HOME=/home/openclaw",
    ];
    for (const line of evidence) {
      expect(redactText(line)).toBe(line);
      expect(await scrubText(line)).toBe(line);
    }
  });

  it("a plugin's or skill's config and env: every value goes unless it is plainly a setting (issue 44)", async () => {
    const hexHmac = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const config = {
      plugins: {
        entries: {
          "acme-hooks": {
            enabled: true,
            config: {
              signing: hexHmac,
              pin: "k7Qz",
              endpoint: "https://hooks.acme.example/in",
              mode: "strict",
              region: "us-east-1",
              retries: 3,
              timeout: "30s",
            },
          },
        },
      },
      skills: { entries: { "acme-lookup": { enabled: true, env: { ACME_LICENSE: "7QX2K-99ZT", ACME_REGION: "eu" } } } },
    };
    for (const out of [redactDeep(config), await scrubDeep({ data: { config } })]) {
      const text = JSON.stringify(out);
      expect(text).not.toContain(hexHmac);
      expect(text).not.toContain("k7Qz");
      expect(text).not.toContain("7QX2K-99ZT");
      for (const kept of ["https://hooks.acme.example/in", '"strict"', '"us-east-1"', '"retries":3', '"30s"', '"eu"']) {
        expect(text).toContain(kept);
      }
    }
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
