import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sanitize } from "../../src/agent/probes/bundle-sanitize.ts";
import { analyseLog } from "../../src/agent/probes/bundle-timeline.ts";
import { redactTextCounted } from "../../src/agent/probes/redact.ts";
import { describeHits, scanText } from "../../src/core/bundles/scan.ts";

describe("host redaction, extended for bundles", () => {
  it.each([
    ["slack config token", "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtMTIzNDU2", "slack-token"],
    ["slack app token", "xapp-1-A0123-456789-abcdef0123", "slack-token"],
    ["google key", "AIzaSyA1234567890abcdefghijklmnopqrstu", "google-api-key"],
    ["groq key", "gsk_abcdefghijklmnopqrstuvwxyz012345", "provider-key"],
    ["basic header", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "basic-auth"],
  ])("%s is removed and counted", (_label, secret, kind) => {
    const { text, counts } = redactTextCounted(`value ${secret} end`);
    expect(text).not.toContain(secret.slice(-12));
    expect(counts.get(kind)).toBe(1);
  });

  it("counts only what it added", () => {
    const { counts } = redactTextCounted("[REDACTED:bearer] and Bearer abcdefghijkl");
    expect(counts.get("bearer")).toBe(1);
  });
});

describe("binary junk and the log timeline", () => {
  it("a binary line becomes a marker; stray control characters become dots", () => {
    const s = sanitize("ok line\n\u0000\u0001\u0002\u0003bin\nbell\u0007 here");
    expect(s.binaryLines).toBe(1);
    expect(s.text).toBe("ok line\n[binary data: 7 characters omitted]\nbell. here");
  });

  it("finds the last start, the last disconnect, close codes and token rotation", () => {
    const lines = [
      "2026-11-22T09:00:00Z [gateway] loading configuration…",
      "2026-11-22T09:00:05Z [gateway] ready",
      '{"0":"{\\"subsystem\\":\\"gateway/reload\\"}","1":"config hot reload applied (gateway.auth.token)","time":"2026-11-22T09:01:00.000Z"}',
      "2026-11-22T09:01:00Z [ws] closed conn=a code=4001 reason=gateway auth changed",
      "2026-11-22T09:02:00Z [gateway] loading configuration…",
      "2026-11-22T09:02:06Z [gateway] ready",
      "2026-11-22T09:03:00Z [ws] closed before connect conn=b code=1000 reason= phase=ws_upgrade_started",
    ].map((text) => ({ text, binary: false }));
    const a = analyseLog(lines);
    expect(a.lastStart).toBe(4);
    expect(a.lastDisconnect).toBe(6);
    expect(a.events.filter((e) => e.kind === "close").map((e) => e.code)).toEqual([4001, 1000]);
    expect(a.events.some((e) => e.kind === "token-rotation" && e.at === "2026-11-22T09:01:00.000Z")).toBe(true);
    expect(a.events.filter((e) => e.kind === "gateway-start")).toHaveLength(2);
  });
});

describe("the timeline on a real 2026.9.6 gateway file log", () => {
  const real = readFileSync(new URL("./fixtures/openclaw/logs/real-gateway.jsonl", import.meta.url), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((text) => ({ text, binary: false }));

  it("finds every start (restarts log no `loading configuration`), the last disconnect and its close code", () => {
    const a = analyseLog(real);
    expect(a.events.filter((e) => e.kind === "gateway-start").map((e) => e.at)).toEqual([
      "2026-11-22T08:12:15.316Z",
      "2026-11-22T08:13:17.903Z",
      "2026-11-22T08:13:32.831Z",
    ]);
    expect(a.lastStart).toBe(12);
    expect(real[a.lastDisconnect ?? 0]?.text).toContain("closed before connect");
    expect(a.events.find((e) => e.kind === "close" && e.code === 1000)?.at).toBe("2026-11-22T08:21:06.262Z");
    expect(a.events.some((e) => e.kind === "config-reload-failed")).toBe(true);
    // `Gateway stop policy=…`-style lines are not policy hits; nothing here is.
    expect(a.policyLines).toEqual([]);
  });
});

describe("the control plane's second scan", () => {
  it("passes real gateway prose, markers, fingerprints and placeholders", () => {
    for (const line of [
      "unauthorized: gateway token mismatch (provide gateway auth token)",
      '"tokenSource": "config", "fingerprint": "sha256:0a1b2c3d4e5f"',
      '"token": "[REDACTED:secret-field]"',
      "config get gateway redacts the token as __OPENCLAW_REDACTED__",
      "openclaw gateway --token <token>",
      `token=$${"{"}OPENCLAW_GATEWAY_TOKEN}`,
    ]) {
      expect(scanText("f", line), line).toEqual([]);
    }
  });

  it("flags what host redaction missed, naming kind and place, never the value", () => {
    const hits = [
      ...scanText("config/openclaw.json", '"apiToken": "Zx81kQ2m9Lr7Tt0pWq"'),
      ...scanText("logs/a.log", "-----BEGIN OPENSSH PRIVATE KEY-----"),
      ...scanText("cli/status-all.txt", "proxy https://bob:Pa55w0rd99@proxy.example"),
    ];
    expect(hits.map((h) => h.kind)).toEqual(["secret-assignment", "private-key", "url-credentials"]);
    const why = describeHits(hits);
    expect(why).toContain("config/openclaw.json: 1× secret-assignment");
    expect(why).not.toContain("Zx81kQ2m9Lr7Tt0pWq");
    expect(why).not.toContain("Pa55w0rd99");
  });
});
