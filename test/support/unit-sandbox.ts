import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Runs a command under the sandbox a systemd unit file describes, on a machine where systemd is
 * not PID 1 (this one: `systemd-run` needs a running manager). Each setting is applied with the
 * kernel feature systemd itself uses:
 *
 *   mount namespace (unshare)  ProtectSystem=strict, ProtectHome=read-only, ReadWritePaths=,
 *                              PrivateDevices=, ProtectKernelTunables=, ProtectControlGroups=
 *   setpriv                    NoNewPrivileges=, CapabilityBoundingSet= (empty), AmbientCapabilities=
 *   seccomp (unit-seccomp.c)   SystemCallFilter= (syscall sets from `systemd-analyze syscall-filter`,
 *                              SystemCallErrorNumber=EPERM), RestrictAddressFamilies=,
 *                              RestrictNamespaces=, LockPersonality=, SystemCallArchitectures=native
 *   umask                      UMask=
 *
 * Settings it does not apply are returned in `notApplied` for the test to print. User= is not
 * switched: the test's gateway runs as the test's user, which stands in for the unit's user.
 */
export type UnitSandbox = {
  /** argv that runs `command` inside the sandbox. */
  argv(command: string[]): string[];
  applied: string[];
  notApplied: string[];
};

const SECCOMP_SOURCE = fileURLToPath(new URL("./sandbox/unit-seccomp.c", import.meta.url));

/** Address family names → numbers (Linux). */
const AF: Record<string, number> = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16, AF_PACKET: 17 };

/** `[Service]` `Key=Value` lines of a unit file, in order (repeated keys kept). */
export function serviceDirectives(text: string): [string, string][] {
  const out: [string, string][] = [];
  let inService = false;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) inService = line === "[Service]";
    else if (inService && line && !line.startsWith("#") && !line.startsWith(";")) {
      const i = line.indexOf("=");
      out.push([line.slice(0, i), line.slice(i + 1)]);
    }
  }
  return out;
}

/** Why the sandbox cannot be built here, or null when it can. */
export function sandboxUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root (mount namespace, setpriv)";
  for (const tool of ["unshare", "setpriv", "mount", "gcc", "systemd-analyze"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  const lib = spawnSync("sh", ["-c", "ldconfig -p | grep -q 'libseccomp.so.2 '"]);
  if (lib.status !== 0) return "libseccomp.so.2 is not installed";
  return null;
}

/** `systemd-analyze syscall-filter`: every group, expanded to system call names. */
function syscallGroups(): Map<string, Set<string>> {
  const text = execFileSync("systemd-analyze", ["syscall-filter", "--no-pager"], { encoding: "utf8" });
  const raw = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("@")) {
      current = [];
      raw.set(line.trim(), current);
    } else if (current && line.trim() && !line.trim().startsWith("#")) current.push(line.trim());
  }
  const expanded = new Map<string, Set<string>>();
  const expand = (group: string): Set<string> => {
    const done = expanded.get(group);
    if (done) return done;
    const set = new Set<string>();
    expanded.set(group, set);
    for (const item of raw.get(group) ?? []) {
      if (item.startsWith("@")) for (const s of expand(item)) set.add(s);
      else set.add(item);
    }
    return set;
  };
  for (const g of raw.keys()) expand(g);
  return expanded;
}

/** The allowed system calls of a unit's SystemCallFilter= lines (systemd adds @default to an allow list). */
export function allowedSyscalls(filters: string[]): Set<string> {
  const groups = syscallGroups();
  const names = (list: string) =>
    list
      .split(/\s+/)
      .filter(Boolean)
      .flatMap((n) => (n.startsWith("@") ? [...(groups.get(n) ?? [])] : [n]));
  let allowed: Set<string> | null = null;
  for (const f of filters) {
    if (f.startsWith("~")) {
      for (const n of names(f.slice(1))) allowed?.delete(n);
    } else {
      allowed ??= new Set(groups.get("@default"));
      for (const n of names(f)) allowed.add(n);
    }
  }
  if (!allowed) throw new Error("the unit has no SystemCallFilter allow list");
  return allowed;
}

export function buildUnitSandbox(unitText: string, workDir: string, rewritePath: (p: string) => string): UnitSandbox {
  const d = serviceDirectives(unitText);
  const all = (k: string) => d.filter(([key]) => key === k).map(([, v]) => v);
  const last = (k: string) => all(k).at(-1);
  const applied: string[] = [];
  const notApplied: string[] = [];
  const script: string[] = ["set -e", "mount --make-rprivate /"];

  // ReadWritePaths first: bind each onto itself so it stays writable when the rest turns read-only.
  const rw = all("ReadWritePaths")
    .flatMap((v) => v.split(/\s+/))
    .filter(Boolean)
    .map((p) => ({ optional: p.startsWith("-"), path: rewritePath(p.replace(/^-/, "")) }));
  for (const { optional, path } of rw) {
    script.push(
      optional ? `if [ -e '${path}' ]; then mount --bind '${path}' '${path}'; fi` : `mount --bind '${path}' '${path}'`,
    );
  }
  // StateDirectory=name is /var/lib/<name>, writable; the caller maps it to a folder of its own.
  for (const name of all("StateDirectory")) {
    const path = rewritePath(`/var/lib/${name}`);
    rw.push({ optional: false, path });
    script.push(`mount --bind '${path}' '${path}'`);
    applied.push(`StateDirectory=${name} (as ${path})`);
  }
  if (rw.length > 0) applied.push(`ReadWritePaths=${rw.map((r) => r.path).join(" ")}`);

  if (last("PrivateDevices") === "true") {
    // A minimal /dev as systemd builds it: null, zero, full, random, urandom, tty, pts, shm.
    script.push(
      `mkdir -p '${workDir}/dev'`,
      `mount -t tmpfs -o mode=755,nosuid,noexec tmpfs '${workDir}/dev'`,
      `for n in null zero full random urandom tty; do touch '${workDir}/dev/'$n; mount --bind /dev/$n '${workDir}/dev/'$n; done`,
      `mkdir '${workDir}/dev/pts' '${workDir}/dev/shm'`,
      `mount --bind /dev/pts '${workDir}/dev/pts'`,
      `mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs '${workDir}/dev/shm'`,
      `ln -s /proc/self/fd '${workDir}/dev/fd'`,
      `ln -s pts/ptmx '${workDir}/dev/ptmx'`,
      `mount --move '${workDir}/dev' /dev`,
    );
    applied.push("PrivateDevices=true");
  }
  // ProtectProc=/ProcSubset=: a fresh procfs with those options over /proc (hidepid=, subset=).
  const procOpts = [
    last("ProtectProc") && last("ProtectProc") !== "default" ? `hidepid=${last("ProtectProc")}` : "",
    last("ProcSubset") === "pid" ? "subset=pid" : "",
  ].filter(Boolean);
  if (procOpts.length > 0) {
    script.push(`mount -t proc -o nosuid,nodev,noexec,${procOpts.join(",")} proc /proc`);
    applied.push(`ProtectProc=${last("ProtectProc")}`, `ProcSubset=${last("ProcSubset") ?? "all"}`);
  }

  if (last("ProtectKernelTunables") === "true") {
    // (With ProcSubset=pid there is no /proc/sys to protect.)
    script.push("if [ -d /proc/sys ]; then mount --bind /proc/sys /proc/sys; mount -o remount,bind,ro /proc/sys; fi");
    applied.push("ProtectKernelTunables=true (/proc/sys, /sys read-only)");
  }

  // ProtectSystem=strict and ProtectHome=read-only: every mount read-only except the API file
  // systems systemd leaves alone (/dev, /proc) and the ReadWritePaths binds. /sys (tunables,
  // cgroups) goes read-only with them when ProtectKernelTunables/ProtectControlGroups ask for it.
  const strict = last("ProtectSystem") === "strict";
  const homeRo = last("ProtectHome") === "read-only";
  const sysRo = last("ProtectKernelTunables") === "true" || last("ProtectControlGroups") === "true";
  if (strict) {
    const keep = rw.map((r) => r.path);
    script.push(
      `keep='${keep.join("\n")}'`,
      // mountinfo field 5 is the mount point (octal escapes for spaces: such mounts are skipped).
      `awk '{print $5}' /proc/self/mountinfo | sort -u | while read -r m; do`,
      `  case "$m" in /dev|/dev/*|/proc|/proc/*) continue ;; *\\\\*) continue ;; esac`,
      `  ${sysRo ? "" : 'case "$m" in /sys|/sys/*) continue ;; esac'}`,
      `  if printf '%s\\n' "$keep" | grep -qxF "$m"; then continue; fi`,
      `  mount -o remount,bind,ro "$m" 2>/dev/null || true`,
      "done",
    );
    applied.push("ProtectSystem=strict");
    if (homeRo) applied.push("ProtectHome=read-only");
    else if (last("ProtectHome")) notApplied.push(`ProtectHome=${last("ProtectHome")} (homes stay visible, read-only)`);
    if (last("ProtectControlGroups") === "true") applied.push("ProtectControlGroups=true");
  } else if (last("ProtectSystem")) notApplied.push(`ProtectSystem=${last("ProtectSystem")}`);

  const umask = last("UMask");
  if (umask) {
    script.push(`umask ${umask}`);
    applied.push(`UMask=${umask}`);
  }

  // Capabilities and no_new_privs.
  const setpriv = ["setpriv"];
  if (last("NoNewPrivileges") === "true") {
    setpriv.push("--no-new-privs");
    applied.push("NoNewPrivileges=true");
  }
  if (last("CapabilityBoundingSet") === "") {
    setpriv.push("--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all");
    applied.push("CapabilityBoundingSet= (none)", "AmbientCapabilities= (none)");
  }

  // seccomp: the syscall allow list, address families, namespaces, personality.
  const filters = all("SystemCallFilter");
  const seccomp: string[] = [];
  if (filters.length > 0) {
    const bin = join(workDir, "unit-seccomp");
    if (!existsSync(bin)) {
      mkdirSync(workDir, { recursive: true });
      execFileSync("gcc", ["-O2", "-o", bin, SECCOMP_SOURCE, "-l:libseccomp.so.2"]);
    }
    const list = join(workDir, "syscalls.txt");
    writeFileSync(list, [...allowedSyscalls(filters)].sort().join("\n"));
    const families = (last("RestrictAddressFamilies") ?? "AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET")
      .split(/\s+/)
      .map((f) => {
        const n = AF[f];
        if (n === undefined) throw new Error(`unknown address family ${f}`);
        return n;
      });
    seccomp.push(bin, list, families.join(","), "--");
    applied.push(`SystemCallFilter=${filters.join(" ")}`, "SystemCallErrorNumber=EPERM");
    if (last("RestrictAddressFamilies")) applied.push(`RestrictAddressFamilies=${last("RestrictAddressFamilies")}`);
    if (last("RestrictNamespaces") === "true") applied.push("RestrictNamespaces=true");
    if (last("LockPersonality") === "true") applied.push("LockPersonality=true");
    if (last("SystemCallArchitectures") === "native") applied.push("SystemCallArchitectures=native");
  }

  const handled = new Set([
    "ReadWritePaths",
    "StateDirectory",
    "ProtectProc",
    "ProcSubset",
    "PrivateDevices",
    "ProtectKernelTunables",
    "ProtectControlGroups",
    "ProtectSystem",
    "ProtectHome",
    "UMask",
    "NoNewPrivileges",
    "CapabilityBoundingSet",
    "AmbientCapabilities",
    "SystemCallFilter",
    "SystemCallErrorNumber",
    "RestrictAddressFamilies",
    "RestrictNamespaces",
    "LockPersonality",
    "SystemCallArchitectures",
    // Not sandboxing: how systemd starts and restarts it, and what it passes.
    "Type",
    "User",
    "EnvironmentFile",
    "Environment",
    "ExecStart",
    "Restart",
    "RestartSec",
    "Group",
    "WorkingDirectory",
    "TimeoutStopSec",
  ]);
  for (const [k, v] of d) if (!handled.has(k)) notApplied.push(`${k}=${v}`);

  // The script runs as root in the new mount namespace, then execs the command through setpriv
  // and the seccomp filter.
  const body = `${script.join("\n")}\nexec ${setpriv.join(" ")} -- "$@"`;
  writeFileSync(join(workDir, "sandbox.sh"), body);
  return {
    argv: (command) => ["unshare", "--mount", "--", "sh", join(workDir, "sandbox.sh"), ...seccomp, ...command],
    applied,
    notApplied,
  };
}

export function readUnit(path: string): string {
  return readFileSync(path, "utf8");
}
