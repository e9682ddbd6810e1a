import { probeAgentUpgrade } from "./agent-upgrade.ts";
import { probeBundleCollect } from "./bundle-collect.ts";
import { probeConfig } from "./config.ts";
import { probeDoctorFix } from "./doctor-fix.ts";
import { probeDoctorLint } from "./doctor-lint.ts";
import { probeGatewayHttp } from "./gateway-http.ts";
import { probeGatewayRestart } from "./gateway-restart.ts";
import { probeGatewayAcceptance, probeGatewayInflight } from "./gateway-runbook.ts";
import { probeGatewayStatus } from "./gateway-status.ts";
import { probeGatewaySwitch } from "./gateway-switch.ts";
import { probeGatewayTls } from "./gateway-tls.ts";
import { probeGatewayVitals } from "./gateway-vitals.ts";
import { probeGatewayWs } from "./gateway-ws.ts";
import { HOST_STATE_PROBES } from "./host-state-probes.ts";
import { probeLogSignatures } from "./logs.ts";
import { probeModelsStatus } from "./models-status.ts";
import { probePortListeners } from "./port-listeners.ts";
import type { ProbeTable } from "./probe.ts";
import { probeServiceState } from "./service-state.ts";
import { probeStateLocks } from "./state-locks.ts";
import { probeTokens } from "./tokens.ts";
import { probeVersions } from "./versions.ts";

/** The agent's implementation of every catalog step. The agent runs these and nothing else. */
export const CATALOG_PROBES: ProbeTable = {
  versions: probeVersions,
  "gateway.ws": probeGatewayWs,
  "gateway.http": probeGatewayHttp,
  "port.listeners": probePortListeners,
  config: probeConfig,
  tokens: probeTokens,
  "gateway.status": probeGatewayStatus,
  "doctor.lint": probeDoctorLint,
  "models.status": probeModelsStatus,
  "logs.signatures": probeLogSignatures,
  "service.state": probeServiceState,
  ...HOST_STATE_PROBES,
  "gateway.vitals": probeGatewayVitals,
  "state.locks": probeStateLocks,
  "bundle.collect": probeBundleCollect,
  "gateway.inflight": probeGatewayInflight,
  "gateway.acceptance": probeGatewayAcceptance,
  "gateway.restart": probeGatewayRestart,
  "doctor.fix": probeDoctorFix,
  "agent.upgrade": probeAgentUpgrade,
  "gateway.tls": probeGatewayTls,
  "gateway.switch": probeGatewaySwitch,
};
