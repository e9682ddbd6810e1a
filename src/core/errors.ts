/**
 * One error type for the whole control plane. `code` is stable (tests, logs and Slack
 * messages key on it); `message` tells a person what failed and what to do next.
 */
export type ErrorCode =
  | "bad_signature"
  | "stale_request"
  | "bad_request"
  | "bad_payload"
  | "unauthorized"
  | "upgrade_required"
  | "payload_too_large"
  | "too_many_attempts"
  | "unsupported_media_type"
  | "console_auth_required"
  | "console_host_refused"
  | "console_origin_refused"
  | "unknown_command"
  | "unknown_host"
  | "invalid_host_name"
  | "host_offline"
  | "host_exists"
  | "enrollment_code_invalid"
  | "job_not_found"
  | "unknown_incident"
  | "incident_resolved"
  | "agent_protocol"
  | "slack_api"
  | "discord_api"
  | "mattermost_api"
  | "teams_api"
  | "bad_config"
  | "not_implemented"
  | "unknown_release"
  | "secrets_unavailable"
  | "bundles_not_configured"
  | "bundle_not_found"
  | "bundle_link_invalid"
  | "ticket_not_configured"
  | "ticket_unreachable"
  | "ticket_failed"
  // Issue 29, item 6: a ticket for the same problem is being opened this moment; its text would
  // carry a secret; nothing to renew.
  | "ticket_busy"
  | "ticket_refused"
  | "no_ticket"
  | "forbidden"
  | "unknown_confirmation"
  | "already_used"
  | "expired"
  | "bad_step"
  | "drain_not_offered"
  | "host_frozen"
  | "not_frozen"
  | "not_snoozed"
  | "recover_running"
  | "recover_not_started"
  | "recover_unavailable"
  | "not_configured"
  | "database_busy"
  // Issue 44, item 5: a write failed for lack of room on the data disk (SQLITE_FULL, ENOSPC).
  | "disk_full"
  // Issue 41, item 2: an incident channel: this chat cannot make one, its name is taken, a person
  // could not be invited, the incident has one already.
  | "channels_unsupported"
  | "channel_name_taken"
  | "channel_invite_failed"
  | "incident_channel_exists"
  // Issue 41: a role or an action's owner that names nobody clawops can check; a follow-up
  // action number the incident does not have, or one done already.
  | "unknown_user"
  | "unknown_action"
  | "action_done"
  | "internal";

export class ClawopsError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ClawopsError";
    this.code = code;
    this.status = options?.status ?? 400;
  }
}

export function isClawopsError(err: unknown): err is ClawopsError {
  return err instanceof ClawopsError;
}
