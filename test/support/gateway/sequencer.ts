import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { PAIR_FILES } from "./pair.ts";

/**
 * The files of the shared-gateway project that start in the state another leaves the gateway in
 * (control.ts, `gatewayAtFileStart`), each run right after that one, so the state is made once for
 * both and no start comes between them (issue 45, item 7: "restores once per group"). Otherwise
 * vitest's own order (BaseSequencer: failed, then the longest, first), after PAIR_FILES and before
 * GATEWAY_LAST_FILES. Each pair is in one lane
 * (scripts/run-suites.ts); a file run alone, or in any other order, makes its own state.
 */
export const GATEWAY_FILE_PAIRS: ReadonlyArray<{ leaves: string; next: string }> = [
  // Its unparseable config's refused restart leaves the gateway stopped; the first alert is for a stopped one.
  { leaves: "test/gateway/faults-truth.test.ts", next: "test/gateway/alerts.test.ts" },
  // Its last test stops the gateway; the SSM triage of a stopped gateway comes first.
  { leaves: "test/gateway/fleet-status.test.ts", next: "test/gateway/ssm-triage.test.ts" },
  // Their last test is of the drifted gateway; the supervised restart starts from drift.
  { leaves: "test/gateway/probes.test.ts", next: "test/gateway/restart-supervised.test.ts" },
  // Its last triage is of the drifted gateway; the drifted bundle comes first.
  { leaves: "test/gateway/agent-bundle.test.ts", next: "test/gateway/e2e-bundle.test.ts" },
];

/**
 * The file a lane of the shared gateway runs first (after PAIR_FILES, which are in the other lane):
 * its first tests are of the stopped gateway, so they need no gateway slot and run while the other
 * lane's pair holds both (global-setup.ts: the lab's first start waits for the pair, not the
 * lane). `probes`' stopped triage and CLI views take 40–50 s on a loaded box; its healthy start is
 * the lab's first, and its drifted end is `restart-supervised`'s start (the pair above). The
 * lab's never-started state is a fresh install's: nothing the stopped test reads depends on an
 * earlier run. Run alone or in any other order, it makes its own state.
 */
export const GATEWAY_FIRST_FILES: readonly string[] = ["test/gateway/probes.test.ts"];

/**
 * Files that leave the gateway stopped because what they leave in a running one (a plugin's state,
 * fault lines since its start) must not reach the next file: last among the files they run with,
 * so that when no file follows them in their lane, no start is spent on undoing it. In a clean
 * clone vitest's own order (larger files first) put `faults-field-live` second in `gateway-b`, and
 * the start the next file made for it was one of that lane's seven.
 */
export const GATEWAY_LAST_FILES: readonly string[] = ["test/gateway/faults-field-live.test.ts"];

export class GatewayPairsSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const key = (spec: TestSpecification) => `${spec.project.name}:${relative(root, spec.moduleId)}`;
    // The pair's files first, in their order (pair.ts): the other gateway lane waits for them. Then
    // the first files, in their order, before the project's others.
    const leading = [...PAIR_FILES, ...GATEWAY_FIRST_FILES];
    const rank = (spec: TestSpecification) => {
      const i = leading.findIndex((f) => key(spec) === `gateway:${f}`);
      return i < 0 ? leading.length : i;
    };
    sorted.sort((a, b) => rank(a) - rank(b));
    // After the project's other files (not after another project's).
    for (const last of GATEWAY_LAST_FILES) {
      const at = sorted.findIndex((s) => key(s) === `gateway:${last}`);
      if (at < 0) continue;
      const [spec] = sorted.splice(at, 1) as [TestSpecification];
      const end = sorted.findLastIndex((s) => s.project.name === "gateway");
      sorted.splice(end + 1, 0, spec);
    }
    // Until each second file is right after its first: a chain (one file both a first and a
    // second) is put together in as many passes as it has links, in whatever order it is listed.
    for (let pass = 0; pass <= GATEWAY_FILE_PAIRS.length; pass++) {
      let moved = false;
      for (const { leaves, next } of GATEWAY_FILE_PAIRS) {
        const follower = sorted.findIndex((s) => key(s) === `gateway:${next}`);
        const first = sorted.findIndex((s) => key(s) === `gateway:${leaves}`);
        if (follower < 0 || first < 0 || follower === first + 1) continue;
        const [spec] = sorted.splice(follower, 1) as [TestSpecification];
        sorted.splice(sorted.findIndex((s) => key(s) === `gateway:${leaves}`) + 1, 0, spec);
        moved = true;
      }
      if (!moved) break;
    }
    return sorted;
  }
}
