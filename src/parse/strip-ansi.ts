// Terminal colour and cursor codes are not part of what a line says.

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), and other two-byte ESC sequences; also 8-bit CSI.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[P^_][^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]/g;

/** The text without ANSI escape sequences; returns the same string when there are none. */
export function stripAnsi(text: string): string {
  if (text.indexOf('\x1b') === -1 && text.indexOf('\x9b') === -1) return text;
  return text.replace(ANSI, '');
}
