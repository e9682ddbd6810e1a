import { readFileSync } from "node:fs";
import { z } from "zod";
import { errorMessage } from "../contract/errors.ts";
import type { TicketConfig } from "../core/ports/bundles.ts";

const TicketFile = z.record(
  z.string().regex(/^[A-Z0-9]{2,20}$/, "keys are Slack team ids such as T0123ABCD"),
  z
    .object({
      jira: z
        .object({
          baseUrl: z.url(),
          email: z.string().min(3),
          apiToken: z.string().min(1),
          /** Where `ticket <incident> new jira` opens issues, and their type (default Task). */
          project: z
            .string()
            .regex(/^[A-Z][A-Z0-9_]{0,30}$/, "a Jira project key like OPS")
            .optional(),
          issueType: z.string().min(1).max(60).optional(),
        })
        .strict()
        .optional(),
      github: z
        .object({
          apiUrl: z.url().optional(),
          token: z.string().min(1),
          repo: z
            .string()
            .regex(/^[\w.-]+\/[\w.-]+$/)
            .optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);

/**
 * CLAWOPS_TICKETS_FILE: JSON `{ "<Slack team id>": { "jira": {baseUrl, email, apiToken, project?, issueType?},
 * "github": {token, repo?, apiUrl?} } }`. Commands from a listed workspace use its entry;
 * others use the JIRA_* / GITHUB_* variables. Keep the file mode 0600: it holds API tokens.
 */
export function parseTicketsFile(path: string): Record<string, TicketConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`CLAWOPS_TICKETS_FILE ${path} could not be read as JSON: ${errorMessage(err)}`);
  }
  const parsed = TicketFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`CLAWOPS_TICKETS_FILE ${path}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`);
  }
  const out: Record<string, TicketConfig> = {};
  for (const [team, entry] of Object.entries(parsed.data)) {
    out[team] = {
      ...(entry.jira ? { jira: entry.jira } : {}),
      ...(entry.github
        ? {
            github: {
              apiUrl: entry.github.apiUrl ?? "https://api.github.com",
              token: entry.github.token,
              ...(entry.github.repo ? { repo: entry.github.repo } : {}),
            },
          }
        : {}),
    };
  }
  return out;
}
