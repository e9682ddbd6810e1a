import { authorize } from "../authz/authz.ts";
import { ClawopsError } from "../errors.ts";
import { requireHost } from "../hosts/lookup.ts";
import { snoozeHolds } from "../incidents/pipeline.ts";
import { section } from "../messages/build.ts";
import { FINDING_ID } from "../messages/buttons.ts";
import { isoSeconds, mention } from "../messages/format.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { normalizeHostName } from "../vocabulary/hosts.ts";
import { defineCommand } from "./entry.ts";

/** `/openclaw snooze <host> <finding> <span>`: one finding muted on one host (issue 29). */
export const snooze = defineCommand({
  words: ["snooze"],
  parse: parseSnooze,
  help: [
    {
      usage: "/openclaw snooze <host> <finding> 1h|1d|until-version|off",
      summary:
        "Mute one finding's incidents on one host (authorized): the watch's failures whose top finding it is are counted, not posted, for an hour, a day, or until the host's OpenClaw version changes; `off` lifts it.",
    },
  ],
  authorize: { inHandler: ["snooze"], why: "after the host is found, so an unknown host is named first" },
  handle: snoozeCommand,
});

/** `/openclaw snoozes`: the snoozes that hold. */
export const snoozes = defineCommand({
  words: ["snoozes"],
  parse: (rest): Extract<Command, { kind: "snoozes" }> => {
    if (rest.length > 0) throw new ClawopsError("bad_request", "Usage: `/openclaw snoozes`.");
    return { kind: "snoozes" };
  },
  help: [
    {
      usage: "/openclaw snoozes",
      summary: "The snoozes that hold: host, finding, until when, who set it, what each muted.",
    },
  ],
  authorize: "open",
  handle: (deps) => snoozesCommand(deps),
});

const SNOOZE_USAGE =
  "Usage: `/openclaw snooze <host> <finding> 1h|1d|until-version|off`, e.g. `/openclaw snooze node-3 gateway-down 1h`; `/openclaw snoozes` lists them.";

const SNOOZE_SPANS: Record<string, { ms: number; words: string }> = {
  "1h": { ms: 3_600_000, words: "1 hour" },
  "1d": { ms: 86_400_000, words: "1 day" },
};

function parseSnooze(args: string[]): Extract<Command, { kind: "snooze" }> {
  const [host, finding, span, ...extra] = args;
  if (!host || !finding || !span || extra.length > 0 || !FINDING_ID.test(finding)) {
    throw new ClawopsError("bad_request", SNOOZE_USAGE);
  }
  const word = span.toLowerCase();
  const duration = SNOOZE_SPANS[word];
  const spanOf = duration
    ? ({ kind: "duration", ...duration } as const)
    : word === "until-version"
      ? ({ kind: "until-version" } as const)
      : word === "off"
        ? ({ kind: "off" } as const)
        : null;
  if (!spanOf) throw new ClawopsError("bad_request", SNOOZE_USAGE);
  return { kind: "snooze", host: normalizeHostName(host), finding, for: spanOf };
}

/**
 * `snooze <host> <finding> 1h|1d|until-version|off`: mutes (or lifts) one finding's incidents on
 * one host. Authorized (the `snooze` action); the command's own audit row records who and what.
 */
async function snoozeCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "snooze" }>,
): Promise<CommandReply> {
  const host = await requireHost(deps, command.host);
  await authorize(deps.recovery.authz, { user: req.user, channel: req.channel, source: req.source }, "snooze");
  if (command.for.kind === "off") {
    const removed = await deps.store.removeSnooze(host.name, command.finding);
    if (!removed) {
      throw new ClawopsError(
        "not_snoozed",
        `\`${command.finding}\` is not snoozed on \`${host.name}\`. \`/openclaw snoozes\` lists them.`,
        {
          status: 409,
        },
      );
    }
    return {
      ack: renderNotice(
        `✅ \`${command.finding}\` on *${host.name}* is no longer snoozed (it had muted ${removed.muted}).`,
      ),
    };
  }
  const now = deps.clock.now();
  if (command.for.kind === "until-version" && !host.gatewayVersion) {
    throw new ClawopsError(
      "bad_request",
      `clawops does not know which OpenClaw version \`${host.name}\` runs yet (no triage has read it), so "until the version changes" has nothing to hold on to. Snooze for \`1h\` or \`1d\` instead.`,
    );
  }
  await deps.store.putSnooze({
    host: host.name,
    finding: command.finding,
    until: command.for.kind === "duration" ? now + command.for.ms : null,
    untilVersion: command.for.kind === "until-version" ? host.gatewayVersion : null,
    by: req.user,
    at: now,
    muted: 0,
  });
  const until =
    command.for.kind === "duration"
      ? `for ${command.for.words} (until ${isoSeconds(now + command.for.ms)})`
      : `until *${host.name}* runs another OpenClaw version than ${host.gatewayVersion}`;
  return {
    ack: renderNotice(
      `⏰ Snoozed \`${command.finding}\` on *${host.name}* ${until}: the watch's failures with it as their top finding are counted, not posted. \`/openclaw snooze ${host.name} ${command.finding} off\` lifts it.`,
    ),
  };
}

/** `snoozes`: the snoozes that hold now. */
async function snoozesCommand(deps: CoreDeps): Promise<CommandReply> {
  const now = deps.clock.now();
  const hosts = new Map((await deps.store.listHosts()).map((h) => [h.name, h]));
  const holding = (await deps.store.listSnoozes()).filter((z) => snoozeHolds(z, hosts.get(z.host) ?? null, now));
  if (holding.length === 0) return { ack: renderNotice("No snoozes hold.") };
  const lines = holding.map(
    (z) =>
      `• *${z.host}* \`${z.finding}\` ${z.until !== null ? `until ${isoSeconds(z.until)}` : `until its OpenClaw version is no longer ${z.untilVersion}`} · by ${mention(z.by)} · muted ${z.muted}`,
  );
  return {
    ack: {
      text: `Snoozes: ${holding.length}`,
      parts: [section(`*Snoozes* (${holding.length})\n${lines.join("\n")}`)],
    },
  };
}
