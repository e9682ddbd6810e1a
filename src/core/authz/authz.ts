import { z } from "zod";
import { ClawopsError } from "../errors.ts";

/**
 * Who may run which mutating action. Read-only commands (help, hosts, status, audit, triage)
 * are open to everyone; every action below is denied unless a rule allows it. The local
 * console's user (`console`) is the local operator: allowed everything and an incident lead.
 */
export const MUTATING_ACTIONS = [
  "freeze",
  "unfreeze",
  "recover",
  "restart",
  "doctor.fix",
  "approve",
  // Host lifecycle: `/openclaw revoke <host>` and `/openclaw remove <host>`.
  "revoke",
  "remove",
  // `/openclaw tag <host> …`: tags choose who a fleet command reaches, so retagging is guarded.
  "tag",
  // `/openclaw upgrade-agent …`: replaces the program that runs commands on gateway hosts.
  "upgrade-agent",
  // `/openclaw upgrade <hosts> to <version>` (and approving its switches): changes the OpenClaw a gateway runs.
  "upgrade",
  // `/openclaw incident <id> resolve` (and the Resolve button): closes an incident for everyone.
  "resolve",
  // `/openclaw snooze <host> <finding> …` (and the Snooze buttons): mutes a finding's incidents on a host.
  "snooze",
  // `/openclaw ticket <incident> new|renew`, the Open ticket button, `postmortem <incident> --ticket`:
  // writes to the team's tracker in clawops' name.
  "ticket",
  // `/openclaw enroll <host>` from Slack: a one-time code that lets a machine join the fleet.
  "enroll",
] as const;
export type MutatingAction = (typeof MUTATING_ACTIONS)[number];

/** A Discord user or channel as the Discord adapter names it: `discord:` and the snowflake id. */
const DiscordId = z.string().regex(/^discord:\d{5,25}$/);
/** A Mattermost user or channel as the Mattermost adapter names it: `mattermost:` and the 26-character id. */
const MattermostId = z.string().regex(/^mattermost:[a-z0-9]{26}$/);
/** A Teams user as the Teams adapter names it: `teams:` and the user's Entra object id (a GUID), or Teams' own `29:…` id. */
const TeamsUser = z
  .string()
  .regex(/^teams:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|29:[A-Za-z0-9_-]{8,200})$/);
/** A Teams conversation: `teams:` and its id (a channel's `19:…@thread.tacv2`, a chat's `a:…` or `19:…`). */
const TeamsConversation = z.string().regex(/^teams:(19:[A-Za-z0-9_.-]+@thread\.[a-z0-9]+|a:[A-Za-z0-9_-]+)$/);
const SlackUser = z.union(
  [
    z.literal("*"),
    z.string().regex(/^[UW][A-Z0-9]{2,}$/, "a Slack user id like U0123ABC"),
    DiscordId,
    MattermostId,
    TeamsUser,
  ],
  { error: 'a Slack user id like U0123ABC, discord:<user id>, mattermost:<user id>, teams:<Entra object id>, or "*"' },
);
const Rule = z
  .object({
    /** Slack user ids, Discord users as `discord:<user id>`, Mattermost users as `mattermost:<user id>`, Teams users as `teams:<Entra object id>`, or "*" for everyone. */
    users: z.array(SlackUser).default([]),
    /** Slack user group ids (S…); membership is asked from Slack (usergroups.users.list). */
    userGroups: z.array(z.string().regex(/^S[A-Z0-9]{2,}$/, "a Slack user group id like S0123ABC")).default([]),
    /** Anyone running the command in one of these channels. */
    channels: z
      .array(
        z.union(
          [
            z.string().regex(/^[CGD][A-Z0-9]{2,}$/, "a Slack channel id like C0123ABC"),
            DiscordId,
            MattermostId,
            TeamsConversation,
          ],
          {
            error:
              "a Slack channel id like C0123ABC, discord:<channel id>, mattermost:<channel id>, or teams:<conversation id>",
          },
        ),
      )
      .default([]),
  })
  .strict();
export type AuthzRule = z.infer<typeof Rule>;

export const AuthzConfigSchema = z
  .object({
    /** Incident leads may act on a frozen host even when they do not own the freeze. */
    incidentLeads: Rule.default({ users: [], userGroups: [], channels: [] }),
    actions: z.partialRecord(z.enum(MUTATING_ACTIONS), Rule).default({}),
  })
  .strict();
export type AuthzConfig = z.infer<typeof AuthzConfigSchema>;

export const DEFAULT_AUTHZ: AuthzConfig = { incidentLeads: { users: [], userGroups: [], channels: [] }, actions: {} };

/** Parses the authorization file's JSON (already read from disk) or throws a ClawopsError naming the bad field. */
export function parseAuthzConfig(json: unknown, where: string): AuthzConfig {
  const parsed = AuthzConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClawopsError(
      "bad_request",
      `${where}: ${issue ? `${issue.path.join(".") || "(top level)"}: ${issue.message}` : "invalid"}. See README "Authorization".`,
    );
  }
  return parsed.data;
}

/** Members of a Slack user group (ids). Absent: user-group rules match nobody. */
export type UserGroupResolver = (groupId: string) => Promise<readonly string[]>;

export interface Actor {
  user: string;
  channel: string;
  source: "slack" | "console" | "discord" | "mattermost" | "teams";
}

export const LOCAL_OPERATOR = "console";
/** The chat a refusal names. */
const CHAT_NAMES: Partial<Record<Actor["source"], string>> = {
  discord: "Discord",
  mattermost: "Mattermost",
  teams: "Microsoft Teams",
};

export class Authorizer {
  private readonly config: AuthzConfig;
  private readonly groups: UserGroupResolver | undefined;

  constructor(config: AuthzConfig = DEFAULT_AUTHZ, groups?: UserGroupResolver) {
    this.config = config;
    this.groups = groups;
  }

  /** Null when allowed; otherwise the reason, worded for the person refused. */
  async refusal(actor: Actor, action: MutatingAction): Promise<string | null> {
    if (actor.source === "console" && actor.user === LOCAL_OPERATOR) return null;
    const rule = this.config.actions[action];
    if (rule && (await this.matches(rule, actor))) return null;
    return rule
      ? `You are not allowed to \`${action}\`: the authorization file allows it only for the users, user groups or channels it lists. Ask an incident lead, or run it from an allowed channel.`
      : `Nobody is allowed to \`${action}\` from ${CHAT_NAMES[actor.source] ?? "Slack"} yet: add an \`actions.${action}\` rule to the authorization file (CLAWOPS_AUTHZ_FILE), or use the local console on the control-plane machine.`;
  }

  async isIncidentLead(actor: Actor): Promise<boolean> {
    if (actor.source === "console" && actor.user === LOCAL_OPERATOR) return true;
    return this.matches(this.config.incidentLeads, actor);
  }

  private async matches(rule: AuthzRule, actor: Actor): Promise<boolean> {
    if (rule.users.includes("*") || rule.users.includes(actor.user)) return true;
    if (rule.channels.includes(actor.channel)) return true;
    if (!this.groups) return false;
    for (const group of rule.userGroups) {
      try {
        if ((await this.groups(group)).includes(actor.user)) return true;
      } catch {
        // A group that cannot be resolved grants nothing.
      }
    }
    return false;
  }
}

/** Throws `forbidden` with the authorizer's reason unless `actor` may run `action`. */
export async function authorize(authz: Authorizer, actor: Actor, action: MutatingAction): Promise<void> {
  const reason = await authz.refusal(actor, action);
  if (reason) throw new ClawopsError("forbidden", reason, { status: 403 });
}
