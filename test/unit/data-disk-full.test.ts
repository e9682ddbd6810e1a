import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readConsoleSecret } from "../../src/node/console/secret.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";

/**
 * Issue 44, item 5: with its data disk full, the control plane's /readyz stayed ok while every
 * command failed to store, and the person was told only "internal error". Here `npm start` runs
 * with its data folder on a real 24 MiB tmpfs of its own (a private mount namespace:
 * `unshare -rm`, nothing mounted outside it), and the test fills that filesystem through the
 * process's root (/proc/<pid>/root) until the kernel answers ENOSPC. /readyz must say the disk is
 * full, a command must say so, and both must recover once space is freed.
 */
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** The data folder as the control plane sees it: its tmpfs, reached through its root. */
const insideDataDir = (cp: ControlPlaneProcess) => join(`/proc/${cp.child.pid}/root`, cp.dataDir);

async function command(cp: ControlPlaneProcess, text: string) {
  const res = await fetch(`${cp.url}/api/console/command`, {
    method: "POST",
    // The console secret is on the tmpfs too.
    headers: { "content-type": "application/json", authorization: `Bearer ${readConsoleSecret(insideDataDir(cp))}` },
    body: JSON.stringify({ text }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { error?: { code: string; message: string } | null },
  };
}

/** Writes `path` until the filesystem refuses (ENOSPC), from 1 MiB chunks down to 4 KiB. */
function fill(path: string): number {
  const fd = openSync(path, "w", 0o600);
  let written = 0;
  try {
    for (let chunk = 1024 * 1024; chunk >= 4096; chunk /= 2) {
      const buf = Buffer.alloc(chunk, 0x61);
      for (;;) {
        try {
          written += writeSync(fd, buf);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

describe("a full data disk (a real tmpfs, filled to ENOSPC)", () => {
  it("/readyz says the disk is full, a command says so, and both recover once space is freed", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "clawops-full-"));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const cp = await spawnControlPlane(
      { CLAWOPS_LOCAL_AGENT: "0" },
      {
        dataDir,
        keepData: true,
        launcher: (node, args) => [
          "unshare",
          [
            "-rm",
            "sh",
            "-c",
            'mount -t tmpfs -o size=24m,mode=0700 tmpfs "$CLAWOPS_DATA_DIR" && exec "$0" "$@"',
            node,
            ...args,
          ],
        ],
      },
    );
    cleanup.push(() => cp.stop());
    expect((await command(cp, "enroll node-before")).body.error ?? null).toBeNull();
    const ready = await fetch(`${cp.url}/readyz`);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.disk).toBe("ok");

    // The control plane's own view of its data folder: the tmpfs, not the empty folder outside.
    const filler = join(insideDataDir(cp), "filler");
    expect(fill(filler)).toBeGreaterThan(16 * 1024 * 1024);

    const full = await fetch(`${cp.url}/readyz`);
    expect(full.status).toBe(503);
    const fullBody = (await full.json()) as { checks: Record<string, string>; error: { message: string } };
    expect(fullBody.checks).toEqual({ store: "ok", disk: "full", hub: "ok" });
    expect(fullBody.error.message).toContain(
      "disk full (the data disk has under 16.0 MiB free: commands cannot be stored; free space on it)",
    );
    // The data folder's path stays in the log, not in the anonymous answer.
    expect(fullBody.error.message).not.toContain(dataDir);

    // The WAL may still have room from earlier writes: commands go through until a commit needs
    // a new page from the filesystem, then the next one is refused with why.
    let refused: { code: string; message: string } | null = null;
    for (let i = 0; i < 400 && !refused; i++) {
      const answer = await command(cp, `enroll node-fill-${i}`);
      expect(answer.status).toBe(200);
      if (answer.body.error) refused = answer.body.error;
    }
    expect(refused?.code).toBe("disk_full");
    expect(refused?.message).toMatch(
      /^The data disk is full: clawops could not write .*clawops\.sqlite, so nothing was changed\. Free space on the disk that holds it/,
    );

    rmSync(filler);
    expect((await fetch(`${cp.url}/readyz`)).status).toBe(200);
    expect((await command(cp, "enroll node-after")).body.error ?? null).toBeNull();
  }, 120_000);
});
