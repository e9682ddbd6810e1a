import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { redactDeep, redactText } from "../../src/agent/probes/redact.ts";
import { scrubPatterns } from "../../src/core/secret-scrub.ts";

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
  const draw = () => {
    for (;;) {
      const v = randomBytes(32).toString("base64url");
      if (/[A-Z]/.test(v) && /[a-z]/.test(v) && /\d/.test(v)) return v;
    }
  };

  it("the agent keeps fileHash / appliedHash and still redacts an hmac", () => {
    const file = draw();
    const applied = draw();
    const secret = draw();
    const out = redactDeep({ configRpc: { ok: true, fileHash: file, appliedHash: applied }, plugin: { hmac: secret } });
    expect(out.configRpc.fileHash).toBe(file);
    expect(out.configRpc.appliedHash).toBe(applied);
    expect(JSON.stringify(out)).not.toContain(secret);
    expect(redactText(`etag: ${file}`)).toBe(`etag: ${file}`);
  });

  it("the control plane's scrub keeps them too, and still scrubs a generated value beside another name", () => {
    const file = draw();
    const secret = draw();
    expect(scrubPatterns(`{"fileHash":"${file}"}`)).toBe(`{"fileHash":"${file}"}`);
    expect(scrubPatterns(`config revision=${file}`)).toBe(`config revision=${file}`);
    expect(scrubPatterns(`{"access":"${secret}"}`)).not.toContain(secret);
  });
});
