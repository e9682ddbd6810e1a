import { describe, expect, it } from "vitest";
import { summarizeModelsAuth } from "../../src/agent/probes/gateway-ws.ts";
import { TRIAGE_STEP_NAMES } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { type Data, healthyData, triageResults } from "../support/evidence.ts";

/**
 * Model routing without `openclaw models status` (issue 17): the gateway's `models.authStatus`
 * beside the model refs the config names. Payload shapes from openclaw 2026.9.6
 * (models-auth-status handler; a freshly set-up lab answers `providers: []`).
 */
const classify = (d: Data) => classifyResults(triageResults(d), TRIAGE_STEP_NAMES);

describe("summarizeModelsAuth", () => {
  it("keeps provider, status and expiries only (profile type and status, issue 30), never keys or emails", () => {
    const s = summarizeModelsAuth({
      ok: true,
      payload: {
        ts: 1,
        providers: [
          {
            provider: "anthropic",
            status: "expired",
            apiKey: { source: "env", envVar: "ANTHROPIC_API_KEY" },
            profiles: [{ profileId: "p1", email: "op@example.com", type: "oauth" }],
          },
        ],
        providerCapabilities: [{ provider: "openai", apiKeySupported: true }],
      },
    });
    expect(s).toEqual({
      ok: true,
      ts: 1,
      providers: [
        { provider: "anthropic", status: "expired", profiles: [{ profileId: "p1", type: "oauth", status: "unknown" }] },
      ],
    });
    expect(JSON.stringify(s)).not.toContain("ANTHROPIC_API_KEY");
    expect(JSON.stringify(s)).not.toContain("example.com");
  });

  it("says when the gateway could not prepare the answer, and passes a refusal on", () => {
    expect(
      summarizeModelsAuth({
        ok: true,
        payload: { providers: [], unavailable: { code: "PREPARED_MODEL_AUTH_UNAVAILABLE" } },
      }),
    ).toEqual({ ok: true, providers: [], unavailable: "PREPARED_MODEL_AUTH_UNAVAILABLE" });
    expect(summarizeModelsAuth({ ok: false, error: { code: "INVALID_REQUEST", message: "missing scope" } })).toEqual({
      ok: false,
      error: { code: "INVALID_REQUEST", message: "missing scope" },
    });
  });
});

describe("model findings from the gateway's session", () => {
  it("in service (the provider's key in place): default model from the config, no finding", () => {
    const c = classify(healthyData());
    expect(c.findings).toEqual([]);
    expect(c.matrix.model_routing).toEqual({ status: "ok", reason: "default model openai/gpt-6-astra (config)" });
  });

  it("freshly set up (no model in the config, no credentials): model-auth-missing, a warning", () => {
    const d = healthyData();
    d.config.modelRefs = [];
    d.ws.modelsRpc = { ok: true, providers: [] };
    const c = classify(d);
    expect(c.findings.map((f) => [f.id, f.severity])).toEqual([["model-auth-missing", "warn"]]);
    expect(c.findings[0]?.evidence).toEqual([
      "gateway models.authStatus: no provider has credentials",
      "config /home/op/.openclaw/openclaw.json: names no model, so the gateway uses its built-in default",
    ]);
    expect(c.matrix.model_routing.status).toBe("warn");
  });

  it("a configured provider whose credentials expired is named with the gateway's word", () => {
    const d = healthyData();
    d.config.modelRefs = [{ ref: "anthropic/claude-opus-5", source: "agents.defaults.model.primary" }];
    d.ws.modelsRpc = { ok: true, providers: [{ provider: "anthropic", status: "expired" }] };
    const c = classify(d);
    expect(c.findings.find((f) => f.id === "model-auth-missing")?.evidence).toEqual([
      "provider anthropic, used by anthropic/claude-opus-5 (agents.defaults.model.primary): gateway models.authStatus says expired",
    ]);
  });

  it("a CLI-only default route is seen from the config alone, gateway down or not", () => {
    const d = healthyData();
    d.config.modelRefs = [{ ref: "claude-cli/opus", source: "agents.defaults.model" }];
    expect(classify(d).findings[0]?.id).toBe("cli-only-model-backend");
    d.ws = { ...d.ws, outcome: "refused", modelsRpc: undefined };
    expect(classify(d).findings.map((f) => f.id)).toContain("cli-only-model-backend");
  });

  it("no session: model routing stays unknown and no credentials finding is claimed", () => {
    const d = healthyData();
    d.ws = { ...d.ws, modelsRpc: undefined };
    const c = classify(d);
    expect(c.matrix.model_routing).toEqual({
      status: "unknown",
      reason: "no gateway session: model credentials not checked",
    });
    expect(c.findings.map((f) => f.id)).not.toContain("model-auth-missing");
  });
});
