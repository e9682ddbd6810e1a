import type { RunbookStep } from "../step.ts";
import { findingTitles, snapshotOf } from "./snapshot.ts";

/** 3. Workspace and model routing, as the snapshot classified them. */
export const checkRouting: RunbookStep = async (ctx, at) => {
  const { c12n } = snapshotOf(ctx);
  const ws = c12n.matrix.workspace.status;
  const mr = c12n.matrix.model_routing.status;
  const titles = findingTitles(c12n, ["workspace", "model_routing"]);
  await at.set(
    ws === "fail" || mr === "fail" ? "warn" : "ok",
    `workspace ${ws}, model routing ${mr}${titles ? ` · ${titles}` : ""}`,
  );
  return "next";
};
