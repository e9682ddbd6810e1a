import type { TokensData } from "../../contract/catalog.ts";
import { tokenFingerprint } from "./fingerprint.ts";
import { pinOf, resolveGatewayTarget } from "./gateway-target.ts";
import { connectGateway } from "./gateway-ws-client.ts";
import { budget, type Probe } from "./probe.ts";

type Tested = NonNullable<TokensData["accepted"]>["tested"][number];

/**
 * The auth layer across sources: config, agent env, the running gateway's env and argv, the
 * service manager's env. Reported by fingerprint only. When sources disagree, each candidate
 * the gateway.ws step does not already present is tried with a real handshake, so the report
 * can say which token the running gateway accepts.
 */
export const probeTokens: Probe<"tokens"> = async (ctx, args, run) => {
  const readings = await run.readings.tokenSources();
  const sources = readings.map((r) => ({
    source: r.source,
    where: r.where,
    present: r.token !== undefined,
    fingerprint: r.token === undefined ? null : tokenFingerprint(r.token),
  }));
  const distinct = new Set(sources.flatMap((s) => (s.fingerprint ? [s.fingerprint] : [])));
  const data: TokensData = { sources, distinct: distinct.size };

  // gateway.ws already presents this token; trying it again would only add to the gateway's
  // auth-failure delay, which doubles per failed attempt up to 5 s (GATEWAY-FACTS §4.3).
  const target = await resolveGatewayTarget(ctx, run.readings);
  const candidates = new Map<string, string>();
  for (const r of readings) {
    if (r.token === undefined || r.token === target.token) continue;
    candidates.set(tokenFingerprint(r.token), r.token);
  }
  if (args.verifyAgainstGateway === false || candidates.size === 0) return data;

  const tested = await Promise.all(
    [...candidates].map(async ([fingerprint, token]): Promise<Tested> => {
      const handshake = await connectGateway({
        url: target.wsUrl,
        token,
        timeoutMs: budget(run, run.remainingMs()),
        signal: run.signal,
        clientVersion: ctx.agentVersion,
        ...pinOf(target),
      });
      await handshake.connection?.close();
      if (handshake.outcome === "hello-ok") return { fingerprint, result: "accepted" };
      const detailCode = handshake.error?.detailCode;
      return {
        fingerprint,
        result: handshake.outcome === "rejected" ? "rejected" : "error",
        ...(detailCode ? { detailCode } : {}),
      };
    }),
  );
  data.accepted = { tested, fingerprint: tested.find((t) => t.result === "accepted")?.fingerprint ?? null };
  return data;
};
