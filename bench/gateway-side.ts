/**
 * What the gateway spends answering the watch's WebSocket session (docs/watch.md, "What a probe
 * reads"): a real OpenClaw gateway from the lab cache, then N periods of GAP ms with nothing asked
 * of it, then N periods each opening one session with the probe's eight reads (the handshake, then
 * `health`, `status`, `cron.status`, `cron.list`, `config.get`, `channels.status`,
 * `models.authStatus`, `sessions.list`, all at once, as src/agent/probes/gateway-ws.ts asks them).
 * The CPU of the gateway's process group, its reaped children included, read from /proc; the
 * difference per session is what a probe costs the gateway. A diagnostic, not a budget.
 *
 *   npx node bench/gateway-side.ts
 *   N=40 GAP=1000 npx node bench/gateway-side.ts
 */
import { readdirSync, readFileSync } from "node:fs";
import { connectGateway } from "../src/agent/probes/gateway-ws-client.ts";
import { SESSIONS_LIST_PARAMS } from "../src/agent/probes/gateway-ws-sessions.ts";
import { RealGateway } from "../test/support/gateway/gateway.ts";
import { ensureOpenclaw } from "../test/support/gateway/install.ts";

const N = Number(process.env.N ?? 20);
const GAP_MS = Number(process.env.GAP ?? 2_000);
const READS: [string, Record<string, unknown>][] = [
  ["health", {}],
  ["status", {}],
  ["cron.status", {}],
  ["cron.list", { limit: 200 }],
  ["config.get", {}],
  ["channels.status", { probe: false }],
  ["models.authStatus", {}],
  ["sessions.list", { ...SESSIONS_LIST_PARAMS }],
];
const TICKS = 100;

/** CPU seconds of every process in the group (user + system, with reaped children's). */
function groupCpu(group: number): number {
  let total = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === group) total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS;
    } catch {
      // Gone between the listing and the read.
    }
  }
  return total;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const gw = await RealGateway.create(await ensureOpenclaw());
try {
  await gw.start();
  const group = gw.pid as number;
  await sleep(5_000);
  let before = groupCpu(group);
  for (let i = 0; i < N; i++) await sleep(GAP_MS);
  const idle = groupCpu(group) - before;
  before = groupCpu(group);
  for (let i = 0; i < N; i++) {
    const started = Date.now();
    const session = await connectGateway({ url: gw.url, token: gw.token, timeoutMs: 10_000, clientVersion: "bench" });
    if (!session.connection) throw new Error(`no session: ${session.outcome} ${JSON.stringify(session.error)}`);
    const answers = await Promise.all(
      READS.map(([method, params]) => session.connection?.request(method, params, 10_000)),
    );
    await session.connection.close();
    const failed = READS.filter((_, j) => !answers[j]?.ok).map(([m]) => m);
    if (failed.length) throw new Error(`not answered: ${failed.join(", ")}`);
    await sleep(Math.max(0, GAP_MS - (Date.now() - started)));
  }
  const probed = groupCpu(group) - before;
  console.log(
    `gateway group CPU over ${N} periods of ${GAP_MS} ms: idle ${idle.toFixed(2)} s (${((100 * idle) / ((N * GAP_MS) / 1000)).toFixed(1)} % of a core), ` +
      `with a session each ${probed.toFixed(2)} s: ${(((probed - idle) / N) * 1000).toFixed(0)} ms of CPU per session`,
  );
} finally {
  await gw.dispose().catch(() => {});
}
