import { errorMessage } from "../../contract/errors.ts";
import type { Actor } from "../authz/authz.ts";
import { authorize } from "../authz/authz.ts";
import { ClawopsError } from "../errors.ts";
import { guardFrozen } from "../freezes/freezes.ts";
import { requireHost, requireOnline } from "../hosts/lookup.ts";
import { noteTimeline } from "../incidents/record.ts";
import { clip } from "../messages/build.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { RecoverRun } from "../ports/recovery.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { recoverRuns } from "./runs.ts";

/**
 * `/openclaw recover <host>`: authorizes, claims the host for one run and launches it where
 * this runtime runs recover runs (runs.ts); the runbook itself is runbook/runner.ts.
 */
export async function startRecover(deps: CoreDeps, req: CommandRequest, hostName: string): Promise<CommandReply> {
  if (deps.recovery.runbookUnavailable) {
    throw new ClawopsError("recover_unavailable", deps.recovery.runbookUnavailable, { status: 501 });
  }
  const actor: Actor = { user: req.user, channel: req.channel, source: req.source };
  await authorize(deps.recovery.authz, actor, "recover");
  const host = await requireHost(deps, hostName);
  // A frozen host is someone's recovery: only its owner or an incident lead may start another.
  await guardFrozen(deps, actor, host.name, "recover");
  await requireOnline(deps, host, "nothing can be recovered through it");
  const runs = recoverRuns(deps);
  const runId = deps.ids.id("rec");
  const running = await runs.claim(host.name, runId);
  if (running) {
    throw new ClawopsError(
      "recover_running",
      `A recovery of ${host.name} is already running (run \`${running}\`); follow it in the host's incident thread.`,
      { status: 409 },
    );
  }
  const run: RecoverRun = { host: host.name, actor, runId };
  let later: (() => Promise<void>) | null;
  try {
    later = await runs.launch(run);
  } catch (err) {
    await runs.release(host.name, runId).catch(() => undefined);
    deps.logger.error("recover run did not start", { host: host.name, run: runId, err: String(err) });
    throw new ClawopsError(
      "recover_not_started",
      `The recovery of ${host.name} could not be started: ${clip(errorMessage(err), 300)}. Nothing was changed; try again.`,
      { status: 503 },
    );
  }
  await noteTimeline(deps, host.name, {
    actor: req.user,
    kind: "recover",
    text: `started the recovery runbook (run ${runId})`,
    ref: runId,
  });
  return {
    ack: renderNotice(
      `🛠️ Recovery of *${host.name}* started (run \`${runId}\`): six steps, live in the host's incident thread. The restart waits for your confirmation there.`,
    ),
    ...(later ? { later } : {}),
  };
}
