import { describe, expect, it } from "vitest";
import { redactDeep, redactText } from "../../src/agent/probes/redact.ts";

describe("redactText", () => {
  it("removes known secret values wherever they appear", () => {
    const token = "lab-token-aaaa1111";
    const out = redactText(`connect with ${token}; again:${token}.`, [token]);
    expect(out).toBe("connect with [REDACTED:known-secret]; again:[REDACTED:known-secret].");
  });

  it("ignores known 'secrets' too short to be real, so text stays readable", () => {
    expect(redactText("a abc b", ["abc"])).toBe("a abc b");
  });

  it.each([
    ["Authorization: Bearer abc.def-ghi_jkl", "Authorization: Bearer [REDACTED:bearer]"],
    ["authorization: Basic dXNlcjpwYXNzd29yZA==", "authorization: Basic [REDACTED:basic-auth]"],
    ["openclaw gateway run --token s3cr3t-v4lue --port 1", "openclaw gateway run --token [REDACTED:cli-arg] --port 1"],
    ["openclaw gateway run --token=s3cr3t-v4lue", "openclaw gateway run --token=[REDACTED:cli-arg]"],
    ["x --password 'hunter two' y", "x --password [REDACTED:cli-arg] y"],
    ["OPENCLAW_GATEWAY_TOKEN=abc123xyz other", "OPENCLAW_GATEWAY_TOKEN=[REDACTED:secret-pair] other"],
    ["GET /x?token=abc123&y=1", "GET /x?token=[REDACTED:secret-pair]&y=1"],
    ["password: hunter2", "password: [REDACTED:secret-pair]"],
    [
      '{"token":"abc123","deviceToken": "w9buZ-xyz"}',
      '{"token":"[REDACTED:secret-field]","deviceToken": "[REDACTED:secret-field]"}',
    ],
    ["https://user:pa55w0rd@example.test/repo", "https://[REDACTED:url-credentials]@example.test/repo"],
    ["wss://ghp1234567890abcdefghijklmn@example.test", "wss://[REDACTED:url-credentials]@example.test"],
    ["slack xoxb-1234567890-abcdefghij done", "slack [REDACTED:slack-token] done"],
    ["key sk-ant-api03-abcdefghijklmnop", "key [REDACTED:anthropic-key]"],
    ["key sk-proj-abcdefghijklmnopqrstuv", "key [REDACTED:openai-key]"],
    ["aws AKIAIOSFODNN7EXAMPLE", "aws [REDACTED:aws-access-key]"],
  ])("redacts %s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it("removes a whole private key block", () => {
    const pem =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\ntoken=abc\n-----END OPENSSH PRIVATE KEY-----";
    expect(redactText(`before\n${pem}\nafter`)).toBe("before\n[REDACTED:private-key]\nafter");
  });

  it("keeps the gateway's own diagnostic wording intact", () => {
    const text = "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)";
    expect(redactText(text)).toBe(text);
    expect(redactText("tokenSource=config fingerprint sha256:0123456789ab")).toBe(
      "tokenSource=config fingerprint sha256:0123456789ab",
    );
  });

  it("does not redact an already redacted value twice", () => {
    const once = redactText("--token abcdefgh", ["abcdefgh"]);
    expect(once).toBe("--token [REDACTED:known-secret]");
    expect(redactText(once)).toBe(once);
  });
});

describe("redactDeep", () => {
  it("redacts every string, and whole values under secret-named fields", () => {
    const token = "tok-1234567890";
    const input = {
      step: "gateway.status",
      data: {
        stderrTail: `gateway connect failed with ${token}`,
        nested: [{ auth: { token: "short", deviceToken: "dev-xyz" } }, `Bearer ${token}`],
        tokenSource: "config",
        tokenConfigured: true,
        count: 3,
        none: null,
      },
    };
    const out = redactDeep(input, [token]);
    expect(out).toEqual({
      step: "gateway.status",
      data: {
        stderrTail: "gateway connect failed with [REDACTED:known-secret]",
        nested: [
          { auth: { token: "[REDACTED:secret-field]", deviceToken: "[REDACTED:secret-field]" } },
          "Bearer [REDACTED:known-secret]",
        ],
        tokenSource: "config",
        tokenConfigured: true,
        count: 3,
        none: null,
      },
    });
    expect(JSON.stringify(out)).not.toContain(token);
    // The input is left as it was.
    expect(input.data.stderrTail).toContain(token);
  });
});
