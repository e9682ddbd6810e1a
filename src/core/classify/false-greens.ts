import type { Evidence } from "./evidence.ts";

/**
 * What looks fine while a rule's fault is real: the green checks a rule names as its false green,
 * shared by the core and config rules.
 */

export function healthzGreen(e: Evidence): string | null {
  const h = e["gateway.http"];
  return h?.healthz.status === 200 ? 'HTTP /healthz answered 200 {"status":"live"}' : null;
}

export function gatewayStatusExit0(e: Evidence): string | null {
  const gs = e["gateway.status"];
  return gs && gs.exitCode === 0 && gs.json?.rpcOk === false
    ? "`openclaw gateway status` exited 0 (it only fails with --require-rpc)"
    : null;
}

/**
 * For a gateway that is down: what `gateway status` did when it ran, else what it does in this
 * state (exit 0 unless --require-rpc: GATEWAY-FACTS §3). A triage no longer runs it (issue 17).
 */
export function gatewayStatusExit0WhenDown(e: Evidence): string | null {
  if (e["gateway.status"]) return gatewayStatusExit0(e);
  return "`openclaw gateway status` exits 0 in this state (it only fails with --require-rpc)";
}

export const joinGreens = (...greens: (string | null)[]) => {
  const present = greens.filter((g): g is string => g !== null);
  return present.length > 0 ? present.join("; ") : null;
};
