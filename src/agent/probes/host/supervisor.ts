import { join } from "node:path";
import { z } from "zod";
import { readFile } from "../../fs-async.ts";

/**
 * What supervises a gateway process, and how to restart it through that supervisor instead of
 * fighting it (a supervisor that sees its main process die restarts it on its own, and three
 * SIGTERMs in 5 min make the gateway log "another supervisor may be managing this Gateway",
 * GATEWAY-FACTS §2).
 *
 * Linux detection reads the process's cgroup (/proc/<pid>/cgroup, v1 or v2):
 *   - `…/docker-<id>.scope`, `/docker/<id>`, `libpod-<id>`, `/kubepods/…` → a container;
 *   - `/system.slice/<unit>.service` → a systemd system unit;
 *   - `/user.slice/user-<uid>.slice/user@<uid>.service/…/<unit>.service` → a systemd user unit
 *     (`openclaw gateway install` writes one);
 *   - anything else (a login session's `session-N.scope`, a terminal, no cgroup) → manual.
 * launchd (macOS has no /proc) and anything detection gets wrong are declared by the host's
 * administrator in policy.json (`supervisor`), which wins over detection.
 */
export const SupervisorDeclaration = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("systemd"),
      unit: z.string().regex(/^[\w@.:-]+\.service$/, "a systemd unit name ending in .service"),
      /** A user unit (`systemctl --user`), as `openclaw gateway install` writes on Linux. */
      user: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      kind: z.literal("launchd"),
      label: z.string().regex(/^[\w.-]+$/, "a launchd label such as ai.openclaw.gateway"),
      /** `gui/<uid>` for a LaunchAgent (the default), `system` for a LaunchDaemon. */
      domain: z
        .string()
        .regex(/^(gui\/\d+|user\/\d+|system)$/)
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("container"),
      /** Container name or id. */
      container: z.string().regex(/^[\w][\w.-]{0,127}$/, "a container name or id"),
      engine: z.enum(["docker", "podman"]).default("docker"),
    })
    .strict(),
  z.object({ kind: z.literal("manual") }).strict(),
]);
export type SupervisorDeclaration = z.infer<typeof SupervisorDeclaration>;

export type Supervisor = SupervisorDeclaration & { source: "declared" | "detected" };

/** Seconds a container gets between SIGTERM and SIGKILL (the gateway drains in 0.4–3 s). */
const CONTAINER_STOP_SECONDS = 30;

/** Reads `/proc/<pid>/cgroup`; manual when it cannot be read. */
export async function detectSupervisor(procRoot: string, pid: number): Promise<Supervisor> {
  const cgroup = await readFile(join(procRoot, String(pid), "cgroup"), "utf8").catch(() => "");
  return { ...supervisorFromCgroup(cgroup), source: "detected" };
}

export function supervisorFromCgroup(cgroup: string): SupervisorDeclaration {
  const paths = cgroup
    .split("\n")
    .map((line) => {
      // hierarchy-id:controllers:path; the path may itself hold colons.
      const parts = line.split(":");
      return parts.length >= 3 ? parts.slice(2).join(":") : "";
    })
    .filter((p) => p.startsWith("/"));
  for (const path of paths) {
    const id =
      /(?:docker|libpod|cri-containerd|crio)-([0-9a-f]{12,64})\.scope/.exec(path)?.[1] ??
      /\/docker\/([0-9a-f]{12,64})(?:\/|$)/.exec(path)?.[1];
    if (id)
      return { kind: "container", container: id.slice(0, 12), engine: path.includes("libpod") ? "podman" : "docker" };
  }
  for (const path of paths) {
    const segments = path.split("/").filter(Boolean);
    const userManager = segments.findIndex((s) => /^user@\d+\.service$/.test(s));
    const units = segments.filter((s, i) => s.endsWith(".service") && i !== userManager);
    const unit = units.at(-1);
    if (unit) return { kind: "systemd", unit, user: userManager >= 0 && segments.indexOf(unit) > userManager };
  }
  return { kind: "manual" };
}

/** The argv that restarts the gateway through its supervisor; null for a manual process. */
export function supervisorRestartCommand(s: SupervisorDeclaration, uid: number): string[] | null {
  switch (s.kind) {
    case "systemd":
      return ["systemctl", ...(s.user ? ["--user"] : []), "restart", s.unit];
    case "launchd":
      // -k kills the running instance first, then starts it: the ordered restart, done by launchd.
      return ["launchctl", "kickstart", "-k", `${s.domain ?? (uid === 0 ? "system" : `gui/${uid}`)}/${s.label}`];
    case "container":
      return [s.engine, "restart", "--time", String(CONTAINER_STOP_SECONDS), s.container];
    case "manual":
      return null;
  }
}

/** The unit, label or container, for messages. */
export function supervisorName(s: SupervisorDeclaration): string | undefined {
  switch (s.kind) {
    case "systemd":
      return `${s.user ? "user unit " : ""}${s.unit}`;
    case "launchd":
      return s.label;
    case "container":
      return `${s.engine} container ${s.container}`;
    case "manual":
      return undefined;
  }
}
