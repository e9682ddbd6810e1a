import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { redactDeep, redactText } from "../../src/agent/probes/redact.ts";
import { scanText } from "../../src/core/bundles/scan.ts";
import { scrubDeep, scrubPatterns } from "../../src/core/secret-scrub.ts";

/**
 * A digest is a version, not a credential (issue 44's shape rule, found on the real gateway):
 * OpenClaw's `config.get` answers `configRevisionHash` and `appliedConfigHash` as base64url
 * HMACs, 43 characters of mixed case and digits. Judged by shape alone they were redacted to the
 * same marker on both sides, so `config-not-applied` (file revision ≠ applied) could never fire.
 * Both layers keep a value named as a digest, and still redact a generated value under any other
 * name.
 */
describe("digests and revision tokens", () => {
  // Drawn until it has every class the shape rule asks for, as a real one nearly always does.
  const drawKey = () => {
    for (;;) {
      const v = randomBytes(32).toString("base64url");
      if (/[A-Z]/.test(v) && /[a-z]/.test(v) && /\d/.test(v)) return v;
    }
  };
  /** As OpenClaw 2026.9.6 answers it (config-revision-token-*.mjs): `hmac-sha256:v1:<base64url>`. */
  const draw = () => `hmac-sha256:v1:${drawKey()}`;

  it("the agent keeps fileHash / appliedHash and still redacts an hmac", () => {
    const file = draw();
    const applied = draw();
    const secret = drawKey();
    const out = redactDeep({ configRpc: { ok: true, fileHash: file, appliedHash: applied }, plugin: { hmac: secret } });
    expect(out.configRpc.fileHash).toBe(file);
    expect(out.configRpc.appliedHash).toBe(applied);
    expect(JSON.stringify(out)).not.toContain(secret);
    const etag = drawKey();
    expect(redactText(`etag: ${etag}`)).toBe(`etag: ${etag}`);
  });

  it("the control plane's scrub keeps them too, and still scrubs a generated value beside another name", () => {
    const file = drawKey();
    const secret = drawKey();
    expect(scrubPatterns(`{"fileHash":"${file}"}`)).toBe(`{"fileHash":"${file}"}`);
    expect(scrubPatterns(`config revision=${file}`)).toBe(`config revision=${file}`);
    expect(scrubPatterns(`{"access":"${secret}"}`)).not.toContain(secret);
  });

  it("the control plane's scrub of a job's results (each value alone) keeps them, and the finding they feed fires", async () => {
    const file = draw();
    const applied = draw();
    const secret = drawKey();
    const out = await scrubDeep({
      configRpc: { ok: true, fileHash: file, appliedHash: applied },
      note: { refresh: secret },
    });
    expect(out.configRpc).toEqual({ ok: true, fileHash: file, appliedHash: applied });
    expect(JSON.stringify(out)).not.toContain(secret);
  });

  it("in text as a bundle holds it (the timeline's running config hash, a triage's JSON): kept by both layers and not refused by the bundle's scan", () => {
    const hash = draw();
    const secret = drawKey();
    const timeline = `{\n  "runningConfigHash": "${hash}",\n  "closeCodes": []\n}\n`;
    expect(redactText(timeline)).toBe(timeline);
    expect(scrubPatterns(timeline)).toBe(timeline);
    expect(scanText("timeline.json", timeline)).toEqual([]);
    // A generated value beside any other name is still refused.
    expect(scanText("auth.json", `{"refresh": "${secret}"}`).map((h) => h.kind)).toContain("generated-value");
  });
});
