import { iso, mention } from "../../messages/format.ts";
import type { FreezeRecord } from "../../ports/recovery.ts";
import type { RunbookContext } from "./context.ts";

/**
 * Where the run's freeze stands now (issue 33, item 5): a freeze can be lifted (`unfreeze`),
 * replaced or expire while the run waits minutes for a confirmation. A change needs the freeze,
 * so the run reads it before each one and before its last word, instead of saying what it put
 * there at its start. Read through `fx` (a named step): a Workflow that resumes sees what the run
 * saw, not what is there on replay.
 */
export type RunFreeze =
  | { kind: "held"; freeze: FreezeRecord }
  | { kind: "replaced"; freeze: FreezeRecord }
  | { kind: "gone" };

export async function runFreeze(ctx: RunbookContext, name: string): Promise<RunFreeze> {
  const placed = ctx.facts.freeze;
  return ctx.fx.do(name, async (): Promise<RunFreeze> => {
    const now = ctx.deps.clock.now();
    const freeze = await ctx.deps.recovery.store.getFreeze(ctx.host);
    if (!freeze || freeze.expiresAt <= now) return { kind: "gone" };
    if (placed && freeze.createdAt === placed.createdAt && freeze.owner === placed.owner)
      return { kind: "held", freeze };
    return { kind: "replaced", freeze };
  });
}

/** Why a change was not made: the freeze it needs is not the run's any more. */
export function freezeLostWhy(state: Exclude<RunFreeze, { kind: "held" }>, host: string, change: string): string {
  const what =
    state.kind === "gone"
      ? `the freeze of *${host}* was lifted (or expired) while the run waited`
      : `the freeze of *${host}* was replaced while the run waited (now ${mention(state.freeze.owner)}'s, until ${iso(state.freeze.expiresAt)})`;
  return `${what}, and ${change} needs the run's freeze: nothing was changed by it. Start again with \`/openclaw recover ${host}\`.`;
}

/** The closing message's line about the freeze, as it really is now. */
export function freezeNow(state: RunFreeze, host: string): string {
  switch (state.kind) {
    case "held":
      return `The freeze stays until you lift it (\`/openclaw unfreeze ${host}\`) or it expires at ${iso(state.freeze.expiresAt)}.`;
    case "replaced":
      return `*${host}* stays frozen by ${mention(state.freeze.owner)} until ${iso(state.freeze.expiresAt)} (\`/openclaw status\`).`;
    case "gone":
      return `*${host}* is not frozen any more: its freeze was lifted or expired (\`/openclaw status\`).`;
  }
}
