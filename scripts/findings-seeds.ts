/**
 * How the seeds' items that have no finding of their own are covered (issue 30): each row says
 * which rules or steps answer it and which tests prove that. Rendered into docs/findings.md by
 * scripts/gen-findings.ts, which refuses a row naming a rule the catalog does not have.
 */
export type SeedCoverage = {
  /** The seed's own words, shortened. */
  item: string;
  /** Rule ids that answer it (checked against the catalog). */
  rules: string[];
  /** How, in one or two sentences: what is read and what is said. */
  how: string;
  /** The tests that show it, `file` or `file: case`. */
  proof: string[];
};

export const SEED_COVERAGE: readonly SeedCoverage[] = [
  {
    item: "Symptom 06: disconnects right after a policy change (dmPolicy / networkPolicy tightened; the handshake succeeds, the first packet is dropped)",
    rules: ["policy-tightened", "origin-not-allowed", "close-1008-policy", "pairing-required"],
    how:
      "A tightened channel policy drops messages after a good handshake: `policy-tightened` reads doctor's dmPolicy/allowFrom " +
      'findings (`dmPolicy "allowlist" but allowFrom is empty — all DMs will be blocked`) and heartbeats skipped as ' +
      "`dm-blocked`, and names the health RPC as the false green. A policy that refuses the connection itself is " +
      "`origin-not-allowed` (gateway.controlUi.allowedOrigins), `pairing-required` or `close-1008-policy`. OpenClaw " +
      "2026.9.6 has no `networkPolicy` setting for channels (its dist names none), so nothing reads one.",
    proof: [
      "test/unit/classify-auth.test.ts: policy tightened (doctor's wording from 2026.9.6; dm-blocked heartbeats)",
      "test/gateway/faults-netns.test.ts (origin refused on a real gateway)",
    ],
  },
  {
    item: "Runbook step 6: minimal acceptance tests, one read-only call and one write call, before reopening",
    rules: [],
    how:
      "Step 6 of `/openclaw recover` is the `gateway.acceptance` step: over the agent's own session it calls `status` " +
      "(read, operator.read), `sessions.create` (write, a labelled scratch session) and `sessions.delete` (its cleanup), " +
      "and the run fails, keeping the freeze, unless both pass. These are gateway RPCs, not agent tool calls: a tool call " +
      "needs a model, which a gateway without credentials (the test lab) cannot run.",
    proof: [
      "test/gateway/restart.test.ts (acceptance before and after a real restart)",
      "test/gateway/restart-supervised.test.ts (refused with token drift, passing after the supervised restart)",
      "test/gateway/recover.test.ts (the whole runbook)",
    ],
  },
];
