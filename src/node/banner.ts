/**
 * The start banner's console lines (issue 32, item 2). A one-time login link is a credential for
 * ten minutes: printed into a terminal it reaches the person who started clawops; printed when
 * stdout is not a terminal (systemd's journal, `docker logs`, a file) it reaches everyone who can
 * read that log. So the link is printed only to a terminal; otherwise the banner says how to get
 * one: `clawops login` reads the console secret from the data folder, so it prints a link only
 * for whoever can read that folder.
 */
export function consoleBannerLines(opts: {
  url: string;
  dataDir: string;
  /** stdout is a terminal (process.stdout.isTTY). */
  terminal: boolean;
  /** Issues a one-time login link (only called for a terminal). */
  loginUrl: () => string | null;
}): string[] {
  const link = opts.terminal ? opts.loginUrl() : null;
  if (link) {
    return [
      `  Local console:        ${link}`,
      "                        (a one-time login link; `bin/clawops login` prints another)",
    ];
  }
  return [
    `  Local console:        ${opts.url}/console`,
    `                        (log in with the link \`bin/clawops login\` prints; it reads the secret in ${opts.dataDir})`,
  ];
}
