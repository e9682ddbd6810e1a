/**
 * Packs the agent alone as an npm package, `clawops-agent-<version>.tgz`: the single-file agent
 * (scripts/build-agent.ts) as its `clawops-agent` command, with no dependencies, so a host
 * installs it with `npm install -g ./clawops-agent-<version>.tgz` (offline: nothing to fetch).
 * `npm pack` of the whole project carries the same agent, but installing that package pulls the
 * control plane's dependencies too.
 *
 *   npm run pack:agent [-- --out dir]      (default: dist/)
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AGENT_NODE_FLAGS, bundleAgent } from "./build-agent.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export async function packAgent(outDir: string): Promise<string> {
  const project = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    version: string;
    license: string;
    engines: { node: string };
  };
  const staging = mkdtempSync(join(tmpdir(), "clawops-agent-pack-"));
  try {
    writeFileSync(join(staging, "clawops-agent.mjs"), await bundleAgent());
    chmodSync(join(staging, "clawops-agent.mjs"), 0o755);
    const pkg = {
      name: "clawops-agent",
      version: project.version,
      description:
        "clawops agent for one OpenClaw gateway host: read-only probes, dialing out to a clawops control plane.",
      type: "module",
      license: project.license,
      engines: project.engines,
      bin: { "clawops-agent": "clawops-agent.mjs" },
      files: ["clawops-agent.mjs"],
    };
    writeFileSync(join(staging, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
    writeFileSync(
      join(staging, "README.md"),
      [
        "# clawops-agent",
        "",
        "The clawops agent in one file (Node >= 24.16, no dependencies). Enroll with the one-time",
        "code from `clawops enroll <host>`, then run it (as a service: the clawops repository's",
        "infra/systemd and infra/launchd units, which also set these Node flags):",
        "",
        "    clawops-agent enroll --server https://clawops.example.com --host node-3 --code XXXX-XXXX-XXXX",
        `    node ${AGENT_NODE_FLAGS.join(" ")} "$(npm root -g)/clawops-agent/clawops-agent.mjs" run`,
        "",
      ].join("\n"),
    );
    mkdirSync(outDir, { recursive: true });
    const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", outDir], {
      cwd: staging,
      encoding: "utf8",
    }).trim();
    return join(outDir, name.split("\n").pop() ?? name);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const tarball = await packAgent(resolve(values.out ?? join(root, "dist")));
  process.stdout.write(`Packed ${tarball}. On a host with Node >= 24.16: npm install -g ${tarball}\n`);
}
