/**
 * What the gateway spends answering the watch's WebSocket session (docs/watch.md, "What a probe
 * reads"): a real OpenClaw gateway from the lab cache, then N periods of GAP ms with nothing asked
 * of it, then N periods each opening one session with the probe's own reads (the handshake, then
 * `requestReads` from src/agent/probes/gateway-ws.ts: eight RPCs at once). The CPU of the gateway's
 * process group, the children it reaped included, read from /proc; the difference per session is
 * what a probe costs the gateway. A diagnostic, not a budget.
 *
 *   npx node bench/gateway-side.ts
 *   N=40 GAP=1000 npx node bench/gateway-side.ts
 */

import { requestReads } from "../src/agent/probes/gateway-ws.ts";
import { connectGateway } from "../src/agent/probes/gateway-ws-client.ts";
import { RealGateway } from "../test/support/gateway/gateway.ts";
import { ensureOpenclaw } from "../test/support/gateway/install.ts";
import { groupCpuTicks } from "../test/support/gateway/readiness.ts";

const N = Number(process.env.N ?? 20);
const GAP_MS = Number(process.env.GAP ?? 2_000);
/** Linux's USER_HZ: /proc's clock ticks per second. */
const TICKS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const groupCpu = async (group: number) => (await groupCpuTicks(group, { reaped: true })) / TICKS;

const gw = await RealGateway.create(await ensureOpenclaw());
try {
  await gw.start();
  const group = gw.pid as number;
  await sleep(5_000);
  let before = await groupCpu(group);
  for (let i = 0; i < N; i++) await sleep(GAP_MS);
  const idle = (await groupCpu(group)) - before;
  before = await groupCpu(group);
  for (let i = 0; i < N; i++) {
    const started = Date.now();
    const session = await connectGateway({ url: gw.url, token: gw.token, timeoutMs: 10_000, clientVersion: "bench" });
    if (!session.connection) throw new Error(`no session: ${session.outcome} ${JSON.stringify(session.error)}`);
    const answers = await requestReads(session.connection, 10_000);
    await session.connection.close();
    const failed = answers.flatMap((a) => (a.ok ? [] : [a.error.message]));
    if (failed.length) throw new Error(`not answered: ${failed.join("; ")}`);
    await sleep(Math.max(0, GAP_MS - (Date.now() - started)));
  }
  const probed = (await groupCpu(group)) - before;
  console.log(
    `gateway group CPU over ${N} periods of ${GAP_MS} ms: idle ${idle.toFixed(2)} s (${((100 * idle) / ((N * GAP_MS) / 1000)).toFixed(1)} % of a core), ` +
      `with a session each ${probed.toFixed(2)} s: ${(((probed - idle) / N) * 1000).toFixed(0)} ms of CPU per session`,
  );
} finally {
  await gw.dispose().catch(() => {});
}
