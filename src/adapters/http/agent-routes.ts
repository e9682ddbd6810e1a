import { type Context, Hono } from "hono";
import { ClawopsError } from "../../core/errors.ts";
import { type Capability, capabilityOff } from "../../core/ports/deps.ts";
import { failingInstallScript } from "./agent-files.ts";
import { SlidingWindow } from "./sliding-window.ts";
import { type ClientAddress, SourceWindows, UNKNOWN_SOURCE } from "./source-limits.ts";

/** What a control plane serves to hosts installing the agent (src/node/agent-install.ts makes them). */
export interface AgentFiles {
  /** The single-file agent, as `npm run build:agent` makes it. */
  agent: Uint8Array<ArrayBuffer>;
  /** Its SHA-256, lowercase hex. */
  sha256: string;
  /** Its version, as `clawops-agent --version` says it. */
  version: string;
  /** The install script, with this control plane's URL and the agent's SHA-256 in it. */
  installScript: string;
  /** infra/systemd/clawops-agent.service and infra/launchd/ai.clawops.agent.plist, as they are. */
  systemdUnit: string;
  launchdPlist: string;
}

/** Off: every route answers 501 with the reason. */
export type AgentFilesSource = Capability<() => Promise<AgentFiles>>;

/**
 * Requests a minute, across all callers, for these public files. An install takes three (the
 * script, the agent, the unit), so a rollout of 100 hosts a minute fits; the cap bounds what
 * anonymous callers can make the control plane send (the agent is about 700 KB). Past it, a
 * source that has fetched fewer than AGENT_INSTALL_ALLOWANCE files in the minute (a host
 * installing) is still served; heavier sources get 429 with Retry-After (issue 32, item 5: one
 * window for everyone let 300 anonymous downloads a minute block every install).
 */
export const AGENT_DOWNLOADS_PER_MINUTE = 300;
/** Requests a minute from one source: ten installs from one address (a NAT'd rollout). */
export const AGENT_DOWNLOADS_PER_SOURCE_PER_MINUTE = 30;
/** What one install fetches, with room for a retry: served to a source under it whatever the global count. */
export const AGENT_INSTALL_ALLOWANCE = 6;

/**
 * `GET /agent/*`: the agent, its SHA-256, the install script and the service units, for
 * `curl -fsSL <url>/agent/install.sh | sh -s -- --host … --code …`. They are public on purpose:
 * nothing in them is secret (the agent's source is the project's, the script holds only this
 * control plane's URL and the agent's digest), and the host proves who it is afterwards, at
 * `POST /api/enroll`, with the one-time code. So they ask no identity; they read no body, serve
 * files made once per process, and are rate-limited (docs/security.md).
 */
export function agentRoutes(
  source: AgentFilesSource | undefined,
  now: () => number,
  clientAddress: ClientAddress = () => UNKNOWN_SOURCE,
) {
  const app = new Hono();
  const files: AgentFilesSource =
    source ??
    capabilityOff("This control plane does not serve the agent: install it by hand (docs/agents-and-ssm.md).");
  const everywhere = new SlidingWindow(AGENT_DOWNLOADS_PER_MINUTE, 60_000);
  const bySource = new SourceWindows(AGENT_DOWNLOADS_PER_SOURCE_PER_MINUTE, 60_000);
  /** 0 when this request may be served (and counts it), else how long until it could be. */
  const take = (from: string, at: number): number => {
    const own = bySource.blockedForMs(from, at);
    if (own > 0) return own;
    const global = everywhere.blockedForMs(at);
    if (global > 0 && bySource.count(from, at) >= AGENT_INSTALL_ALLOWANCE) return global;
    bySource.add(from, at);
    everywhere.add(at);
    return 0;
  };

  const served = async (c: Context, pick: (f: AgentFiles) => string | Uint8Array<ArrayBuffer>) => {
    if (!files.on) throw new ClawopsError("not_configured", files.why, { status: 501 });
    const wait = take(clientAddress(c), now());
    if (wait > 0) {
      c.header("retry-after", String(Math.ceil(wait / 1000)));
      throw new ClawopsError(
        "too_many_attempts",
        `Too many agent downloads in the last minute; try again in ${Math.ceil(wait / 1000)} s.`,
        { status: 429 },
      );
    }
    return pick(await files.use());
  };
  // Made again when the control plane restarts (the digest may change): never cached.
  const noStore = (type: string) => ({ "content-type": type, "cache-control": "no-store" });
  const serve = (name: string, type: string, pick: (f: AgentFiles) => string | Uint8Array<ArrayBuffer>) =>
    app.get(`/${name}`, async (c: Context) => c.body(await served(c, pick), 200, noStore(type)));

  // The installer is piped into `sh` (`curl -fsSL …/install.sh | sh -s -- …`): when it cannot be
  // served, the answer is a script that says why and exits 1 (agent-files.ts), so the command fails
  // with the control plane's reason instead of ending 0 with nothing run.
  app.get("/install.sh", async (c: Context) => {
    try {
      return c.body(await served(c, (f) => f.installScript), 200, noStore("text/plain; charset=utf-8"));
    } catch (err) {
      if (!(err instanceof ClawopsError)) throw err;
      c.header("x-clawops-error", err.code);
      return c.body(failingInstallScript(err.message, err.status), 200, noStore("text/plain; charset=utf-8"));
    }
  });
  serve("clawops-agent.mjs", "text/javascript; charset=utf-8", (f) => f.agent);
  serve("clawops-agent.mjs.sha256", "text/plain; charset=utf-8", (f) => `${f.sha256}  clawops-agent.mjs\n`);
  serve("clawops-agent.service", "text/plain; charset=utf-8", (f) => f.systemdUnit);
  serve("ai.clawops.agent.plist", "application/xml; charset=utf-8", (f) => f.launchdPlist);
  return app;
}
