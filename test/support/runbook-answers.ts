import type { StepResult } from "../../src/contract/catalog.ts";

/**
 * What an agent answers the recover runbook's own steps with on a gateway that recovers: nothing
 * in flight, a supervised restart that came back, a read and a write that pass.
 */
export const inflightIdle = (): StepResult => ({
  step: "gateway.inflight",
  status: "ok",
  durationMs: 300,
  data: { reachable: true, sessions: { count: 2 }, tasks: { total: 0, active: 0 }, cron: { jobs: 0, dueSoon: [] } },
});

export const restartedBy = (approver: string): StepResult =>
  ({
    step: "gateway.restart",
    status: "ok",
    durationMs: 15_000,
    data: {
      performed: true,
      supervisor: "systemd",
      unit: "user unit openclaw-gateway.service",
      oldPid: 4100,
      newPid: 4388,
      command: ["systemctl", "--user", "restart", "openclaw-gateway.service"],
      exitedAfterMs: 900,
      readyAfterMs: 14_000,
      approver,
    },
  }) as StepResult;

export const acceptancePassed = (): StepResult => ({
  step: "gateway.acceptance",
  status: "ok",
  durationMs: 400,
  data: {
    reachable: true,
    read: { method: "status", ok: true, ms: 20 },
    write: { method: "sessions.create", ok: true, ms: 30 },
    cleanup: null,
    passed: true,
  },
});
