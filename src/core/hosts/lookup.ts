import { ClawopsError } from "../errors.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { HostRecord } from "../ports/store.ts";

/** An enrolled, unrevoked host, or a `unknown_host` error that says where to look. */
export async function requireHost(deps: CoreDeps, name: string): Promise<HostRecord> {
  const host = await deps.store.getHost(name);
  if (!host || host.revokedAt) {
    throw new ClawopsError(
      "unknown_host",
      `No enrolled host named \`${name}\`. See \`/openclaw hosts\` for the list, or enroll it with \`clawops-agent enroll\`.`,
      { status: 404 },
    );
  }
  return host;
}

/**
 * Fails with `host_offline` unless the host's agent is connected. `purpose` finishes the
 * sentence "its agent is not connected, so …" for commands that need more than a probe.
 */
export async function requireOnline(deps: CoreDeps, host: HostRecord, purpose?: string): Promise<void> {
  if (await deps.transport.isOnline(host.name)) return;
  const seen = host.lastSeenAt ? `last seen ${new Date(host.lastSeenAt).toISOString()}` : "never connected";
  throw new ClawopsError(
    "host_offline",
    `Host \`${host.name}\` is offline (${seen}): its agent is not connected${purpose ? `, so ${purpose}` : ""}. On the host check \`systemctl status clawops-agent\` (or run \`clawops-agent run\`), then retry.`,
    { status: 409 },
  );
}
