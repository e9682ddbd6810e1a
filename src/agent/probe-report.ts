import type { StepResult } from "../contract/catalog.ts";

/**
 * `clawops-agent probe` in words (issue 30): one line per step saying what it found, a verdict
 * of fail / warn / ok / unknown, and the exit code (1 when a step found a failure). "ok" used to
 * mean "the probe ran", which read as healthy for a gateway that refused every connection. The
 * findings themselves (causes, false greens, next commands) come from the control plane's
 * classifier; this is what the probes saw, on the host, with no control plane.
 */

export type Verdict = "fail" | "warn" | "ok" | "unknown";
export type StepLine = { step: string; verdict: Verdict; text: string };

const WIDTH = 18;
/** Log signatures that mark a point in time (a start, a reload), not a fault. */
const NOT_FAULTS = new Set(["gateway-ready", "reload-applied", "auth-reloaded"]);

export function probeReport(results: readonly StepResult[]): { text: string; exitCode: number } {
  const lines = results.map(judgeStep);
  const failed = lines.filter((l) => l.verdict === "fail");
  const warned = lines.filter((l) => l.verdict === "warn");
  const body = lines.map((l) => `${l.verdict.toUpperCase().padEnd(7)} ${l.step.padEnd(WIDTH)} ${l.text}`);
  const summary =
    failed.length > 0
      ? `${failed.length} of ${lines.length} probes found a failure (${failed.map((l) => l.step).join(", ")}).`
      : warned.length > 0
        ? `No probe found a failure; ${warned.length} found something to watch.`
        : "Every probe answered as expected.";
  const tail =
    failed.length + warned.length > 0
      ? " This is what the probes saw; the causes, and which checks look green anyway, are in a triage from the control plane (`clawops triage <host>`)."
      : "";
  return { text: `${body.join("\n")}\n\n${summary}${tail}\n`, exitCode: failed.length > 0 ? 1 : 0 };
}

export function judgeStep(r: StepResult): StepLine {
  const line = (verdict: Verdict, text: string): StepLine => ({ step: r.step, verdict, text });
  if (r.status !== "ok" || r.data === undefined)
    return line(
      "unknown",
      `probe ${r.status === "timeout" ? "timed out" : "failed"}: ${r.error?.message ?? "no data"}`,
    );
  switch (r.step) {
    case "versions": {
      const d = r.data;
      return d.openclaw
        ? line("ok", `openclaw ${d.openclaw}, node ${d.node}, agent ${d.agent}`)
        : line("warn", `openclaw CLI not found (${d.openclawError ?? "no version"}); agent ${d.agent}`);
    }
    case "gateway.ws": {
      const d = r.data;
      switch (d.outcome) {
        case "hello-ok":
          return line(
            "ok",
            `${d.url}: handshake in ${d.handshakeMs ?? "?"} ms, protocol v${d.server?.protocol ?? "?"}, gateway ${d.server?.version ?? "?"}, scopes ${d.auth?.scopes.join(",") || "none"}`,
          );
        case "refused":
          return line("fail", `${d.url}: connection refused (nothing accepts connections on that port)`);
        case "rejected":
          return line(
            "fail",
            `${d.url}: the gateway refused the connect: ${d.error?.detailCode ?? d.error?.code ?? "?"} "${d.error?.message ?? ""}"`,
          );
        case "upgrade-refused":
          return line(
            "fail",
            `${d.url}: HTTP ${d.upgradeStatus ?? "?"} instead of a WebSocket upgrade (not an OpenClaw gateway)`,
          );
        case "timeout":
          return line(
            "fail",
            `${d.url}: no answer in time (${d.challenged ? "challenge sent, connect unanswered" : "no connect.challenge"})`,
          );
        case "closed":
          return line(
            "fail",
            `${d.url}: closed ${d.close?.code ?? "?"} "${d.close?.reason ?? ""}" before the handshake finished`,
          );
        default:
          return line("fail", `${d.url}: ${d.error?.message ?? d.outcome}`);
      }
    }
    case "gateway.http": {
      const { healthz, readyz, baseUrl } = r.data;
      const show = (c: typeof healthz) => (c.status === null ? (c.error ?? "no answer") : String(c.status));
      const text = `${baseUrl}: /healthz ${show(healthz)}, /readyz ${show(readyz)}`;
      if (healthz.status === null) return line("fail", text);
      if (healthz.status !== 200 || (readyz.status !== null && readyz.status !== 200)) return line("warn", text);
      return line("ok", text);
    }
    case "port.listeners": {
      const d = r.data;
      const own = d.gatewayProcesses.filter(
        (p) => p.servesThisConfig !== false && p.serving !== false && !/^[ZXx]$/.test(p.state ?? ""),
      );
      const others = d.listeners.filter((l) => l.command !== null && !l.command.startsWith("openclaw-gatewa"));
      if (d.listeners.length === 0)
        return line("fail", `nothing listens on port ${d.port}; gateway processes for this config: ${own.length}`);
      if (others.length > 0)
        return line(
          "fail",
          `port ${d.port} is held by ${others.map((o) => `${o.command ?? "?"} (pid ${o.pid ?? "?"})`).join(", ")}`,
        );
      if (own.length > 1)
        return line("fail", `${own.length} gateway processes serve this config: ${own.map((p) => p.pid).join(", ")}`);
      if (own.some((p) => p.state === "T" || p.state === "t"))
        return line("fail", `the gateway process is stopped (state T)`);
      return line(
        "ok",
        `port ${d.port}: ${d.listeners.map((l) => `${l.command ?? "?"} pid ${l.pid ?? "?"} on ${l.address}`).join(", ")}`,
      );
    }
    case "config": {
      const d = r.data;
      if (!d.exists) return line("fail", `${d.path} not found`);
      if (d.parseError) return line("fail", `${d.path} does not parse: ${d.parseError}`);
      return line(
        "ok",
        `${d.path}: mode=${d.mode ?? "?"} bind=${d.bind ?? "default"} port=${d.port ?? "default"} auth=${d.authMode ?? "?"}`,
      );
    }
    case "tokens": {
      const d = r.data;
      const present = d.sources.filter((s) => s.present).map((s) => s.source);
      return d.distinct > 1
        ? line("warn", `${d.distinct} different tokens among ${present.join(", ")} (fingerprints only)`)
        : line("ok", present.length > 0 ? `one token across ${present.join(", ")}` : "no gateway token found");
    }
    case "logs.signatures": {
      const d = r.data;
      if (!d.found && d.unreadable?.length)
        return line("unknown", `log not read: ${d.unreadable.map((u) => `${u.path} (${u.code})`).join(", ")}`);
      if (!d.found) return line("unknown", `no file log found (tried ${d.tried.join(", ")})`);
      const kinds = d.signatures.filter((s) => !NOT_FAULTS.has(s.kind));
      const whose = d.attribution ? `; ${d.attribution.verdict}: ${d.attribution.how}` : "";
      return line(
        kinds.length > 0 ? "warn" : "ok",
        `${d.path}: ${d.linesScanned} lines${kinds.length > 0 ? `, ${kinds.map((s) => `${s.kind}×${s.count}`).join(", ")}` : ", no fault signature"}${whose}`,
      );
    }
    case "service.state": {
      const d = r.data;
      if (!d.state) return line("unknown", d.error ?? `${d.supervisor}: no unit state read`);
      const up = /^(active|running)$/.test(d.state.active) && d.state.sub !== "auto-restart";
      return line(
        up ? "ok" : "fail",
        `${d.unit ?? d.supervisor}: ${d.state.active}${d.state.sub ? `/${d.state.sub}` : ""}, restarts ${d.state.restarts ?? "?"}`,
      );
    }
    case "gateway.vitals": {
      const d = r.data;
      const m = d.memory;
      const mem = m
        ? `resident ${(m.rssBytes / 1024 ** 2).toFixed(0)} MiB${m.limitBytes ? ` of ${(m.limitBytes / 1024 ** 2).toFixed(0)} MiB` : " (no memory limit)"}${m.hoursLeft !== null ? `, limit in ~${m.hoursLeft} h` : ""}`
        : "no gateway process to read";
      const resp = d.responsiveness;
      const rt = resp
        ? `; /readyz ${resp.lastMs === null ? "no answer" : `${resp.lastMs} ms`}${resp.gatewayDegraded ? `, event loop degraded (${resp.gatewayReasons.join(",")})` : ""}`
        : "";
      const bad = m?.outlook === "limit-within-6h" || (resp?.slowStreak ?? 0) >= 2;
      const watch =
        m?.outlook === "limit-within-24h" || m?.outlook === "limit-within-72h" || resp?.gatewayDegraded === true;
      return line(bad ? "fail" : watch ? "warn" : "ok", `${mem}${rt}`);
    }
    case "state.locks": {
      const d = r.data;
      const stale = d.gatewayLocks.filter((l) => l.owner !== "alive" || !l.heldOpen);
      const text = [
        ...stale.map((l) => `${l.path}: pid ${l.pid ?? "?"} ${l.owner}`),
        ...d.writeLocks.slice(0, 3).map((l) => `${l.path}: pid ${l.pid ?? "?"} ${l.owner}`),
      ];
      return text.length > 0 ? line("warn", text.join("; ")) : line("ok", `${d.scanned} lock file(s), none stale`);
    }
    case "doctor.lint": {
      const d = r.data;
      const errors = (d.findings ?? []).filter((f) => f.severity === "error");
      if (d.timedOut) return line("unknown", "`openclaw doctor --lint` timed out");
      return line(
        errors.length > 0 ? "warn" : "ok",
        `doctor --lint: ${(d.findings ?? []).length} finding(s), ${errors.length} error(s)`,
      );
    }
    default:
      return line("ok", "ran");
  }
}
