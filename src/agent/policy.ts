import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MutatingStep } from "../contract/approval.ts";
import { fileIssue } from "../contract/issues.ts";
import { AgentPolicy, ApprovalPin } from "./schemas.ts";

/**
 * The host's own say over mutating steps: `policy.json` in the agent's state dir, written
 * by whoever administers the host. Default deny: without the file, or without a step in
 * `allow`, the agent refuses that step whatever the control plane approved.
 *
 *   { "allow": ["gateway.restart"] }
 *
 * `supervisor` says how the gateway is run when detection (cgroups) cannot tell or gets it wrong,
 * e.g. on macOS: { "kind": "systemd", "unit": "openclaw-gateway.service", "user": true },
 * { "kind": "launchd", "label": "ai.openclaw.gateway" }, { "kind": "container", "container":
 * "openclaw-gateway" } or { "kind": "manual" }. Restarts then go through that supervisor.
 */
export const POLICY_FILE = "policy.json";

export type PolicyLoad = { ok: true; policy: AgentPolicy; path: string } | { ok: false; reason: string; path: string };

/** Read on every mutating step, so an edit takes effect without restarting the agent. */
export function loadAgentPolicy(stateDir: string): PolicyLoad {
  const path = join(stateDir, POLICY_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { ok: true, policy: { allow: [] }, path };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, path, reason: `${path} is not valid JSON (${String(err)}); every mutating step is refused` };
  }
  const parsed = AgentPolicy.safeParse(json);
  if (!parsed.success) {
    return { ok: false, path, reason: `${fileIssue(path, parsed.error.issues)}; every mutating step is refused` };
  }
  return { ok: true, policy: parsed.data, path };
}

/** Null when the local policy allows the step; otherwise the refusal reason for the thread. */
export function policyRefusal(stateDir: string, step: MutatingStep, host: string): string | null {
  const loaded = loadAgentPolicy(stateDir);
  if (!loaded.ok) return `The agent on ${host} refused ${step}: ${loaded.reason}.`;
  if (loaded.policy.allow.includes(step)) return null;
  return `The agent on ${host} refused ${step}: its local policy (${loaded.path}) does not allow it. A host administrator can add "${step}" to "allow" there.`;
}

/** The control plane's approval public key, pinned at enrollment (trust on first use of the one-time code). */
export const APPROVAL_PIN_FILE = "approval-pin.json";

export function saveApprovalPin(stateDir: string, publicKey: string): void {
  writeFileSync(join(stateDir, APPROVAL_PIN_FILE), `${JSON.stringify({ publicKey })}\n`, { mode: 0o600 });
}

/** Null when the agent was enrolled before approvals existed: then every mutating step is refused. */
export function loadApprovalPin(stateDir: string): string | null {
  try {
    const parsed = ApprovalPin.safeParse(JSON.parse(readFileSync(join(stateDir, APPROVAL_PIN_FILE), "utf8")));
    return parsed.success ? parsed.data.publicKey : null;
  } catch {
    return null;
  }
}
