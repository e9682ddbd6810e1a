/**
 * The control plane of the agent's compressed day (bench/agent-day.ts), in a process of its own
 * so the bench can kill it and start it again on the same port and data folder
 * (test/support/control-plane-process.ts starts it, as `main`). It is `startControlPlane` with
 * the console on, as `npm start` runs it, plus what the day needs and the environment cannot say
 * (CLAWOPS_BENCH_PLANE, JSON): the hub's heartbeat (the agent drops a silent link after two
 * heartbeats and a second) and the watch's cadence. What the bench counts it says on stdout, one
 * line each: `welcome` per agent handshake the hub welcomed, `missed` per agent the hub dropped
 * for missed pings, `watch <seq>` per watch frame the watch received (seq: the agent's probe count).
 * stdout is a pipe, written synchronously on Linux: a line written before a SIGKILL is not lost.
 */
import type { WatchSettings } from "../src/core/hosts/watch-state.ts";
import { startControlPlane } from "../src/node/server.ts";

const settings = JSON.parse(process.env.CLAWOPS_BENCH_PLANE ?? "{}") as {
  heartbeatMs?: number;
  watch?: Partial<WatchSettings>;
};
const say = (line: string) => process.stdout.write(`${line}\n`);
const cp = await startControlPlane({
  port: Number(process.env.CLAWOPS_PORT ?? 0),
  bind: "127.0.0.1",
  dataDir: process.env.CLAWOPS_DATA_DIR ?? "",
  console: true,
  ...(settings.heartbeatMs ? { heartbeatMs: settings.heartbeatMs } : {}),
  ...(settings.watch ? { watch: settings.watch } : {}),
  logger: {
    info(message) {
      if (message === "agent connected") say("welcome");
    },
    warn(message) {
      if (message === "agent missed heartbeats; dropping") say("missed");
    },
    error(message, fields) {
      process.stderr.write(`${JSON.stringify({ level: "error", msg: message, ...fields })}\n`);
    },
  },
});
const receive = cp.watch.receive.bind(cp.watch);
cp.watch.receive = (host, frame) => {
  say(`watch ${frame.seq}`);
  return receive(host, frame);
};
say(`clawops is running at ${cp.url}`);
process.once("SIGTERM", () => void cp.close().then(() => process.exit(0)));
