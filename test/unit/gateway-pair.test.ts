import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  markSecondGatewayGone,
  PAIR_DONE_FILE_ENV,
  PAIR_FILES,
  PAIR_LANE_ENDED,
  PAIR_WAIT_FILE_ENV,
  waitForPair,
} from "../support/gateway/pair.ts";

/**
 * The marker between the two gateway lanes (test/support/gateway/pair.ts): the files of
 * PAIR_FILES write their names once their second gateway is gone, and the other lane's gateway
 * starts once both have, or once their lane has ended however it did.
 */
const ROOT = resolve(import.meta.dirname, "../..");
let dir: string;
let marker: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawops-pair-test-"));
  marker = join(dir, "done");
});

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

/** Whether the wait is over after the marker has been read a few times (every 500 ms). */
async function overAfterAWhile(waiting: Promise<number>): Promise<boolean> {
  let over = false;
  void waiting.then(() => {
    over = true;
  });
  await new Promise((r) => setTimeout(r, 1_200));
  return over;
}

describe("the pair's marker", () => {
  it("a file of the pair writes its name, relative to the project, only when the run is waited on", () => {
    const [first] = PAIR_FILES as [string];
    vi.stubEnv(PAIR_DONE_FILE_ENV, "");
    markSecondGatewayGone(join(ROOT, first));
    expect(() => readFileSync(marker, "utf8")).toThrow();
    vi.stubEnv(PAIR_DONE_FILE_ENV, marker);
    markSecondGatewayGone(join(ROOT, "test/gateway/watch.test.ts"));
    markSecondGatewayGone(join(ROOT, first));
    expect(readFileSync(marker, "utf8")).toBe(`${first}\n`);
  });

  it("the other lane waits until every file of the pair has written its name", async () => {
    const waiting = waitForPair(marker);
    expect(await overAfterAWhile(waiting)).toBe(false);
    const [first, ...rest] = PAIR_FILES as [string, ...string[]];
    appendFileSync(marker, `${first}\n`);
    expect(await overAfterAWhile(waiting)).toBe(false);
    for (const f of rest) appendFileSync(marker, `${f}\n`);
    expect(await waiting).toBeGreaterThanOrEqual(2_000);
  });

  it("or until the pair's lane has ended, however it did", async () => {
    const waiting = waitForPair(marker);
    expect(await overAfterAWhile(waiting)).toBe(false);
    appendFileSync(marker, `${PAIR_LANE_ENDED}\n`);
    expect(await waiting).toBeGreaterThan(0);
  });

  it("and not at all when the run waits on nothing", async () => {
    vi.stubEnv(PAIR_WAIT_FILE_ENV, "");
    expect(await waitForPair()).toBe(0);
  });
});
