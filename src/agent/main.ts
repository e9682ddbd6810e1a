#!/usr/bin/env node
// First: it configures zod before any schema is built (see the module).
import "./zod-jitless.ts";
import { parseArgs } from "node:util";
import { TRIAGE_STEPS } from "../contract/catalog.ts";
import { errorMessage } from "../contract/errors.ts";
import { AgentConnection } from "./connection.ts";
import { enroll } from "./enroll.ts";
import { defaultAgentDir, loadOrCreateIdentity, readAgentConfig } from "./identity.ts";
import { createJobRunner } from "./job-runner.ts";
import { jsonLogger } from "./log.ts";
import { agentLogWriter, LOG_FILE_ENV } from "./log-file.ts";
import { releaseMemory } from "./memory.ts";
import { EXIT_WITH_PARENT_ENV, watchParent } from "./parent-watch.ts";
import { probeReport } from "./probe-report.ts";
import { registerUpgrader } from "./probes/agent-upgrade.ts";
import { resolveProbeContext } from "./probes/context.ts";
import { doctorRefreshAfterMs } from "./probes/doctor-cache.ts";
import { startDoctorCacheRefresher } from "./probes/doctor-lint.ts";
import { AgentLockedError, acquireStateLock } from "./state-lock.ts";
import { RESTART_EXIT_CODE, TRIAL_ENV } from "./upgrade/supervisor.ts";
import { trialProbe } from "./upgrade/trial.ts";
import { Upgrader } from "./upgrade/upgrader.ts";
import { agentVarsHelp } from "./vars.ts";
import { AGENT_VERSION } from "./version.ts";
import { watchIntervalOverride } from "./watch.ts";

const USAGE = `clawops-agent ${AGENT_VERSION}: runs clawops probes on an OpenClaw gateway host.

Usage:
  clawops-agent enroll --server URL --host NAME --code CODE [--dir DIR]
      Make this host's Ed25519 key pair and register its public key with the control plane,
      using a one-time code from \`clawops enroll NAME\` (or the console).
  clawops-agent run [--dir DIR]
      Connect out to the control plane and serve probe jobs; reconnects with backoff.
  clawops-agent probe [--json]
      Run the triage probes once, locally, and say what each found (no control plane needed);
      exit 1 when one found a failure. --json prints the results as JSON, and nothing else.
  clawops-agent oneshot --steps SPEC [--deadline-ms N]
      Run named catalog steps once and print self-checking result frames sized for AWS SSM
      Run Command (SPEC: versions,gateway.ws:timeoutMs=5000,...). Used by infra/ssm.

  clawops-agent --version
      Print the version.

Options:
  --dir DIR   agent state folder (default $CLAWOPS_AGENT_DIR or ~/.clawops-agent)

Environment (docs/configuration.md):
${agentVarsHelp()}`;

// Kept whole (issue 13): the agent's subcommands, one case each, read top to bottom; startup and memory stay as they are.
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      server: { type: "string" },
      host: { type: "string" },
      code: { type: "string" },
      dir: { type: "string" },
      json: { type: "boolean" },
      steps: { type: "string" },
      "deadline-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
  });
  const dir = values.dir ?? defaultAgentDir();
  const logger = jsonLogger("clawops-agent", logWrite);
  switch (command) {
    case "enroll": {
      if (!values.server || !values.host || !values.code) {
        process.stderr.write(`enroll needs --server, --host and --code.\n\n${USAGE}`);
        return 64;
      }
      const result = await enroll({ dir, server: values.server, host: values.host, code: values.code });
      process.stdout.write(
        `Enrolled ${result.host} with ${values.server}. Start the agent: clawops-agent run${values.dir ? ` --dir ${values.dir}` : ""}\n`,
      );
      return 0;
    }
    case "run": {
      // The service sets these for the agent alone (scripts/build-agent.ts, AGENT_SERVICE_ENV); glibc
      // read them at startup. The `openclaw` commands the probes run keep their allocator's defaults.
      delete process.env.MALLOC_MMAP_THRESHOLD_;
      delete process.env.MALLOC_ARENA_MAX;
      const config = readAgentConfig(dir);
      // A new agent file on trial (src/agent/upgrade/): the old agent, its parent, holds the lock.
      const trial = process.env[TRIAL_ENV] === "1";
      try {
        acquireStateLock(dir);
      } catch (err) {
        if (!(err instanceof AgentLockedError)) throw err;
        if (trial && err.holderPid === process.ppid) {
          logger.info("on trial as an upgrade: the old agent holds the state lock", { holderPid: err.holderPid });
        } else {
          logger.error("agent not started", { err: err.message, holderPid: err.holderPid });
          process.stderr.write(`clawops-agent: ${err.message}\n`);
          return 3;
        }
      }
      const identity = loadOrCreateIdentity(dir);
      const runner = createJobRunner(process.env, dir, {
        doctorInBackground: true,
        doctorRefreshAfterMs: doctorRefreshAfterMs(process.env),
      });
      const server = process.env.CLAWOPS_AGENT_SERVER ?? config.server;
      const watchOverrideMs = watchIntervalOverride(process.env);
      let idle: NodeJS.Timeout | undefined;
      let finish = () => {};
      let exitCode = 0;
      const connection: AgentConnection = new AgentConnection({
        server,
        host: config.host,
        identity,
        agentVersion: AGENT_VERSION,
        gatewayVersion: () => runner.gatewayVersion(),
        runner,
        logger,
        ...(watchOverrideMs !== undefined ? { watch: { overrideMs: watchOverrideMs } } : {}),
        // Revoked (4403): nothing more to do until the host is enrolled again. The process stays up,
        // idle and unconnected, so no supervisor restarts it into the same refusal (said once).
        onFinal: () => {
          stopDoctorCache();
          releaseMemory();
          idle ??= setInterval(() => {}, 86_400_000);
        },
        ...(trial ? { onWelcome: () => void trialProbe(runner, AGENT_VERSION, (l) => process.stdout.write(l)) } : {}),
      });
      // Upgrades in place: this agent tries the new file, then makes way for it (exit 75) or keeps running.
      registerUpgrader(
        trial
          ? null
          : new Upgrader({
              agentDir: dir,
              server,
              version: AGENT_VERSION,
              env: process.env,
              logger,
              hooks: {
                pause: () => connection.stop(),
                resume: () => connection.start(),
                handOver: () => {
                  exitCode = RESTART_EXIT_CODE;
                  finish();
                },
              },
            }),
      );
      void runner.refreshGatewayVersion().then(releaseMemory);
      // Not on trial: the trial lives seconds, and the old agent's cache is the host's.
      const stopDoctorCache = trial
        ? () => {}
        : startDoctorCacheRefresher(
            resolveProbeContext(process.env, { agentVersion: AGENT_VERSION, agentDir: dir }),
            (err) => logger.warn("doctor cache refresh failed", { err: errorMessage(err) }),
            // As after a job: doctor's output (up to 512 KB) and the key's reads go back now.
            releaseMemory,
            // Doctor costs 5-10 CPU-seconds on this host: the log says why each run started.
            (why) => logger.info("doctor --lint started", { why }),
          );
      connection.start();
      logger.info("agent started", { host: config.host, server, version: AGENT_VERSION });
      let unwatch = () => {};
      await new Promise<void>((resolve) => {
        const stop = () => {
          logger.info(exitCode === RESTART_EXIT_CODE ? "agent restarting into its upgrade" : "agent stopping");
          void connection.stop().then(resolve);
        };
        finish = stop;
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
        if (process.env[EXIT_WITH_PARENT_ENV] === "1") {
          unwatch = watchParent((why) => {
            logger.info("control plane gone; local agent ending with it", { why });
            // Bounded: the hub may be gone too, so the close handshake may never finish.
            setTimeout(() => process.exit(0), 3_000).unref();
            stop();
          });
        }
      });
      unwatch();
      stopDoctorCache();
      clearInterval(idle);
      return exitCode;
    }
    case "probe": {
      const runner = createJobRunner(process.env, dir);
      const results = await runner.run(
        { type: "job.run", jobId: "local", steps: TRIAGE_STEPS, deadlineMs: 30_000 },
        () => {},
      );
      // What the probes found, and exit 1 when one found a failure; JSON (and only JSON) with --json.
      const report = probeReport(results);
      process.stdout.write(values.json ? `${JSON.stringify(results)}\n` : report.text);
      return report.exitCode;
    }
    case "oneshot": {
      // Loaded here only: its frame encoding brings fflate, which loads worker_threads (1-2 MB
      // resident) into every process that imports it; `run` never needs it.
      const { runOneShot } = await import("./oneshot.ts");
      return runOneShot({ steps: values.steps, deadlineMs: values["deadline-ms"] }, process.env, (text) =>
        process.stdout.write(text),
      );
    }
    case "--version":
    case "-v":
    case "version":
      process.stdout.write(`clawops-agent ${AGENT_VERSION}\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 64;
  }
}

const logWrite = agentLogWriter(process.env);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`clawops-agent: ${errorMessage(err)}\n`);
    // Under launchd the log file is where an operator looks first.
    if (process.env[LOG_FILE_ENV])
      jsonLogger("clawops-agent", logWrite).error("agent failed", { err: errorMessage(err) });
    process.exitCode = 1;
  },
);
