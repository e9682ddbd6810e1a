import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summarizeModelsAuth } from "../../src/agent/probes/gateway-ws.ts";
import { scanLogText } from "../../src/agent/probes/log-signatures.ts";
import { type LogSignaturesData, STEP_NAMES } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { failedAttempts } from "../../src/core/classify/rules-field-models.ts";
import { type Data, healthyData, toResults } from "../support/evidence.ts";

/**
 * Issue 30, classes 4–5: model credentials about to lapse or failing to refresh, providers in
 * cooldown. The `models.authStatus` payload is a real capture (a token pasted with
 * `openclaw models auth paste-token --expires-in 48h` into the lab gateway); the refresh and
 * fallback failures are dist-strings fixtures (they need a provider that answers).
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/openclaw/field/${name}`, import.meta.url), "utf8");
const realAuthStatus = () =>
  JSON.parse(fixture("models-auth-status.token-48h.real-gateway.json")) as Record<string, unknown>;

function logsFrom(text: string): LogSignaturesData {
  return {
    found: true,
    path: "/tmp/openclaw/openclaw-2026-11-24.log",
    tried: [],
    bytesRead: text.length,
    ...scanLogText(text),
  };
}
const classify = (d: Data) => classifyResults(toResults(d), STEP_NAMES);

describe("class 4: model credentials", () => {
  it("models.authStatus keeps expiries and profile types, never a credential or e-mail", () => {
    const rpc = summarizeModelsAuth({ ok: true, payload: realAuthStatus() });
    expect(rpc).toEqual({
      ok: true,
      ts: 1795608568365,
      providers: [
        {
          provider: "anthropic",
          status: "ok",
          expiresAt: 1795781356509,
          profiles: [{ profileId: "anthropic:manual", type: "token", status: "ok", expiresAt: 1795781356509 }],
        },
      ],
    });
    const withEmail = JSON.parse(
      JSON.stringify(realAuthStatus()).replace('"anthropic:manual"', '"openai-codex:op@example.com"'),
    ) as Record<string, unknown>;
    expect(JSON.stringify(summarizeModelsAuth({ ok: true, payload: withEmail }))).toContain('"openai-codex:<email>"');
  });

  it("a token expiring in 48 h that models status calls ok (real capture) → model-auth-expiring, naming that green", () => {
    const d = healthyData();
    d.ws.modelsRpc = summarizeModelsAuth({ ok: true, payload: realAuthStatus() });
    const f = classify(d).findings.find((x) => x.id === "model-auth-expiring");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence).toEqual([
      "models.authStatus: anthropic profile anthropic:manual (token) status ok, expires in 47 h",
    ]);
    expect(f?.falseGreen).toBe(
      "models.authStatus (what `openclaw models status` shows) says anthropic:manual ok (it warns only in a token's last 24 h)",
    );
  });

  it("the same token four days out, or an OAuth profile OpenClaw refreshes itself, is no finding", () => {
    const far = realAuthStatus();
    far.ts = (far.ts as number) - 3 * 86_400_000;
    const d = healthyData();
    d.ws.modelsRpc = summarizeModelsAuth({ ok: true, payload: far });
    expect(classify(d).findings.map((f) => f.id)).not.toContain("model-auth-expiring");
    const oauth = JSON.parse(JSON.stringify(realAuthStatus()).replace('"type":"token"', '"type":"oauth"')) as Record<
      string,
      unknown
    >;
    d.ws.modelsRpc = summarizeModelsAuth({ ok: true, payload: oauth });
    expect(classify(d).findings.map((f) => f.id)).not.toContain("model-auth-expiring");
  });

  it("an OAuth refresh failing since the start (dist strings) → model-auth-refresh-failing with the reason", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("dist-strings-models.log"));
    d.ws.modelsRpc = { ok: true, providers: [{ provider: "openai-codex", status: "ok" }] };
    const f = classify(d).findings.find((x) => x.id === "model-auth-refresh-failing");
    expect(f?.severity).toBe("fail");
    expect(f?.evidence[0]).toBe(
      '/tmp/openclaw/openclaw-2026-11-24.log: 1 "oauth-refresh-failed" line (refresh_token_reused×1), newest 2026-11-24T09:12:00.000+00:00',
    );
    expect(f?.evidence).toContain("models.authStatus: openai-codex ok");
    expect(f?.falseGreen).toContain("says openai-codex ok");
  });
});

describe("class 5: provider cooldown", () => {
  it("reads an 'All models failed' line into its attempts", () => {
    expect(
      failedAttempts(
        "All models failed (2): openai/gpt-6-astra: Provider openai is in cooldown (rate_limit) | anthropic/claude-sonnet-5: 429 rate limit exceeded (rate_limit)",
      ),
    ).toEqual({
      count: 2,
      attempts: [
        "openai/gpt-6-astra: Provider openai is in cooldown (rate_limit)",
        "anthropic/claude-sonnet-5: 429 rate limit exceeded (rate_limit)",
      ],
    });
  });

  it("every model failed or in cooldown (dist strings) → all-models-failed, saying what is configured and what was tried", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("dist-strings-models.log"));
    d.config.modelRefs = [
      { ref: "openai/gpt-6-astra", source: "agents.defaults.model.primary" },
      { ref: "anthropic/claude-sonnet-5", source: "agents.defaults.model.fallbacks" },
    ];
    const c = classify(d);
    const all = c.findings.find((x) => x.id === "all-models-failed");
    expect(all?.severity).toBe("fail");
    expect(all?.evidence).toContain(
      "fallbacks configured: anthropic/claude-sonnet-5 (agents.defaults.model.fallbacks)",
    );
    expect(all?.evidence).toContain("newest failure: 2 model(s) in the chain, 0 tried, 2 skipped in cooldown");
    expect(all?.falseGreen).toContain("/readyz 200");
    const cooldown = c.findings.find((x) => x.id === "provider-cooldown");
    expect(cooldown?.evidence[0]).toBe(
      '/tmp/openclaw/openclaw-2026-11-24.log: 2 "model-cooldown" lines (openai×2), newest 2026-11-24T09:21:00.000+00:00',
    );
  });

  it("without fallbacks in the config, the finding says so", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("dist-strings-models.log"));
    const f = classify(d).findings.find((x) => x.id === "all-models-failed");
    expect(f?.evidence).toContain("no fallback model configured (agents.*.model.fallbacks is empty)");
  });
});
