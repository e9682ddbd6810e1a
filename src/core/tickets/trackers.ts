import { call, expectOk, TicketHttpError } from "../bundles/tickets.ts";
import { ClawopsError } from "../errors.ts";
import type { TicketConfig } from "../ports/bundles.ts";
import type { TicketSystem } from "../ports/ticket-book.ts";
import { type Doc, toAdf, toMarkdown } from "./doc.ts";

/**
 * Opening, commenting on and reading the state of tickets, fetch only (Node and Workers):
 *  - Jira Cloud REST v3: `POST /rest/api/3/issue` with `fields.project.key`, `fields.issuetype.name`,
 *    `fields.summary` and `fields.description` in Atlassian Document Format; `POST
 *    /rest/api/3/issue/{key}/comment` with `body` in ADF; `GET /rest/api/3/issue/{key}?fields=status`
 *    (`statusCategory.key` is `done` once closed). Basic auth `email:API token`.
 *    https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
 *  - GitHub REST: `POST /repos/{owner}/{repo}/issues` with `title` and `body`; `POST
 *    …/issues/{n}/comments` with `body`; `GET …/issues/{n}` (`state` open or closed). Bearer
 *    token, `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`.
 *    https://docs.github.com/en/rest/issues/issues#create-an-issue
 * Every failure is a TicketHttpError or `ticket_unreachable`, which `withRetry` retries as it
 * retries a bundle's delivery (5xx, 429 with Retry-After, network).
 */

export type Jira = NonNullable<TicketConfig["jira"]>;
export type Github = NonNullable<TicketConfig["github"]>;

/** GitHub caps an issue's body (and a comment) at 65,536 characters. */
export const GITHUB_BODY_MAX = 65_536;

/** The default issue type of a new Jira ticket (JIRA_ISSUE_TYPE): every Jira project template has Task. */
export const DEFAULT_JIRA_ISSUE_TYPE = "Task";

const base = (url: string) => url.replace(/\/+$/, "");

function jiraHeaders(jira: Jira): Record<string, string> {
  return {
    authorization: `Basic ${btoa(`${jira.email}:${jira.apiToken}`)}`,
    accept: "application/json",
    "content-type": "application/json",
  };
}

function githubHeaders(gh: Github): Record<string, string> {
  return {
    authorization: `Bearer ${gh.token}`,
    accept: "application/vnd.github+json",
    "x-github-api-version": "2022-11-28",
    "content-type": "application/json",
  };
}

/** A ticket as the tracker names it: `OPS-12`, or `owner/repo#7`. */
export type OpenedTicket = { system: TicketSystem; key: string; url: string | null };

export async function createJiraIssue(
  jira: Jira,
  issue: { title: string; doc: Doc; labels: string[] },
  doFetch: typeof fetch,
): Promise<OpenedTicket> {
  if (!jira.project) {
    throw new ClawopsError(
      "ticket_not_configured",
      "Jira has no project for new tickets: set JIRA_PROJECT (and JIRA_ISSUE_TYPE, default Task), or `project` in the tickets file.",
    );
  }
  const res = await call(doFetch, `${base(jira.baseUrl)}/rest/api/3/issue`, {
    method: "POST",
    headers: jiraHeaders(jira),
    body: JSON.stringify({
      fields: {
        project: { key: jira.project },
        issuetype: { name: jira.issueType ?? DEFAULT_JIRA_ISSUE_TYPE },
        summary: issue.title,
        description: toAdf(issue.doc),
        labels: issue.labels.map((l) => l.replace(/\s+/g, "-")),
      },
    }),
  });
  await expectOk(res, `Jira issue in ${jira.project}`);
  const body = (await res.json().catch(() => null)) as { key?: unknown } | null;
  if (typeof body?.key !== "string") throw new TicketHttpError("Jira answered without the new issue's key", 502, null);
  return { system: "jira", key: body.key, url: `${base(jira.baseUrl)}/browse/${body.key}` };
}

export async function commentJira(jira: Jira, key: string, doc: Doc, doFetch: typeof fetch): Promise<void> {
  const res = await call(doFetch, `${base(jira.baseUrl)}/rest/api/3/issue/${encodeURIComponent(key)}/comment`, {
    method: "POST",
    headers: jiraHeaders(jira),
    body: JSON.stringify({ body: toAdf(doc) }),
  });
  await expectOk(res, `Jira comment on ${key}`);
}

/** Whether the Jira issue is still open: false once its status is in the `done` category, or it is gone (404). */
export async function jiraIssueOpen(jira: Jira, key: string, doFetch: typeof fetch): Promise<boolean> {
  const res = await call(doFetch, `${base(jira.baseUrl)}/rest/api/3/issue/${encodeURIComponent(key)}?fields=status`, {
    method: "GET",
    headers: { authorization: jiraHeaders(jira).authorization as string, accept: "application/json" },
  });
  if (res.status === 404) return false;
  await expectOk(res, `Jira issue ${key}`);
  const body = (await res.json().catch(() => null)) as {
    fields?: { status?: { statusCategory?: { key?: unknown } } };
  } | null;
  return body?.fields?.status?.statusCategory?.key !== "done";
}

/** `owner/repo#7` → its parts. */
function githubParts(key: string): { repo: string; number: number } {
  const m = /^([^#]+)#(\d+)$/.exec(key);
  if (!m?.[1] || !m[2]) throw new ClawopsError("bad_request", `\`${key}\` is not a GitHub issue (owner/repo#7).`);
  return { repo: m[1], number: Number(m[2]) };
}

export async function createGithubIssue(
  gh: Github,
  issue: { title: string; doc: Doc },
  doFetch: typeof fetch,
): Promise<OpenedTicket> {
  const repo = gh.repo;
  if (!repo) {
    throw new ClawopsError(
      "ticket_not_configured",
      "GitHub has no repository for new tickets: set GITHUB_REPO (owner/name), or `repo` in the tickets file.",
    );
  }
  const res = await call(doFetch, `${base(gh.apiUrl)}/repos/${repo}/issues`, {
    method: "POST",
    headers: githubHeaders(gh),
    body: JSON.stringify({ title: issue.title, body: githubBody(issue.doc) }),
  });
  await expectOk(res, `GitHub issue in ${repo}`);
  const body = (await res.json().catch(() => null)) as { number?: unknown; html_url?: unknown } | null;
  if (typeof body?.number !== "number") {
    throw new TicketHttpError("GitHub answered without the new issue's number", 502, null);
  }
  return {
    system: "github",
    key: `${repo}#${body.number}`,
    url: typeof body.html_url === "string" ? body.html_url : null,
  };
}

/** A comment: a document, or Markdown ready to send (the postmortem draft). */
export async function commentGithub(gh: Github, key: string, doc: Doc | string, doFetch: typeof fetch): Promise<void> {
  const { repo, number } = githubParts(key);
  const res = await call(doFetch, `${base(gh.apiUrl)}/repos/${repo}/issues/${number}/comments`, {
    method: "POST",
    headers: githubHeaders(gh),
    body: JSON.stringify({ body: githubBody(doc) }),
  });
  await expectOk(res, `GitHub comment on ${key}`);
}

export async function githubIssueOpen(gh: Github, key: string, doFetch: typeof fetch): Promise<boolean> {
  const { repo, number } = githubParts(key);
  const headers = githubHeaders(gh);
  const res = await call(doFetch, `${base(gh.apiUrl)}/repos/${repo}/issues/${number}`, {
    method: "GET",
    headers: {
      authorization: headers.authorization as string,
      accept: headers.accept as string,
      "x-github-api-version": headers["x-github-api-version"] as string,
    },
  });
  // 410: the issue was deleted or issues were turned off; either way a new ticket is needed.
  if (res.status === 404 || res.status === 410) return false;
  await expectOk(res, `GitHub issue ${key}`);
  const body = (await res.json().catch(() => null)) as { state?: unknown } | null;
  return body?.state !== "closed";
}

/** Markdown within GitHub's limit: a longer body loses its end, saying so. */
function githubBody(doc: Doc | string): string {
  const md = typeof doc === "string" ? doc : toMarkdown(doc);
  if (md.length <= GITHUB_BODY_MAX) return md;
  const note = "\n\n… (cut at GitHub's 65,536 characters; the incident's timeline is whole in clawops)\n";
  return md.slice(0, GITHUB_BODY_MAX - note.length) + note;
}

/**
 * Moves a Jira issue through the workflow transition named `name` (JIRA_RESOLVE_TRANSITION, e.g.
 * `Done`): its id is looked up first (`GET /rest/api/3/issue/{key}/transitions`, the transitions
 * open from the issue's current status), then `POST …/transitions` `{transition: {id}}` (204).
 * Matched by the transition's name or its target status's name, case-insensitively. "already"
 * when none matches and the issue's status is in the `done` category (closed by a person first);
 * a missing transition otherwise is `ticket_refused`, not retried: the same request gets the same answer.
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-post
 */
export async function transitionJira(
  jira: Jira,
  key: string,
  name: string,
  doFetch: typeof fetch,
): Promise<"moved" | "already"> {
  const url = `${base(jira.baseUrl)}/rest/api/3/issue/${encodeURIComponent(key)}/transitions`;
  const res = await call(doFetch, url, {
    method: "GET",
    headers: { authorization: jiraHeaders(jira).authorization as string, accept: "application/json" },
  });
  await expectOk(res, `Jira transitions of ${key}`);
  const body = (await res.json().catch(() => null)) as {
    transitions?: { id?: unknown; name?: unknown; to?: { name?: unknown } }[];
  } | null;
  const wanted = name.trim().toLowerCase();
  const found = (body?.transitions ?? []).find(
    (t) =>
      typeof t.id === "string" &&
      (String(t.name ?? "").toLowerCase() === wanted || String(t.to?.name ?? "").toLowerCase() === wanted),
  );
  if (!found) {
    if (!(await jiraIssueOpen(jira, key, doFetch))) return "already";
    const open = (body?.transitions ?? []).map((t) => String(t.name ?? "")).filter(Boolean);
    throw new ClawopsError(
      "ticket_refused",
      `${key} has no transition named "${name}" from its status (open: ${open.join(", ") || "none"}); set JIRA_RESOLVE_TRANSITION to one of them`,
    );
  }
  const moved = await call(doFetch, url, {
    method: "POST",
    headers: jiraHeaders(jira),
    body: JSON.stringify({ transition: { id: found.id } }),
  });
  await expectOk(moved, `Jira transition of ${key} to ${name}`);
  return "moved";
}

/**
 * Closes a GitHub issue as completed: `PATCH /repos/{owner}/{repo}/issues/{n}` `{state: "closed",
 * state_reason: "completed"}`. Idempotent on GitHub's side (closing a closed issue answers 200).
 * https://docs.github.com/en/rest/issues/issues#update-an-issue
 */
export async function closeGithubIssue(gh: Github, key: string, doFetch: typeof fetch): Promise<void> {
  const { repo, number } = githubParts(key);
  const res = await call(doFetch, `${base(gh.apiUrl)}/repos/${repo}/issues/${number}`, {
    method: "PATCH",
    headers: githubHeaders(gh),
    body: JSON.stringify({ state: "closed", state_reason: "completed" }),
  });
  await expectOk(res, `GitHub close of ${key}`);
}
