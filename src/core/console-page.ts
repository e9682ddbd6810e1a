/** The local console page. Placeholder: replaced by the real page. */
export const CONSOLE_PAGE_HTML = "<!doctype html><title>clawops console</title><p>loading…</p>";
