import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enrollHost, issueEnrollmentCode } from "../../src/core/hub/enrollment.ts";
import type { Logger } from "../../src/core/ports/basics.ts";
import { type ControlPlane, type ControlPlaneConfig, startControlPlane } from "../../src/node/server.ts";
import { quietLogger } from "./loggers.ts";

/**
 * A real Node control plane in this process, on loopback, with its state in a temporary folder,
 * the local console on and nothing else configured: the set-up the hub, route and console tests
 * share (Slack-facing tests take startSlackPlane, which adds the stand-in and signed requests).
 */
export interface NodePlane {
  cp: ControlPlane;
  /** The data folder (removed by close). */
  dir: string;
  /** Enrolls `host` with `publicKey` as `POST /api/enroll` does (a one-time code, then the key pinned). */
  enroll(host: string, publicKey: string): Promise<void>;
  /** Stops the control plane and removes its folder. */
  close(): Promise<void>;
}

export interface NodePlaneOptions {
  /** Names the temp folder (`clawops-<name>-…`). */
  name: string;
  /** Default: quietLogger. */
  logger?: Logger;
  /** Anything else of the control plane's config (heartbeatMs, publicUrl, metricsToken, port, …), or a function of the data folder giving it. */
  config?: Partial<ControlPlaneConfig> | ((dir: string) => Partial<ControlPlaneConfig>);
  /**
   * The authorization file, as an operator writes it (`authz.json` in the data folder), read by
   * recovery as `authzFile` beside the rest of `config`'s `recovery`; absent: none.
   */
  authz?: Record<string, unknown>;
}

export async function startNodePlane(opts: NodePlaneOptions): Promise<NodePlane> {
  const dir = mkdtempSync(join(tmpdir(), `clawops-${opts.name}-`));
  let cp: ControlPlane;
  try {
    const config = typeof opts.config === "function" ? opts.config(dir) : opts.config;
    let authzFile: string | undefined;
    if (opts.authz) {
      authzFile = join(dir, "authz.json");
      writeFileSync(authzFile, JSON.stringify(opts.authz));
    }
    cp = await startControlPlane({
      port: 0,
      bind: "127.0.0.1",
      dataDir: dir,
      console: true,
      logger: opts.logger ?? quietLogger,
      ...config,
      ...(authzFile ? { recovery: { ...config?.recovery, authzFile } } : {}),
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    cp,
    dir,
    enroll: async (host, publicKey) => {
      const { code } = await issueEnrollmentCode(cp.deps, host);
      await enrollHost(cp.deps, { code, host, publicKey });
    },
    close: async () => {
      await cp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
