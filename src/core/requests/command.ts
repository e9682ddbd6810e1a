import type { IncidentRole, Severity } from "../ports/incident-book.ts";
/**
 * What `/openclaw <text>` asks for, as the registry's parsers (commands/registry.ts) hand it to the handlers.
 * Types only: every floor may name a command, only the commands floor parses one.
 */

export type Command =
  | { kind: "help" }
  | { kind: "hosts"; filter?: HostsFilter; page?: number }
  | { kind: "revoke" | "remove"; host: string }
  | { kind: "triage"; host: string }
  | { kind: "enroll"; host: string }
  | { kind: "bundle"; host: string; tickets: string[] }
  | { kind: "fleet-status"; selector: FleetSelector; live?: boolean }
  | { kind: "tag"; host: string; tags: string[] }
  /** `upgrade-agent <host|tag:…|all> [--wave N%]`: hosts a wave at a time (core/fleet/upgrade.ts). */
  | { kind: "upgrade-agent"; selector: FleetSelector; wavePercent: number }
  /** `upgrade <host|tag:…|all> to <version> [--wave N%] [--dry-run]`: the gateways' OpenClaw, planned and run (core/upgrade). */
  | {
      kind: "upgrade";
      selector: FleetSelector;
      selectorText: string;
      version: string;
      dryRun: boolean;
      /** The second wave's share of the hosts after the canary (default upgrade/plan.ts SHARE_PERCENT). */
      wavePercent?: number;
    }
  /** `incidents [open|all]`: the incident records, open ones by default. */
  | { kind: "incidents"; scope: "open" | "all" }
  /**
   * `incident <id> [ack|resolve|signals]`: one record and its timeline, a move of its state, or
   * every signal it took with what became of each; `incident <id> sev <1-4>`: its severity set
   * by a person; `incident <id> add <host>`: a host joins it; `incident new [sevN] [on <hosts>]
   * <title…>`: an incident declared by hand (issue 40, items 4-6).
   */
  | { kind: "incident"; id: string; action: "show" | "ack" | "resolve" | "signals" }
  | { kind: "incident"; id: string; action: "sev"; severity: Severity }
  | { kind: "incident"; id: string; action: "add"; host: string }
  /** `incident <id> channel [name]`: its own channel (issue 41, item 2). */
  | { kind: "incident"; id: string; action: "channel"; name?: string }
  | { kind: "incident"; id: null; action: "new"; severity: Severity; hosts: string[]; title: string }
  /**
   * Issue 41: `incident <id> role <commander|comms|scribe> <@user|me>` gives a role; `incident
   * <id> action <text> [<@owner>]` records a follow-up action, `incident <id> actions` lists
   * them, `incident <id> action <n> done` closes one.
   */
  | { kind: "incident"; id: string; action: "role"; role: IncidentRole; user: UserRef }
  | { kind: "incident"; id: string; action: "action"; text: string; owner: UserRef | null }
  | { kind: "incident"; id: string; action: "actions" }
  | { kind: "incident"; id: string; action: "action-done"; n: number }
  /** `report [<N>d|<N>h]`: incidents of the window by host, finding, source and severity; MTTA, MTTR, pages. */
  | { kind: "report"; windowMs: number }
  /** `snooze <host> <finding> 1h|1d|until-version|off`: a finding muted on one host (issue 29). */
  | { kind: "snooze"; host: string; finding: string; for: SnoozeSpan }
  /** `snoozes`: the snoozes that hold. */
  | { kind: "snoozes" }
  /** `ticket <id> new [jira|github]` opens (or comments on) its ticket; `ticket <id> renew` keeps its bundle link. */
  | { kind: "ticket"; id: string; action: "new" | "renew"; system: "jira" | "github" | null }
  /** `postmortem <id> [--ticket]`: the draft, posted to the thread (and attached to its ticket). */
  | { kind: "postmortem"; id: string; ticket: boolean }
  /** `known-issues [host|all]`: the known upstream issues a host's (or the fleet's) findings match (core/known-issues). */
  | { kind: "known-issues"; host: string | null }
  /** `expiries`: the fleet's calendar of what expires (TLS certificates, model credentials), probed now (core/expiries). */
  | { kind: "expiries" }
  | RecoveryCommand;

/** How long a snooze holds: a duration, until the host's OpenClaw version changes, or lifted (`off`). */
export type SnoozeSpan = { kind: "duration"; ms: number; words: string } | { kind: "until-version" } | { kind: "off" };

/** Which hosts `/openclaw status <selector>` asks: all, a glob over names, or a tag. */
export type FleetSelector = { kind: "all" } | { kind: "pattern"; glob: string } | { kind: "tag"; tag: string };

/** Which hosts `/openclaw hosts <filter>` lists: a glob over names, a tag, or a connection state. */
export type HostsFilter =
  | { kind: "pattern"; glob: string }
  | { kind: "tag"; tag: string }
  | { kind: "state"; state: HostState };

export type HostState = "online" | "offline" | "revoked";

/** The freeze, status, audit and recover commands (parsed by commands/recovery-parse.ts). */
export type RecoveryCommand =
  | { kind: "freeze"; target: string; durationMs: number; reason: string }
  /** `freeze <target> at 14:00 [for 30m] <reason>`: a maintenance freeze that starts later. */
  | { kind: "schedule"; target: string; at: StartSpec; durationMs: number; reason: string }
  /** `freeze <target> extend 30m`: holds an active freeze longer. */
  | { kind: "extend"; target: string; durationMs: number }
  | { kind: "unfreeze"; target: string }
  | { kind: "status"; scope: StatusScope }
  | { kind: "audit"; host: string | null }
  | { kind: "recover"; host: string };

/** When a scheduled freeze starts: the next HH:MM in UTC, or one instant (an ISO date-time). */
export type StartSpec = { kind: "time"; hour: number; minute: number } | { kind: "instant"; ms: number };

/** `status` with no argument: active freezes. Fleet fan-out scopes are added by extending this union. */
export type StatusScope = { kind: "freezes" };

/** A person a command names: the one running it (`me`), or a mention (`<@U0123>`; Discord's as `discord:<id>`). */
export type UserRef = { kind: "me" } | { kind: "user"; id: string };
