import type { WatchSettings } from "../../core/hosts/watch-state.ts";
import type { TicketConfig } from "../../core/ports/bundles.ts";
import type { IncidentChannelSettings } from "../../core/ports/deps.ts";
import type { PagerDutyServices } from "../../core/ports/pagerduty.ts";

/**
 * The shared variables (src/adapters/env/shared-vars.ts) as core's settings, on both runtimes
 * (issue 45, item 1): reading variables is the runtime edge's job, so core takes the settings and
 * never a variable's name. Node's src/node/config/load.ts and the Worker's src/worker/env.ts call
 * these with their parsed values (and with the raw text for the rules that tie several together).
 * Left in core: core/paging/settings.ts `pagingFromEnv` and core/incidents/report.ts
 * `digestFromEnv` (the on-call work's folders).
 */

type Vars = Readonly<Record<string, string | undefined>>;

/** The JIRA_* and GITHUB_* variables (Node environment, Worker secrets and vars) as a TicketConfig. */
export function ticketConfigOf(env: Vars): TicketConfig {
  const config: TicketConfig = {};
  if (env.JIRA_BASE_URL && env.JIRA_EMAIL && env.JIRA_API_TOKEN) {
    config.jira = {
      baseUrl: env.JIRA_BASE_URL,
      email: env.JIRA_EMAIL,
      apiToken: env.JIRA_API_TOKEN,
      // Where `ticket <incident> new jira` opens issues (issue 29, item 6).
      ...(env.JIRA_PROJECT?.trim() ? { project: env.JIRA_PROJECT.trim() } : {}),
      ...(env.JIRA_ISSUE_TYPE?.trim() ? { issueType: env.JIRA_ISSUE_TYPE.trim() } : {}),
      // Issue 41, item 4: a resolve moves the incident's Jira issue through this transition.
      ...(env.JIRA_RESOLVE_TRANSITION?.trim() ? { resolveTransition: env.JIRA_RESOLVE_TRANSITION.trim() } : {}),
    };
  }
  if (env.GITHUB_TOKEN) {
    config.github = {
      apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
      token: env.GITHUB_TOKEN,
      ...(env.GITHUB_REPO ? { repo: env.GITHUB_REPO } : {}),
    };
  }
  return config;
}

/**
 * The PAGERDUTY_* variables (Node environment, Worker secrets and vars) as the write-back's
 * settings: off without a token; a token without PAGERDUTY_FROM, or the resolve asked for
 * without a token, is a problem the start lists.
 */
export function pagerDutyOf(env: Vars): { services?: PagerDutyServices; problem?: string } {
  const token = env.PAGERDUTY_API_TOKEN?.trim();
  const from = env.PAGERDUTY_FROM?.trim();
  const resolve = /^(1|true|yes|on)$/i.test(env.CLAWOPS_PAGERDUTY_RESOLVE?.trim() ?? "");
  if (!token) {
    return resolve ? { problem: "CLAWOPS_PAGERDUTY_RESOLVE=1 needs PAGERDUTY_API_TOKEN and PAGERDUTY_FROM." } : {};
  }
  if (!from || !/^[^@\s]+@[^@\s]+$/.test(from)) {
    return {
      problem:
        "PAGERDUTY_API_TOKEN needs PAGERDUTY_FROM, the e-mail of a PagerDuty user (PagerDuty requires it on notes and resolves).",
    };
  }
  return {
    services: { apiUrl: env.PAGERDUTY_API_URL?.trim() || "https://api.pagerduty.com", token, from, resolve },
  };
}

/**
 * The watch settings from the CLAWOPS_WATCH_* variables, in seconds: CLAWOPS_WATCH_INTERVAL_S
 * (the interval agents are told; 0 turns the watch off), CLAWOPS_WATCH_DIGEST_S,
 * CLAWOPS_WATCH_FLAP_WINDOW_S, CLAWOPS_WATCH_LOST_S. Throws on a value that is not a number of
 * seconds.
 */
export function watchSettingsOf(env: Vars): Partial<WatchSettings> {
  const seconds = (name: string, min: number): number | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return undefined;
    const s = Number(raw);
    if (!Number.isFinite(s) || s < min)
      throw new Error(`${name}: "${raw.slice(0, 20)}" is not a number of seconds ≥ ${min}.`);
    return Math.round(s * 1000);
  };
  const intervalMs = seconds("CLAWOPS_WATCH_INTERVAL_S", 0);
  const digestMs = seconds("CLAWOPS_WATCH_DIGEST_S", 1);
  const flapWindowMs = seconds("CLAWOPS_WATCH_FLAP_WINDOW_S", 0);
  const lostAfterMs = seconds("CLAWOPS_WATCH_LOST_S", 1);
  return {
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(digestMs !== undefined ? { digestMs } : {}),
    ...(flapWindowMs !== undefined ? { flapWindowMs } : {}),
    ...(lostAfterMs !== undefined ? { lostAfterMs } : {}),
  };
}

/**
 * The CLAWOPS_INCIDENT_CHANNEL_* values, as the shared schema parsed them, as core's settings
 * (issue 41, item 2); undefined while the policy is off.
 */
export function incidentChannelsOf(v: {
  CLAWOPS_INCIDENT_CHANNEL_POLICY: Pick<IncidentChannelSettings, "mode" | "triggers">;
  CLAWOPS_INCIDENT_CHANNEL_NAME: string;
  CLAWOPS_INCIDENT_CHANNEL_PRIVATE: boolean;
  CLAWOPS_INCIDENT_CHANNEL_ARCHIVE: boolean;
}): IncidentChannelSettings | undefined {
  if (v.CLAWOPS_INCIDENT_CHANNEL_POLICY.mode === "off") return undefined;
  return {
    ...v.CLAWOPS_INCIDENT_CHANNEL_POLICY,
    nameTemplate: v.CLAWOPS_INCIDENT_CHANNEL_NAME,
    isPrivate: v.CLAWOPS_INCIDENT_CHANNEL_PRIVATE,
    archive: v.CLAWOPS_INCIDENT_CHANNEL_ARCHIVE,
  };
}
