/** Longer lines are cut (with a note of their length). */
const MAX_LINE_CHARS = 4_000;

/**
 * Binary junk out, readable text in: a line with NUL bytes or mostly control/undecodable
 * characters becomes a marker; stray control characters become `.`. Long lines are cut.
 */
export function sanitize(text: string): { text: string; binaryLines: number } {
  let binaryLines = 0;
  const lines = text.split("\n").map((line) => {
    if (line.length === 0) return line;
    let junk = 0;
    let nul = false;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 0) nul = true;
      if (isJunk(c)) junk++;
    }
    if (nul || junk > Math.max(2, line.length * 0.1)) {
      binaryLines++;
      return `[binary data: ${line.length} characters omitted]`;
    }
    let clean = line;
    if (junk) {
      clean = "";
      for (const ch of line) clean += isJunk(ch.charCodeAt(0)) ? "." : ch;
    }
    return clean.length > MAX_LINE_CHARS
      ? `${clean.slice(0, MAX_LINE_CHARS)}… [line cut: ${clean.length} characters]`
      : clean;
  });
  return { text: lines.join("\n"), binaryLines };
}

/** C0 controls except tab and CR, DEL, and U+FFFD (bytes that were not UTF-8). */
function isJunk(c: number): boolean {
  return (c < 0x20 && c !== 0x09 && c !== 0x0d) || c === 0x7f || c === 0xfffd;
}
