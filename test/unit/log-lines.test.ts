import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTempDir } from "../support/file-end.ts";
import { logSize, waitForLogLine } from "../support/gateway/log-lines.ts";

// The real-gateway tests wait on the lab's log with these: a line written after a point, found
// however the gateway's writes fall between two reads.
describe("waiting for a gateway log line", () => {
  it("finds only a line written after the offset, even one written in pieces across polls", async () => {
    const file = join(makeTempDir("clawops-log-lines-"), "gateway.log");
    writeFileSync(file, "[reload] config hot reload applied (gateway.auth.token) ✓ 1\n");
    const offset = await logSize(file);
    const waiting = waitForLogLine(file, /hot reload applied \(gateway\.auth\.token\) ✓ \d+$/, offset, 10_000);
    appendFileSync(file, "[gateway] unrelated line\n[reload] config hot reload ");
    await new Promise((r) => setTimeout(r, 400));
    // The rest of the line, its multi-byte ✓ split between two writes, each read by another poll.
    const check = Buffer.from("✓");
    appendFileSync(file, Buffer.concat([Buffer.from("applied (gateway.auth.token) "), check.subarray(0, 1)]));
    await new Promise((r) => setTimeout(r, 400));
    appendFileSync(file, Buffer.concat([check.subarray(1), Buffer.from(" 2\n")]));
    await expect(waiting).resolves.toBe("[reload] config hot reload applied (gateway.auth.token) ✓ 2");
  });

  it("gives up after its timeout, naming the pattern", async () => {
    const file = join(makeTempDir("clawops-log-lines-"), "gateway.log");
    writeFileSync(file, "ready\n");
    await expect(waitForLogLine(file, /listening on/, 0, 600)).rejects.toThrow(
      "no log line matching /listening on/ within 600 ms",
    );
  });
});
