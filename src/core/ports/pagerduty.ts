/**
 * PagerDuty's REST API v2 as clawops writes back to it (docs/alerts.md, "Writing back"): a note
 * on the PagerDuty incident an alert came from, and its resolve when asked for.
 */
export interface PagerDutyServices {
  /** PAGERDUTY_API_URL (default PagerDuty's own). */
  apiUrl: string;
  /** PAGERDUTY_API_TOKEN: a REST API key, sent as `Authorization: Token token=…`. */
  token: string;
  /** PAGERDUTY_FROM: a PagerDuty user's e-mail, the `From` header notes and updates require. */
  from: string;
  /** CLAWOPS_PAGERDUTY_RESOLVE: resolving an incident in clawops resolves its PagerDuty incident too. */
  resolve: boolean;
  fetch?: typeof fetch;
  retry?: { attempts: number; baseMs: number };
}
