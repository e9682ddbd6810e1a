export type AgentLogFields = Record<string, string | number | boolean | null | undefined>;
export interface AgentLogger {
  info(msg: string, fields?: AgentLogFields): void;
  warn(msg: string, fields?: AgentLogFields): void;
  error(msg: string, fields?: AgentLogFields): void;
}

/** One JSON object per line on stderr: journald and `docker logs` keep it intact. */
export function jsonLogger(
  component: string,
  write: (line: string) => void = (l) => process.stderr.write(l),
): AgentLogger {
  const emit = (level: string, msg: string, fields?: AgentLogFields) =>
    write(`${JSON.stringify({ t: new Date().toISOString(), level, component, msg, ...fields })}\n`);
  return {
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}
