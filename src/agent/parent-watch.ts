/**
 * A local agent started by the control plane (src/node/local-agent.ts) ends with it (issue
 * 15, item 6): after a SIGKILL of the control plane the agent was orphaned and fought its
 * replacement on the hub. The parent holds the write end of the agent's stdin pipe; the
 * kernel closes it however the parent dies, SIGKILL included, so stdin's end is the signal.
 * The parent pid is checked too, for a pipe inherited by a grandchild.
 */
export const EXIT_WITH_PARENT_ENV = "CLAWOPS_AGENT_EXIT_WITH_PARENT";

/** Returns a function that stops watching (and lets go of stdin, so the process can exit). */
export function watchParent(onGone: (why: string) => void, pollMs = 1_000): () => void {
  const parent = process.ppid;
  let gone = false;
  const fire = (why: string) => {
    if (gone) return;
    gone = true;
    clearInterval(timer);
    onGone(why);
  };
  process.stdin.on("data", () => {});
  process.stdin.once("end", () => fire("stdin closed"));
  process.stdin.once("close", () => fire("stdin closed"));
  process.stdin.once("error", () => fire("stdin error"));
  const timer = setInterval(() => {
    if (process.ppid !== parent) fire(`parent ${parent} exited`);
  }, pollMs);
  timer.unref();
  return () => {
    gone = true;
    clearInterval(timer);
    process.stdin.destroy();
  };
}
