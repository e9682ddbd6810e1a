import { errorMessage } from "../../contract/errors.ts";
import { ClawopsError } from "../errors.ts";
import type { TicketConfig, TicketRef } from "../ports/bundles.ts";

/**
 * Attaching a bundle to tickets. fetch only (Node and Workers).
 *  - Jira Cloud: `POST /rest/api/3/issue/{key}/attachments`, multipart field `file`, header
 *    `X-Atlassian-Token: no-check`, basic auth `email:API token`.
 *    https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-attachments/
 *  - GitHub: `POST /repos/{owner}/{repo}/issues/{n}/comments` with the summary and the signed
 *    link (GitHub has no attachment API), `Authorization: Bearer`, `Accept:
 *    application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`.
 *    https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
 */

const JIRA_KEY = /^[A-Z][A-Z0-9_]{0,30}-\d{1,9}$/;
const GITHUB_REF = /^(?:([A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}))?#(\d{1,9})$/;

/** `OPS-12` → Jira; `#7` or `owner/repo#7` → GitHub. */
export function parseTicketRef(raw: string): TicketRef | null {
  if (JIRA_KEY.test(raw)) return { system: "jira", key: raw };
  const m = GITHUB_REF.exec(raw);
  if (m?.[2]) return { system: "github", repo: m[1] ?? null, number: Number(m[2]), label: raw };
  return null;
}

export function ticketLabel(t: TicketRef): string {
  return t.system === "jira" ? t.key : t.label;
}

export type TicketDelivery = {
  filename: string;
  bytes: Uint8Array;
  summary: string;
  link: string;
  /** Until when `link` works (a ticket's link is kept long: bundles/keep.ts). */
  linkExpiresAt?: number;
  /** The file's type (default application/zip; the postmortem is text/markdown). */
  contentType?: string;
};

export async function deliverToTicket(
  config: TicketConfig,
  ticket: TicketRef,
  d: TicketDelivery,
  doFetch: typeof fetch = fetch,
): Promise<{ url?: string }> {
  if (ticket.system === "jira") {
    const jira = config.jira;
    if (!jira)
      throw new ClawopsError(
        "ticket_not_configured",
        "Jira is not configured (JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN).",
      );
    const form = new FormData();
    form.append(
      "file",
      new Blob([d.bytes as Uint8Array<ArrayBuffer>], { type: d.contentType ?? "application/zip" }),
      d.filename,
    );
    const url = `${jira.baseUrl.replace(/\/+$/, "")}/rest/api/3/issue/${encodeURIComponent(ticket.key)}/attachments`;
    const res = await call(doFetch, url, {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa(`${jira.email}:${jira.apiToken}`)}`,
        "x-atlassian-token": "no-check",
        accept: "application/json",
      },
      body: form,
    });
    await expectOk(res, `Jira attachment to ${ticket.key}`);
    return {};
  }
  const gh = config.github;
  if (!gh) throw new ClawopsError("ticket_not_configured", "GitHub is not configured (GITHUB_TOKEN, GITHUB_REPO).");
  const repo = ticket.repo ?? gh.repo;
  if (!repo)
    throw new ClawopsError(
      "ticket_not_configured",
      `No repository for ${ticket.label}: use owner/repo#N or set GITHUB_REPO.`,
    );
  const url = `${gh.apiUrl.replace(/\/+$/, "")}/repos/${repo}/issues/${ticket.number}/comments`;
  const res = await call(doFetch, url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${gh.token}`,
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "content-type": "application/json",
    },
    body: JSON.stringify({
      body: `${d.summary}\n\nRepro bundle (${d.linkExpiresAt ? `link valid until ${new Date(d.linkExpiresAt).toISOString().slice(0, 10)}; renew it from the incident thread` : "expiring link"}): ${d.link}`,
    }),
  });
  await expectOk(res, `GitHub comment on ${repo}#${ticket.number}`);
  const body = (await res.json().catch(() => null)) as { html_url?: unknown } | null;
  return typeof body?.html_url === "string" ? { url: body.html_url } : {};
}

/** One request to a ticket system; a network failure is `ticket_unreachable` (retried by withRetry). */
export async function call(doFetch: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await doFetch(url, init);
  } catch (err) {
    throw new ClawopsError("ticket_unreachable", `Could not reach ${new URL(url).host}: ${errorMessage(err)}`);
  }
}

/** A ticket system answered with an HTTP error; `retryAfterMs` when it said when to come back. */
export class TicketHttpError extends ClawopsError {
  readonly httpStatus: number;
  readonly retryAfterMs: number | null;

  constructor(message: string, httpStatus: number, retryAfterMs: number | null) {
    super("ticket_failed", message, { status: 502 });
    this.httpStatus = httpStatus;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Throws TicketHttpError (with Retry-After) unless the answer is 2xx. */
export async function expectOk(res: Response, what: string): Promise<void> {
  if (res.ok) return;
  const text = (await res.text().catch(() => "")).slice(0, 200).replace(/\s+/g, " ");
  const header = res.headers.get("retry-after")?.trim() ?? "";
  const seconds = /^\d+$/.test(header) ? Number(header) : Number.NaN;
  const date = Number.isNaN(seconds) && header ? Date.parse(header) : Number.NaN;
  const retryAfterMs = !Number.isNaN(seconds)
    ? seconds * 1000
    : !Number.isNaN(date)
      ? Math.max(0, date - Date.now())
      : null;
  throw new TicketHttpError(`${what} failed: HTTP ${res.status}${text ? ` ${text}` : ""}`, res.status, retryAfterMs);
}

/** A 429, or GitHub's secondary rate limit (403 with Retry-After): the request was refused, not done. */
function isRateLimit(err: unknown): boolean {
  return (
    err instanceof TicketHttpError && (err.httpStatus === 429 || (err.httpStatus === 403 && err.retryAfterMs !== null))
  );
}

/** Longest Retry-After worth waiting for inside a bundle job; a longer one fails the delivery now. */
export const MAX_TICKET_RETRY_AFTER_MS = 60_000;

/**
 * Whether a failed ticket call is worth another try, and after how long (null: give up).
 * Retried: network failures, 5xx, 429, and GitHub's secondary rate limit (403 with
 * Retry-After, https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
 * Not retried: every other 4xx (bad credentials, no such issue, no permission): the same
 * request gets the same answer.
 */
export function ticketRetryDelay(err: unknown, backoffMs: number): number | null {
  if (err instanceof TicketHttpError) {
    if (isRateLimit(err)) {
      const wait = err.retryAfterMs ?? backoffMs;
      return wait <= MAX_TICKET_RETRY_AFTER_MS ? Math.max(wait, 0) : null;
    }
    return err.httpStatus >= 500 ? backoffMs : null;
  }
  return err instanceof ClawopsError && err.code === "ticket_unreachable" ? backoffMs : null;
}

/**
 * Tries up to `attempts` times: exponential backoff (base, 2×base, …) after a network error or
 * a 5xx, the server's Retry-After after a rate limit, no retry after any other error.
 * `fn` gets the attempt number, so a caller can say how many tries were made. `rateLimitsOnly`:
 * only a rate limit is retried (a create the server refused before doing it); after a 5xx or a
 * lost connection the ticket may exist already, and a second try could open a second one.
 */
export async function withRetry<T>(
  attempts: number,
  baseMs: number,
  fn: (attempt: number) => Promise<T>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  rateLimitsOnly = false,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn(i);
    } catch (err) {
      const retryable = !rateLimitsOnly || isRateLimit(err);
      const wait = i < attempts && retryable ? ticketRetryDelay(err, baseMs * 2 ** (i - 1)) : null;
      if (wait === null) throw err;
      await sleep(wait);
    }
  }
}
