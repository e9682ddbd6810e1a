import type { AgentUpgradeData, StepResult, VersionsData } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { ClawopsError } from "../errors.ts";
import { renderNotice } from "../messages/notices.ts";
import type { AgentRelease, CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { describeSelector, selectHosts } from "./fleet.ts";

/**
 * `/openclaw upgrade-agent <selector> [--wave N%]` (issue 31, item 7): the agents of the matching
 * hosts move to the agent this control plane serves, a wave at a time. Each host's agent gets an
 * `agent.upgrade` job naming the version and SHA-256; it downloads the file from this control
 * plane, checks both, tries the new file beside itself and either restarts into it or rolls back
 * (src/agent/upgrade/). Its `versions` answer afterwards says which. The first host that did not
 * come back upgraded ends the run: later waves are not tried. One message with the plan, one line
 * per host in its thread, one summary message (the CLI prints it); an audit row per host.
 * Authorized (`upgrade-agent`) by the command registry before this runs (commands/upgrade-agent.ts).
 */

/** The trial's 90 s on the host, the download, a supervisor's restart (systemd: 5 s) and slack. */
export const UPGRADE_WAIT_MS = 150_000;
const POLL_MS = 2_000;

export type HostUpgrade =
  | { host: string; result: "upgraded"; from: string; to: string; supervisor?: string }
  | { host: string; result: "current"; to: string }
  | { host: string; result: "failed" | "rolled-back"; reason: string }
  | { host: string; result: "offline" | "not-tried" };

export async function upgradeAgentCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "upgrade-agent" }>,
): Promise<CommandReply> {
  if (!deps.agentRelease) {
    throw new ClawopsError(
      "not_configured",
      "This control plane does not serve the agent, so it cannot upgrade agents.",
      {
        status: 501,
      },
    );
  }
  const release = await deps.agentRelease();
  const hosts = selectHosts(await deps.store.listHosts(), command.selector).map((h) => h.name);
  const what = describeSelector(command.selector);
  if (hosts.length === 0) throw new ClawopsError("bad_request", `No enrolled host matches (${what}).`);
  const waveSize = Math.max(1, Math.ceil((hosts.length * command.wavePercent) / 100));
  const plan = `🔄 Agent upgrade to *${release.version}* (SHA-256 \`${release.sha256.slice(0, 12)}…\`) on ${hosts.length} host${hosts.length === 1 ? "" : "s"} (${what}), ${waveSize} at a time; each line in the thread says what happened on a host.`;
  return {
    ack: renderNotice(plan),
    later: async () => {
      const head = await deps.chat.postMessage({ channel: req.channel, ...renderNotice(plan) });
      const say = (text: string) =>
        deps.chat.postMessage({ channel: req.channel, threadTs: head.ts, ...renderNotice(text) }).then(
          () => {},
          (err: unknown) => deps.logger.warn("upgrade line not posted", { err: errorMessage(err) }),
        );
      const outcomes = await upgradeInWaves(deps, hosts, release, waveSize, async (o) => {
        await say(lineFor(o));
        await audit(deps, {
          at: deps.clock.now(),
          actor: req.user,
          source: req.source,
          action: "agent.upgrade",
          host: o.host,
          outcome:
            o.result === "upgraded" || o.result === "current" ? "ok" : o.result === "not-tried" ? "info" : "error",
          detail: lineFor(o).replace(/[*`]/g, "").slice(0, 500),
          ref: null,
        });
      });
      await deps.chat.postMessage({ channel: req.channel, ...renderNotice(summaryFor(release, outcomes)) });
    },
  };
}

/** Waves of `waveSize` hosts, each wave at once; stops after the first wave with a failure. */
export async function upgradeInWaves(
  deps: Pick<CoreDeps, "transport" | "ids" | "clock" | "logger">,
  hosts: readonly string[],
  release: AgentRelease,
  waveSize: number,
  report: (o: HostUpgrade) => Promise<void>,
): Promise<HostUpgrade[]> {
  const all: HostUpgrade[] = [];
  let stopped = false;
  for (let at = 0; at < hosts.length; at += waveSize) {
    const wave = hosts.slice(at, at + waveSize);
    if (stopped) {
      for (const host of wave) {
        const o: HostUpgrade = { host, result: "not-tried" };
        all.push(o);
        await report(o);
      }
      continue;
    }
    const got = await Promise.all(
      wave.map(async (host) => {
        const o = await upgradeHost(deps, host, release).catch(
          (err: unknown): HostUpgrade => ({ host, result: "failed", reason: errorMessage(err) }),
        );
        await report(o);
        return o;
      }),
    );
    all.push(...got);
    if (got.some((o) => o.result === "failed" || o.result === "rolled-back")) stopped = true;
  }
  return all;
}

async function upgradeHost(
  deps: Pick<CoreDeps, "transport" | "ids" | "clock" | "logger">,
  host: string,
  release: AgentRelease,
): Promise<HostUpgrade> {
  if (!(await deps.transport.isOnline(host))) return { host, result: "offline" };
  const asked = await runStep(
    deps,
    host,
    "agent.upgrade",
    { version: release.version, sha256: release.sha256 },
    70_000,
  );
  if (typeof asked === "string") return { host, result: "failed", reason: asked };
  const data = asked.data as AgentUpgradeData | undefined;
  if (!data) return { host, result: "failed", reason: "the agent answered without data" };
  if (!data.accepted) {
    if (data.from === release.version) return { host, result: "current", to: release.version };
    return { host, result: "failed", reason: `refused on the host: ${data.reason ?? "no reason given"}` };
  }
  deps.logger.info("agent upgrade accepted", { host, from: data.from, to: data.to });
  // The old agent tries the new one beside it, then restarts into it or resumes: ask until it says.
  const until = deps.clock.now() + UPGRADE_WAIT_MS;
  while (deps.clock.now() < until) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (!(await deps.transport.isOnline(host))) continue;
    const got = await runStep(deps, host, "versions", {}, 5_000);
    if (typeof got === "string") continue;
    const v = got.data as VersionsData | undefined;
    const last = v?.upgrade;
    if (!v || !last || last.to !== release.version) continue;
    if (last.phase === "rolled-back") {
      return { host, result: "rolled-back", reason: last.reason ?? "the new agent failed its trial" };
    }
    if (last.phase === "passed" && v.agent === release.version) {
      return {
        host,
        result: "upgraded",
        from: data.from,
        to: release.version,
        ...(data.supervisor ? { supervisor: data.supervisor } : {}),
      };
    }
  }
  return {
    host,
    result: "failed",
    reason: `no answer from an upgraded or rolled-back agent within ${UPGRADE_WAIT_MS / 1000} s`,
  };
}

/** One step on one host: its result, or why there is none. */
async function runStep(
  deps: Pick<CoreDeps, "transport" | "ids">,
  host: string,
  step: "agent.upgrade" | "versions",
  args: Record<string, unknown>,
  deadlineMs: number,
): Promise<StepResult | string> {
  const outcome = await deps.transport.dispatch(
    host,
    { jobId: deps.ids.id("upgrade"), steps: [{ step, args } as never], deadlineMs, progress: false },
    () => {},
  );
  if (outcome.status === "rejected") return `${outcome.error.code}: ${outcome.error.message}`;
  if (outcome.status === "lost") return `the job was lost: ${outcome.reason}`;
  const r = outcome.results.find((x) => x.step === step);
  if (!r) return outcome.status === "timeout" ? `no answer within ${deadlineMs / 1000} s` : "no result";
  if (r.status !== "ok") return `${r.error?.code ?? r.status}: ${r.error?.message ?? ""}`;
  return r;
}

export function lineFor(o: HostUpgrade): string {
  switch (o.result) {
    case "upgraded":
      return `✅ *${o.host}*: ${o.from} → ${o.to}, came online and passed its probe${o.supervisor ? ` (restarted by ${o.supervisor})` : ""}.`;
    case "current":
      return `✅ *${o.host}*: already ${o.to}.`;
    case "rolled-back":
      return `⏪ *${o.host}*: rolled back, the old agent kept running: ${o.reason}`;
    case "failed":
      return `❌ *${o.host}*: not upgraded: ${o.reason}`;
    case "offline":
      return `⚪ *${o.host}*: offline, not tried.`;
    case "not-tried":
      return `⏸️ *${o.host}*: not tried (an earlier wave failed).`;
  }
}

function summaryFor(release: AgentRelease, all: readonly HostUpgrade[]): string {
  const n = (r: HostUpgrade["result"]) => all.filter((o) => o.result === r).length;
  const parts = [
    `${n("upgraded") + n("current")} on ${release.version}`,
    ...(n("rolled-back") ? [`${n("rolled-back")} rolled back`] : []),
    ...(n("failed") ? [`${n("failed")} failed`] : []),
    ...(n("offline") ? [`${n("offline")} offline`] : []),
    ...(n("not-tried") ? [`${n("not-tried")} not tried`] : []),
  ];
  const failed = all.some((o) => o.result === "failed" || o.result === "rolled-back");
  return `${failed ? "⚠️" : "✅"} Agent upgrade to ${release.version} finished: ${parts.join(", ")}.\n${all.map(lineFor).join("\n")}`;
}
