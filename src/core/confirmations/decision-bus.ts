import type { Decision, Decisions } from "../ports/recovery.ts";

/** In-process hand-off from a button press to the run waiting on it. */
export class DecisionBus implements Decisions {
  private readonly waiters = new Map<string, (d: Decision) => void>();

  wait(id: string, timeoutMs: number): Promise<Decision> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve({ decision: "timeout" });
      }, timeoutMs);
      this.waiters.set(id, (d) => {
        clearTimeout(timer);
        this.waiters.delete(id);
        resolve(d);
      });
    });
  }

  resolve(id: string, d: Decision): void {
    this.waiters.get(id)?.(d);
  }
}
