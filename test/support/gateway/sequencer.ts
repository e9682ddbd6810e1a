import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { PAIR_FILES } from "./pair.ts";

/**
 * The files of the shared-gateway project that start in the state another leaves the gateway in
 * (control.ts, `gatewayAtFileStart`), each run right after that one, so the state is made once for
 * both and no start comes between them (issue 45, item 7: "restores once per group"). Otherwise
 * vitest's own order (BaseSequencer: failed, then the longest, first), after PAIR_FILES. Each pair is in one lane
 * (scripts/run-suites.ts); a file run alone, or in any other order, makes its own state.
 */
export const GATEWAY_FILE_PAIRS: ReadonlyArray<{ leaves: string; next: string }> = [
  // Its unparseable config's refused restart leaves the gateway stopped; the first alert is for a stopped one.
  { leaves: "test/gateway/faults-truth.test.ts", next: "test/gateway/alerts.test.ts" },
  // Its last test stops the gateway; the SSM triage of a stopped gateway comes first.
  { leaves: "test/gateway/fleet-status.test.ts", next: "test/gateway/ssm-triage.test.ts" },
  // Its last triage is of the drifted gateway; the supervised restart starts from drift.
  { leaves: "test/gateway/agent-bundle.test.ts", next: "test/gateway/restart-supervised.test.ts" },
];

export class GatewayPairsSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const key = (spec: TestSpecification) => `${spec.project.name}:${relative(root, spec.moduleId)}`;
    // The pair's files first, in their order (pair.ts): the other gateway lane waits for them.
    const rank = (spec: TestSpecification) => {
      const i = PAIR_FILES.findIndex((f) => key(spec) === `gateway:${f}`);
      return i < 0 ? PAIR_FILES.length : i;
    };
    sorted.sort((a, b) => rank(a) - rank(b));
    for (const { leaves, next } of GATEWAY_FILE_PAIRS) {
      const follower = sorted.findIndex((s) => key(s) === `gateway:${next}`);
      if (follower < 0 || !sorted.some((s) => key(s) === `gateway:${leaves}`)) continue;
      const [spec] = sorted.splice(follower, 1) as [TestSpecification];
      sorted.splice(sorted.findIndex((s) => key(s) === `gateway:${leaves}`) + 1, 0, spec);
    }
    return sorted;
  }
}
