import type { HostRecord } from "../../src/core/ports/store.ts";
import type { WatchRecord } from "../../src/core/ports/watch-record.ts";
import { DirectoryStore } from "../../src/worker/directory-store.ts";
import type { WorkerEnv } from "../../src/worker/env.ts";
import worker from "../../src/worker/index.ts";
import { watchShardName } from "../../src/worker/watch-shard.ts";

export { ClawopsDirectory, FanoutShard, HostAgent, RecoverWorkflow, WatchShard } from "../../src/worker/index.ts";

/**
 * The Worker as bench/fleet-workerd.ts runs it: src/worker/index.ts unchanged, plus one route
 * that only this bench entry has, `POST /__bench/seed` (bearer CLAWOPS_ADMIN_TOKEN), which
 * writes enrolled hosts into the directory object and watch states into their shard objects
 * through the same RPC methods the Worker and the host objects use. It stands in for 10,000
 * agents having enrolled and reported; what `status all` then reads is the real stored state.
 */
export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/__bench/seed") return worker.fetch(request, env, ctx);
    if (!env.CLAWOPS_ADMIN_TOKEN || request.headers.get("authorization") !== `Bearer ${env.CLAWOPS_ADMIN_TOKEN}`) {
      return new Response("unauthorized", { status: 401 });
    }
    const shards = env.WATCH_SHARDS;
    if (!shards) return new Response("no WATCH_SHARDS binding", { status: 500 });
    const body = (await request.json()) as { hosts: HostRecord[]; watch: WatchRecord[] };
    const store = new DirectoryStore(env.DIRECTORY);
    const inserted = await Promise.all(body.hosts.map((h) => store.insertHost(h)));
    await Promise.all(body.watch.map((w) => shards.get(shards.idFromName(watchShardName(w.host))).put(w)));
    return Response.json({ hosts: inserted.filter(Boolean).length, watch: body.watch.length });
  },
  scheduled: worker.scheduled,
} satisfies ExportedHandler<WorkerEnv>;
