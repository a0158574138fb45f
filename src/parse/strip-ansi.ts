// Terminal colour and cursor codes are not part of what a line says.

// In order: CSI (ESC [ params intermediates final), OSC (ESC ] … BEL or ESC \, e.g. titles and
// hyperlinks), DCS/SOS/PM/APC strings (ESC P|X|^|_ … ESC \), nF and two-byte escapes (ESC ( B
// from `tput sgr0`, ESC 7 / ESC 8 cursor save/restore, ESC M…), a stray ESC, and the 8-bit CSI.
// An unterminated string sequence runs to the end of the line, as it would on a terminal.
const ANSI =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-~]|\x1b|\x9b[0-?]*[ -/]*[@-~]/g;

/** The text without ANSI escape sequences; returns the same string when there are none. */
export function stripAnsi(text: string): string {
  if (text.indexOf('\x1b') === -1 && text.indexOf('\x9b') === -1) return text;
  return text.replace(ANSI, '');
}
