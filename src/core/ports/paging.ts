import type { IncidentSourceKind, Severity } from "./incident-book.ts";

/**
 * The team's pagers clawops pages through (docs/paging.md): PagerDuty's Events API v2, an
 * Opsgenie (Jira Service Management) alerts API, a generic webhook signed with HMAC-SHA256.
 * Each is on when its settings are present; the paging policy says which incidents page.
 */
export type PagerTarget =
  | {
      kind: "pagerduty";
      /** CLAWOPS_PAGERDUTY_ROUTING_KEY: the Events API v2 integration's routing key. */
      routingKey: string;
      /** PAGERDUTY_EVENTS_URL (default PagerDuty's own `…/v2/enqueue`; a stand-in in tests). */
      eventsUrl: string;
    }
  | {
      kind: "opsgenie";
      /** CLAWOPS_OPSGENIE_API_KEY: an API integration's key, sent as `GenieKey <key>`. */
      apiKey: string;
      /** OPSGENIE_API_URL (default the US instance; the EU one for EU accounts). */
      apiUrl: string;
    }
  | {
      kind: "webhook";
      /** CLAWOPS_PAGE_WEBHOOK_URL: any HTTPS endpoint (ntfy, a Teams workflow, your own). */
      url: string;
      /** CLAWOPS_PAGE_WEBHOOK_SECRET: the HMAC-SHA256 key of `X-Clawops-Signature`. */
      secret: string;
    };

/**
 * Which incidents page (CLAWOPS_PAGING_POLICY): per source, the least severe severity that still
 * pages (`watch:sev2` pages watch incidents of sev1 and sev2). A source not listed never pages.
 */
export type PagingPolicy = Partial<Record<IncidentSourceKind, Severity>>;

/**
 * Escalation for teams without a pager (CLAWOPS_ESCALATION_*): an incident that pages by the
 * policy and is not acknowledged within `afterMs` is announced again in its thread with the
 * level's on-call mentioned, `repeat` times per level, then the next level's.
 */
export interface EscalationPolicy {
  /** Each level's Slack user ids (`U…`, `W…`) and user-group ids (`S…`), mentioned together. */
  levels: string[][];
  afterMs: number;
  repeat: number;
}

export interface PagingServices {
  /** The pagers paged; may be empty when only escalation is configured. */
  targets: PagerTarget[];
  escalation?: EscalationPolicy;
  policy: PagingPolicy;
  /** Where a person opens an incident (the console's, or Slack's thread link), for the page's links. */
  incidentUrl?: (incidentId: string) => string | null;
  fetch?: typeof fetch;
}
