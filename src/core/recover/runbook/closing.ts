import { collectBundleOnRecoverFailure } from "../../bundles/bundle.ts";
import { renderUnfreezeNotice } from "../../freezes/render.ts";
import { renderNotice } from "../../messages/notices.ts";
import type { FreezeRecord } from "../../ports/recovery.ts";
import type { RunbookContext } from "./context.ts";
import { freezeNow, runFreeze } from "./freeze-state.ts";

export const ROLLBACK_ADVICE =
  "*Rollback (seeds, sections 3–4):* if the restart still yields `gateway closed (1000)`, first establish who listens on the port and which user started it (`ss -ltnp`, `openclaw gateway status --deep`): a process that never exited or a drifted container bind mount is the usual cause. Then roll the config back: restore `openclaw.json.last-good` (or the newest `openclaw.json.bak`) in the state dir, restart again and re-run `/openclaw recover`. System logs: `journalctl -u <unit> -n 200 --no-pager`, or `docker compose logs --tail=200 gateway`.";

/** Hook point for repro bundles: posted when a run stops; the bundle command answers it. */
export const REPRO_BUNDLE_OFFER =
  "📦 Want a repro bundle (redacted probe results, log signatures, versions, this run's audit trail) for the ticket? Ask with `/openclaw bundle <host>` in this thread.";

/** Posted instead of the offer when bundles are configured: the run collects one itself. */
export const REPRO_BUNDLE_AUTO =
  "📦 Collecting a redacted repro bundle of this host now; it follows in this thread (and is kept for the ticket).";

/**
 * The closing steps of a run that stops: the steps not reached show skipped, the thread says
 * why (the freeze stays, rollback advice), and the run collects its repro bundle if it can.
 */
export async function stopRun(ctx: RunbookContext, why: string): Promise<void> {
  const { deps, run, host } = ctx;
  for (const s of ctx.views) if (s.state === "pending") s.state = "skipped";
  await ctx.fx.do(ctx.next("stopped"), async () => {
    await ctx.show("stopped");
    await ctx.note(`recovery stopped: ${why}`);
    return null;
  });
  const collecting = deps.bundles.on;
  // What `/openclaw status` would say now, not what the run placed at its start.
  const freeze = ctx.facts.freeze
    ? freezeNow(await runFreeze(ctx, "freeze at stop"), host)
    : `*${host}* was not frozen by this run.`;
  await ctx.say(
    `🧊 Recovery of *${host}* stopped: ${why}\n${freeze}\n${ROLLBACK_ADVICE}\n${collecting ? REPRO_BUNDLE_AUTO : REPRO_BUNDLE_OFFER.replace("<host>", host)}`,
  );
  if (!collecting) return;
  // Issue 5: a failed run collects its repro bundle on its own (one per run: the request key).
  await ctx.fx.do(ctx.next("bundle"), async () => {
    const outcome = await collectBundleOnRecoverFailure(deps, {
      host,
      channel: run.actor.channel,
      user: run.actor.user,
      requestKey: `${run.runId}:bundle`,
      reason: why,
    });
    await ctx.audit(
      "recover.bundle",
      outcome.status === "stored" ? "ok" : "error",
      outcome.status === "stored" ? `bundle ${outcome.bundleId}` : outcome.reason.slice(0, 500),
    );
    return null;
  });
}

/** The closing step of a run that recovered its host: the freeze lifted, the all-clear, the last word. */
export async function finishRun(ctx: RunbookContext): Promise<void> {
  const { deps, run, host } = ctx;
  const { chat, clock } = deps;
  const freeze = ctx.facts.freeze;
  if (!freeze) throw new Error("the runbook finished without its freeze");
  await ctx.fx.do("done", async () => {
    const lifted = await deps.recovery.store.removeFreeze(host, freeze.createdAt);
    await ctx.show("done");
    await ctx.note(
      `recovered in ${Math.round((clock.now() - ctx.started) / 1000)} s: gateway serving, read and write pass${lifted ? "; freeze lifted" : ""}`,
    );
    if (lifted) {
      for (const ref of freezeRefs(lifted)) {
        await chat
          .postMessage({
            channel: ref.channel,
            threadTs: ref.threadTs ?? undefined,
            ...renderUnfreezeNotice(lifted, run.actor.user, clock.now()),
          })
          .catch(() => undefined);
      }
    }
    await chat
      .postMessage({
        channel: run.actor.channel,
        threadTs: ctx.threadTs,
        ...renderNotice(
          `✅ *${host}* recovered in ${Math.round((clock.now() - ctx.started) / 1000)} s: gateway serving, read and write pass. ${lifted ? "Freeze lifted." : "Its freeze had been lifted already."}`,
        ),
      })
      .catch(() => undefined);
    return null;
  });
}

function freezeRefs(f: FreezeRecord) {
  return f.notices.length > 0 ? f.notices : [{ channel: f.channel, threadTs: null }];
}
