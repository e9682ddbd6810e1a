import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/core/commands/parse.ts";

describe("parseCommand", () => {
  it("parses the subcommands", () => {
    expect(parseCommand("triage node-3")).toEqual({ kind: "triage", host: "node-3" });
    expect(parseCommand("  TRIAGE   Node-3 ")).toEqual({ kind: "triage", host: "node-3" });
    expect(parseCommand("hosts")).toEqual({ kind: "hosts" });
    expect(parseCommand("")).toEqual({ kind: "help" });
    expect(parseCommand("help")).toEqual({ kind: "help" });
    expect(parseCommand("enroll gw-eu-1")).toEqual({ kind: "enroll", host: "gw-eu-1" });
  });

  it("gives actionable errors with stable codes", () => {
    expect(() => parseCommand("reboot node-3")).toThrow(
      expect.objectContaining({ code: "unknown_command", message: expect.stringContaining("/openclaw help") }),
    );
    expect(() => parseCommand("triage")).toThrow(
      expect.objectContaining({ code: "bad_request", message: expect.stringContaining("/openclaw triage <host>") }),
    );
    expect(() => parseCommand("triage a b")).toThrow(expect.objectContaining({ code: "bad_request" }));
    for (const bad of ["node_3", "-node", "node-", "a".repeat(64), "../etc", "<@U123>", "node;rm"]) {
      expect(() => parseCommand(`triage ${bad}`), bad).toThrow(expect.objectContaining({ code: "invalid_host_name" }));
    }
  });
});
