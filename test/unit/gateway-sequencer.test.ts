import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { TestSpecification, Vitest } from "vitest/node";
import { PAIR_FILES } from "../support/gateway/pair.ts";
import {
  GATEWAY_FILE_PAIRS,
  GATEWAY_FIRST_FILES,
  GATEWAY_LAST_FILES,
  GatewayPairsSequencer,
} from "../support/gateway/sequencer.ts";

/**
 * The shared-gateway files paired so that a stopped or drifted gateway one leaves is the next
 * one's start (test/support/gateway/sequencer.ts): the pairs name files that exist, each second
 * file declares that it starts so, and the order puts it right after the first.
 */
const ROOT = resolve(import.meta.dirname, "../..");

function spec(project: string, file: string): TestSpecification {
  return {
    moduleId: join(ROOT, file),
    project: { name: project, config: { sequence: { groupOrder: 0 }, isolate: true } },
  } as unknown as TestSpecification;
}

/** vitest's own order with no results cached: larger files first. */
const sizes = new Map<string, number>();
const ctx = {
  config: { root: ROOT },
  cache: {
    getFileTestResults: () => undefined,
    getFileStats: (key: string) => ({ size: sizes.get(key) ?? 0 }),
  },
} as unknown as Vitest;

describe("the shared-gateway file pairs", () => {
  it("name files that exist, and each second file declares the state the first leaves", () => {
    for (const { leaves, next } of GATEWAY_FILE_PAIRS) {
      expect(existsSync(join(ROOT, leaves)), leaves).toBe(true);
      expect(readFileSync(join(ROOT, next), "utf8"), next).toMatch(/gatewayAtFileStart\("(stopped|drifted)"\)/);
    }
  });

  it("run each second file right after the first, whatever vitest's own order put between them", async () => {
    // Every paired file (a chain's middle file is both a first and a second) and one unpaired,
    // the second files larger, so that vitest's own order puts them first.
    const seconds = GATEWAY_FILE_PAIRS.map((p) => p.next);
    const files = [
      ...seconds,
      "test/gateway/faults.test.ts",
      ...GATEWAY_FILE_PAIRS.map((p) => p.leaves).filter((f) => !seconds.includes(f)),
    ];
    expect(new Set(files).size).toBe(files.length);
    for (const [i, f] of files.entries()) sizes.set(`gateway:${f}`, (files.length - i) * 1000);
    const sorted = await new GatewayPairsSequencer(ctx).sort([
      ...files.map((f) => spec("gateway", f)),
      spec("unit", "test/unit/classify.test.ts"),
    ]);
    const order = sorted.map((s) => `${s.project.name}:${s.moduleId.slice(ROOT.length + 1)}`);
    for (const { leaves, next } of GATEWAY_FILE_PAIRS) {
      expect(order.indexOf(`gateway:${next}`), `${next} after ${leaves}: ${order.join(", ")}`).toBe(
        order.indexOf(`gateway:${leaves}`) + 1,
      );
    }
    expect(order).toHaveLength(files.length + 1);
  });

  it("run each last file after the project's other files, the largest of them included, and before another project's", async () => {
    for (const last of GATEWAY_LAST_FILES) {
      expect(existsSync(join(ROOT, last)), last).toBe(true);
      // Not a first of a pair: its second would then follow it.
      expect(
        GATEWAY_FILE_PAIRS.some((p) => p.leaves === last || p.next === last),
        last,
      ).toBe(false);
    }
    const others = ["test/gateway/watch.test.ts", "test/gateway/oncall.test.ts", "test/gateway/e2e-triage.test.ts"];
    // The last files the largest, so that vitest's own order puts them first.
    for (const [i, f] of [...GATEWAY_LAST_FILES, ...others].entries()) sizes.set(`gateway:${f}`, (100 - i) * 1000);
    const sorted = await new GatewayPairsSequencer(ctx).sort([
      ...[...GATEWAY_LAST_FILES, ...others].map((f) => spec("gateway", f)),
      spec("unit", "test/unit/classify.test.ts"),
    ]);
    const order = sorted.map((s) => `${s.project.name}:${s.moduleId.slice(ROOT.length + 1)}`);
    const gatewayFiles = order.filter((k) => k.startsWith("gateway:"));
    expect(gatewayFiles.slice(-GATEWAY_LAST_FILES.length)).toEqual(GATEWAY_LAST_FILES.map((f) => `gateway:${f}`));
    expect(order).toHaveLength(GATEWAY_LAST_FILES.length + others.length + 1);
    // Projects run one after another: the last file stays in its own.
    expect(order.at(-1)).toBe("unit:test/unit/classify.test.ts");
  });

  it("run each first file after the pair's files and before the project's others, its pair's second right after it", async () => {
    for (const first of GATEWAY_FIRST_FILES) {
      // Its tests before the lab's first start are of a stopped gateway: it declares so.
      expect(readFileSync(join(ROOT, first), "utf8"), first).toMatch(/gatewayAtFileStart\("stopped"\)/);
      // Not a second of a pair: the pair would move it after its first.
      expect(
        GATEWAY_FILE_PAIRS.some((p) => p.next === first),
        first,
      ).toBe(false);
    }
    const seconds = GATEWAY_FILE_PAIRS.filter((p) => GATEWAY_FIRST_FILES.includes(p.leaves)).map((p) => p.next);
    const others = ["test/gateway/watch.test.ts", "test/gateway/faults.test.ts", ...GATEWAY_LAST_FILES];
    // The first files the smallest, so that vitest's own order puts them last.
    const files = [...PAIR_FILES, ...others, ...seconds, ...GATEWAY_FIRST_FILES];
    for (const [i, f] of files.entries()) sizes.set(`gateway:${f}`, (100 - i) * 1000);
    const sorted = await new GatewayPairsSequencer(ctx).sort([
      spec("unit", "test/unit/classify.test.ts"),
      ...[...files].reverse().map((f) => spec("gateway", f)),
    ]);
    const order = sorted.map((s) => `${s.project.name}:${s.moduleId.slice(ROOT.length + 1)}`);
    const gatewayFiles = order.filter((k) => k.startsWith("gateway:"));
    expect(gatewayFiles.slice(0, PAIR_FILES.length + GATEWAY_FIRST_FILES.length + seconds.length)).toEqual(
      [...PAIR_FILES, ...GATEWAY_FIRST_FILES, ...seconds].map((f) => `gateway:${f}`),
    );
    expect(gatewayFiles.slice(-GATEWAY_LAST_FILES.length)).toEqual(GATEWAY_LAST_FILES.map((f) => `gateway:${f}`));
    expect(order).toHaveLength(files.length + 1);
  });
});
