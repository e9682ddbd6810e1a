/**
 * What restarts this agent when it exits, if anything: the agent upgrades itself in place only
 * where something will start the new file once the old process has made way for it. The units
 * say so (CLAWOPS_AGENT_SUPERVISOR in infra/systemd/clawops-agent.service and
 * infra/launchd/ai.clawops.agent.plist, `install.sh` in the install script's foreground loop);
 * for a unit from before that, systemd's INVOCATION_ID and launchd's XPC_SERVICE_NAME tell.
 */
export const SUPERVISOR_ENV = "CLAWOPS_AGENT_SUPERVISOR";

export function agentSupervisor(env: Readonly<Record<string, string | undefined>>): string | null {
  const named = env[SUPERVISOR_ENV]?.trim();
  if (named) return named.slice(0, 40);
  if (env.INVOCATION_ID) return "systemd";
  if (env.XPC_SERVICE_NAME?.startsWith("ai.clawops.")) return "launchd";
  return null;
}

/** The exit code that asks the supervisor for a restart into the new file (sysexits' EX_TEMPFAIL). */
export const RESTART_EXIT_CODE = 75;

/** Set by the old agent on the process that tries the new file (trial.ts): it must not take the state lock. */
export const TRIAL_ENV = "CLAWOPS_AGENT_TRIAL";
/** What the trial prints on its stdout once it is online and passed its probe. */
export const TRIAL_PASSED = "clawops-agent-trial: passed";
