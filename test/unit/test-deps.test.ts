import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm run test:all` changes the machine outside the project only with leave (issue 33, item 9):
 * scripts/ensure-test-deps.sh installs Debian's chromium when it is missing, asking first unless
 * CI=true. An `apt-get` stand-in on PATH records what would have run; CLAWOPS_CHROMIUM points the
 * script at a browser that is not there.
 */
const SCRIPT = new URL("../../scripts/ensure-test-deps.sh", import.meta.url).pathname;
let dir: string;
let calls: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "clawops-test-deps-"));
  calls = join(dir, "apt-get.log");
  writeFileSync(join(dir, "apt-get"), `#!/bin/sh\nprintf '%s|%s\\n' "$DEBIAN_FRONTEND" "$*" >>'${calls}'\n`, {
    mode: 0o755,
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(env: Record<string, string>, input?: string) {
  rmSync(calls, { force: true });
  const r = spawnSync("bash", [SCRIPT], {
    env: { PATH: `${dir}:/usr/bin:/bin`, CLAWOPS_CHROMIUM: join(dir, "no-chromium"), ...env },
    input: input ?? "",
    encoding: "utf8",
  });
  let ran = "";
  try {
    ran = readFileSync(calls, "utf8");
  } catch {}
  return { code: r.status, stderr: r.stderr, ran };
}

describe("scripts/ensure-test-deps.sh", () => {
  it("does nothing when the browser is there", () => {
    const r = run({ CLAWOPS_CHROMIUM: "/bin/sh" });
    expect(r).toEqual({ code: 0, stderr: "", ran: "" });
  });

  it("without a terminal and without CI=true, says what it would install and installs nothing", () => {
    const r = run({});
    expect(r.code).toBe(1);
    expect(r.ran).toBe("");
    expect(r.stderr).toContain("the browser tests need Debian's chromium");
    expect(r.stderr).toContain("(about 80 MB to download, 290 MB on disk, outside this project)");
    expect(r.stderr).toContain("not asking without a terminal: install it yourself, or run with CI=true");
  });

  it("with CI=true, installs chromium with apt-get, non-interactively", () => {
    const r = run({ CI: "true" });
    expect(r.code).toBe(0);
    expect(r.ran).toBe("noninteractive|update -qq\nnoninteractive|install -y -qq chromium\n");
  });
});
