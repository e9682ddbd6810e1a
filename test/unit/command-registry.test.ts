import { describe, expect, it } from "vitest";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { renderHelp } from "../../src/core/commands/help.ts";
import { COMMANDS, parseCommandText } from "../../src/core/commands/registry.ts";
import type { Metrics } from "../../src/core/ports/metrics.ts";
import type { CommandRequest } from "../../src/core/requests/types.ts";
import { testDeps } from "../support/test-deps.ts";

/**
 * The command registry (src/core/commands/registry.ts): one entry per command, its help beside
 * its parser, and the registry's authorize step ahead of the handler. The commands' own words
 * and answers are asserted where each command is tested; this file holds what the registry
 * promises about all of them.
 */

const request = (text: string, over: Partial<CommandRequest> = {}): CommandRequest => ({
  text,
  user: "U0STRANGER",
  channel: "C0OPS",
  requestKey: `slack:T1:${text}:${Math.random()}`,
  source: "slack",
  ...over,
});

describe("the command registry", () => {
  it("gives each command's help lines with the words that start it", () => {
    for (const entry of COMMANDS) {
      expect(entry.help.length, entry.words.join()).toBeGreaterThan(0);
      for (const line of entry.help) {
        const [slash, word] = line.usage.split(" ");
        expect(slash).toBe("/openclaw");
        expect(entry.words, line.usage).toContain(word);
      }
    }
  });

  it("sends each input to one entry: a word two entries share is split by what follows", () => {
    const byWord = new Map<string, typeof COMMANDS>();
    for (const entry of COMMANDS) for (const w of entry.words) byWord.set(w, [...(byWord.get(w) ?? []), entry]);
    for (const [word, entries] of byWord) {
      if (entries.length > 1) for (const e of entries) expect(e.accepts, word).toBeDefined();
    }
    expect(parseCommandText("status").command).toEqual({ kind: "status", scope: { kind: "freezes" } });
    expect(parseCommandText("status all").command).toEqual({ kind: "fleet-status", selector: { kind: "all" } });
    expect(parseCommandText("incident NEW gateway down").command).toMatchObject({ action: "new" });
    expect(parseCommandText("incident inc_abc123 ack").command).toMatchObject({ id: "inc_abc123", action: "ack" });
    expect(parseCommandText("").entry).toBe(parseCommandText("HELP").entry);
  });

  it("lists every entry's lines in help, in registry order", () => {
    const shown = JSON.stringify(renderHelp());
    const at = COMMANDS.flatMap((e) => e.help).map((l) => shown.indexOf(`\`${l.usage}\``));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it("refuses a `before` action ahead of the handler, counted and audited like any refusal", async () => {
    const counted: Record<string, string>[] = [];
    const metrics: Metrics = { count: (_name, labels) => void counted.push(labels), observe() {} };
    const deps = testDeps({ metrics });
    // No host `node-3` is enrolled: had the handler run first, the answer would say so.
    const reply = await handleCommand(deps, request("revoke node-3"));
    expect(reply.error?.code).toBe("forbidden");
    expect(counted).toEqual([{ command: "revoke", outcome: "refused" }]);
    const [row] = await deps.recovery.store.listAudit({ order: "desc", limit: 1 });
    expect(row).toMatchObject({ action: "command", host: "node-3", outcome: "refused", actor: "U0STRANGER" });
    expect(row?.detail).toContain("/openclaw revoke node-3 → forbidden");
  });

  it("leaves the console's operator unchecked where the entry says so (enroll)", async () => {
    const deps = testDeps({});
    const fromSlack = await handleCommand(deps, request("enroll node-9"));
    expect(fromSlack.error?.code).toBe("forbidden");
    const fromConsole = await handleCommand(deps, request("enroll node-9", { source: "console", user: "alice" }));
    expect(fromConsole.error).toBeUndefined();
    expect(JSON.stringify(fromConsole.ack)).toContain("Enrollment code for *node-9*");
  });
});
