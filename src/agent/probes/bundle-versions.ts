import { release, type } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { readFile, realpath } from "../fs-async.ts";
import { execCommand } from "./exec.ts";
import { parseOpenclawVersion } from "./versions.ts";

/** The bundle's version triple: the CLI's answer, the installed package's manifest, the OS and Node. */

export async function collectVersions(
  bin: string,
  env: Readonly<Record<string, string | undefined>>,
  agentVersion: string,
  signal: AbortSignal,
  timeoutMs: number,
) {
  const [cli, pkg, os] = await Promise.all([
    execCommand(bin, ["--version"], { env, timeoutMs, signal }),
    gatewayPackage(bin, env),
    osRelease(),
  ]);
  const raw = cli.stdout.trim().slice(0, 200);
  return {
    cli: {
      version: cli.exitCode === 0 ? parseOpenclawVersion(raw) : null,
      raw: raw || null,
      ...(cli.exitCode !== 0
        ? { error: cli.spawnError?.code ?? (cli.timedOut ? "timeout" : `exit ${cli.exitCode}`) }
        : {}),
    },
    gatewayPackage: pkg,
    os,
    node: process.version,
    agent: agentVersion,
  };
}

/** The installed `openclaw` package's version: the launcher's real path, up to its package.json. */
async function gatewayPackage(
  bin: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ version: string | null; path: string | null }> {
  const candidates = isAbsolute(bin)
    ? [bin]
    : (env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, bin));
  for (const candidate of candidates) {
    let dir: string;
    try {
      dir = dirname(await realpath(candidate));
    } catch {
      continue;
    }
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
          name?: unknown;
          version?: unknown;
        };
        if (pkg.name === "openclaw" && typeof pkg.version === "string")
          return { version: pkg.version, path: join(dir, "package.json") };
      } catch {
        // No package.json here; go up.
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return { version: null, path: null };
}

async function osRelease(): Promise<{ pretty: string | null; kernel: string }> {
  try {
    const text = await readFile("/etc/os-release", "utf8");
    const m = /^PRETTY_NAME=(?:"([^"]*)"|'([^']*)'|(.*))$/m.exec(text);
    return { pretty: m?.[1] ?? m?.[2] ?? m?.[3] ?? null, kernel: `${type()} ${release()}` };
  } catch {
    return { pretty: null, kernel: `${type()} ${release()}` };
  }
}
