import type { StepResult } from "../../contract/catalog.ts";
import type { FleetEvidence } from "../classify/evidence.ts";
import type { WatchAttributes, WatchRecord } from "../ports/watch-record.ts";

/**
 * What a host's watch state carries for the fleet (issue 30): the chat credentials its config
 * names (by fingerprint), its chat accounts that are down or silent, its model providers whose
 * credentials are not usable. Hosts failing for one shared cause share one of these strings.
 */
export function watchAttributes(results: readonly StepResult[]): WatchAttributes | undefined {
  const out: WatchAttributes = {};
  for (const r of results) {
    if (r.status !== "ok") continue;
    if (r.step === "gateway.vitals" && r.data) {
      const creds = r.data.channelCredentials.map((c) => `${c.channel}/${c.accountId} ${c.fingerprint}`);
      if (creds.length > 0) out.channelCredentials = creds;
      if (r.data.providersInCooldown?.length) out.modelCooldown = [...r.data.providersInCooldown];
    }
    if (r.step === "state.files" && r.data?.plugins?.packages.length) {
      out.plugins = r.data.plugins.packages.slice(0, MAX_PLUGINS).map((p) => `${p.name} ${p.version ?? "?"}`);
    }
    if (r.step === "gateway.ws" && r.data) {
      const accounts = r.data.channelsRpc?.ok ? (r.data.channelsRpc.accounts ?? []) : [];
      const down = accounts
        .filter((a) => a.enabled !== false && a.configured !== false)
        .flatMap((a) => {
          const state =
            a.running === false
              ? "not-running"
              : a.connected === false
                ? "disconnected"
                : (a.transportIdleMin ?? 0) >= 10 && a.mode !== "webhook"
                  ? "silent"
                  : null;
          return state ? [`${a.channel}/${a.accountId} ${state}`] : [];
        });
      if (down.length > 0) out.channelsDown = down;
      const providers = r.data.modelsRpc?.ok ? (r.data.modelsRpc.providers ?? []) : [];
      const bad = providers
        .filter((p) => p.status !== "ok" && p.status !== "static")
        .map((p) => `${p.provider} ${p.status}`);
      if (bad.length > 0) out.modelAuth = bad;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Plugins kept per host in its watch state (a gateway runs a few; the agent reads at most 128). */
const MAX_PLUGINS = 40;

/**
 * The chat credentials `host` names that other hosts' watch states name too, compared by
 * fingerprint: a bot token polled from two hosts.
 */
export function sharedCredentials(
  host: string,
  own: readonly { channel: string; accountId: string; fingerprint: string }[],
  records: readonly WatchRecord[],
): FleetEvidence {
  const shared: FleetEvidence["sharedCredentials"] = [];
  for (const c of own) {
    const hosts = records
      .filter(
        (r) =>
          r.host !== host && (r.last.attributes?.channelCredentials ?? []).some((x) => x.endsWith(` ${c.fingerprint}`)),
      )
      .map((r) => r.host)
      .sort();
    if (hosts.length > 0) shared.push({ ...c, hosts: hosts.slice(0, 10) });
  }
  return { sharedCredentials: shared };
}
