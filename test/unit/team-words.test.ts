import { describe, expect, it } from "vitest";
import { readsAsDecision } from "../../src/core/tickets/team-words.ts";

/** Which thread messages the postmortem lists as decisions (src/core/tickets/team-words.ts). */
describe("readsAsDecision", () => {
  it("finds a decision in the words teams write one in, with either apostrophe", () => {
    for (const text of [
      "decided: restart through the runbook",
      "Agreed, freeze the fleet",
      "let’s roll back to 2026.9.5",
      "we'll rotate the token from one shell",
      "We’re going to page the vendor",
      "plan is: drain then restart",
    ]) {
      expect(readsAsDecision(text), text).toBe(true);
    }
  });

  it("leaves questions and observations alone", () => {
    for (const text of [
      "healthz is green",
      "who has the token?",
      "clients get 1008 since 08:58",
      "letsencrypt renewal ran",
    ]) {
      expect(readsAsDecision(text), text).toBe(false);
    }
  });
});
