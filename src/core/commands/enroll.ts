import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { tellRequester } from "../chat/tell-requester.ts";
import { ClawopsError, isClawopsError } from "../errors.ts";
import { issueEnrollmentCode } from "../hub/enrollment.ts";
import { renderError, renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { defineCommand } from "./entry.ts";
import { oneHost } from "./words.ts";

/**
 * `enroll <host>`: a one-time enrollment code and the one command that installs the agent on the
 * host. From the console and the CLI (the local operator), from Slack for a user the
 * authorization file allows (`enroll`), and from the operator API with CLAWOPS_ADMIN_TOKEN
 * (`clawops enroll` against a control plane that serves Slack). In Slack the code goes only to
 * the person who asked (the ack, then the command's response_url), never into a channel.
 */

/** The command's entry: the console's operator is the local operator, any other chat is authorized. */
export const enroll = defineCommand({
  words: ["enroll"],
  parse: (rest) => ({ kind: "enroll", host: oneHost("enroll", rest) }),
  help: [
    {
      usage: "/openclaw enroll <host>",
      summary:
        "Issue a one-time enrollment code and the install command for a new host, only to you (console and CLI; in Slack, authorized).",
    },
  ],
  authorize: { before: "enroll", exceptConsole: true },
  handle: enrollCommand,
});

/** A code issued and what to tell whoever asked for it. */
export interface EnrollmentOffer {
  host: string;
  code: string;
  expiresAt: number;
  /** The one install command; null where this control plane does not serve the agent. */
  command: string | null;
  /** The whole answer, mrkdwn. */
  text: string;
}

/**
 * Checks that this control plane can serve the agent (so the command it prints works), then
 * issues the code and audits it. Refused, with the reason, when the agent cannot be served: a
 * code whose install command fails would only move the failure to the host.
 */
export async function offerEnrollment(
  deps: CoreDeps,
  rawHost: string,
  by: { actor: string; source: "slack" | "console" | "system" },
): Promise<EnrollmentOffer> {
  if (deps.agentRelease) {
    try {
      await deps.agentRelease();
    } catch (err) {
      const why = isClawopsError(err) ? err.message : errorMessage(err);
      throw new ClawopsError(
        "not_configured",
        `No enrollment code was issued: a host could not install the agent from this control plane. ${why}`,
        { status: 503, cause: err },
      );
    }
  }
  const issued = await issueEnrollmentCode(deps, rawHost);
  await audit(deps, {
    at: deps.clock.now(),
    actor: by.actor,
    source: by.source,
    action: "enroll",
    host: issued.host,
    outcome: "ok",
    detail: `one-time enrollment code issued, expires ${new Date(issued.expiresAt).toISOString()}`,
    ref: null,
  });
  const minutes = Math.round((issued.expiresAt - deps.clock.now()) / 60_000);
  const head = `Enrollment code for *${issued.host}*: \`${issued.code}\` (one use, expires in ${minutes} min).`;
  const url = deps.publicUrl?.();
  if (!url || !deps.agentRelease) {
    return {
      ...issued,
      command: null,
      text: `${head}\nThis control plane does not serve the agent: install it on the host by hand (docs/agents-and-ssm.md), then run there:\n\`clawops-agent enroll --server ${url ?? "<control-plane URL>"} --host ${issued.host} --code ${issued.code}\``,
    };
  }
  const command = installCommand(url, issued.host, issued.code);
  return { ...issued, command, text: [head, ...installLines(url, issued.host, command)].join("\n") };
}

export async function enrollCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "enroll" }>,
): Promise<CommandReply> {
  if (req.source === "console") {
    const offer = await offerEnrollment(deps, command.host, { actor: req.user, source: "console" });
    return { ack: renderNotice(offer.text) };
  }
  // Authorized (`enroll`) by the registry's step before this ran: Slack, Discord, Mattermost.
  const responseUrl = req.responseUrl;
  if (!responseUrl) {
    throw new ClawopsError(
      "bad_request",
      "This request carries no reply address to give you the code privately; run `/openclaw enroll` as a slash command.",
    );
  }
  // Checking the agent may build it (seconds, the first time): after the ack, and the code then
  // goes to the requester alone through the command's response_url.
  return {
    ack: renderNotice(
      `🔐 Issuing a one-time enrollment code for *${command.host}*: it comes here in a moment, only to you, with the command to run on the host.`,
    ),
    later: async () => {
      let message: ReturnType<typeof renderNotice>;
      try {
        message = renderNotice((await offerEnrollment(deps, command.host, { actor: req.user, source: "slack" })).text);
      } catch (err) {
        if (!isClawopsError(err))
          deps.logger.error("enrollment failed", { host: command.host, err: errorMessage(err) });
        message = isClawopsError(err)
          ? renderError(err.message, err.code)
          : renderError("Something went wrong inside clawops; the error was logged. No code was issued.", "internal");
      }
      await tellRequester(deps, responseUrl, message, { host: command.host, action: "enroll" });
    },
  };
}

/** The one command a host runs to install, enroll and start its agent (infra/install/install.sh). */
export function installCommand(url: string, host: string, code: string): string {
  return `curl -fsSL ${url}/agent/install.sh | sh -s -- --host ${host} --code ${code}`;
}

function installLines(url: string, host: string, command: string): string[] {
  const lines = [
    `On ${host}, as root, run:`,
    `\`${command}\``,
    "It needs Node.js ≥ 24.16 there. It downloads the agent from this control plane, checks its SHA-256, enrolls the host and starts the agent as a systemd service (a LaunchAgent on macOS; in the terminal with `--foreground` or where systemd does not run). Add `--user <user>` when the gateway does not run as `openclaw`.",
  ];
  if (isLoopbackUrl(url)) {
    lines.push(
      `${url} is a loopback address: only this machine can reach it. For other hosts set CLAWOPS_PUBLIC_URL to the URL they reach this control plane at.`,
    );
  }
  return lines;
}

function isLoopbackUrl(url: string): boolean {
  const host = /^https?:\/\/(\[[^\]]*\]|[^/:]+)/.exec(url)?.[1] ?? "";
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
