import { describe, expect, it } from 'vitest';
import { stripAnsi } from '../../src/parse/index.js';

describe('stripAnsi', () => {
  const cases: [name: string, input: string, output: string][] = [
    ['plain text', 'no codes here', 'no codes here'],
    ['SGR colour', '\x1b[31mred\x1b[0m', 'red'],
    ['SGR with several params', '\x1b[1;38;5;208mbold orange\x1b[m', 'bold orange'],
    ['truecolor', '\x1b[38;2;255;0;0mrgb\x1b[0m', 'rgb'],
    ['erase line + cursor', '\x1b[2K\x1b[1Gprogress 50%', 'progress 50%'],
    ['private mode (cursor hide/show)', '\x1b[?25lhidden\x1b[?25h', 'hidden'],
    ['OSC title ended by BEL', '\x1b]0;my title\x07done', 'done'],
    ['OSC 8 hyperlink ended by ST', '\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\', 'link'],
    ['tput sgr0 charset reset', '\x1b(B\x1b[mafter', 'after'],
    ['cursor save/restore', '\x1b7saved\x1b8', 'saved'],
    ['keypad mode', '\x1b=\x1b>x', 'x'],
    ['reverse index', 'a\x1bMb', 'ab'],
    ['DCS string', 'a\x1bPq#0;2;0;0;0\x1b\\b', 'ab'],
    ['8-bit CSI', '\x9b31mred', 'red'],
    ['stray ESC at the end', 'tail\x1b', 'tail'],
    ['incomplete CSI at the end', 'tail\x1b[12', 'tail12'],
    ['unicode kept', '\x1b[32m✓ 完了 😀\x1b[0m', '✓ 完了 😀'],
    ['other control characters kept', 'tab\there\u0007bell', 'tab\there\u0007bell'],
  ];
  it.each(cases)('%s', (_name, input, output) => {
    expect(stripAnsi(input)).toBe(output);
  });

  it('returns the very same string when there is no escape', () => {
    const text = 'x'.repeat(100);
    expect(stripAnsi(text)).toBe(text);
  });

  it('leaves no ESC behind for any ESC-led input', () => {
    for (let code = 0; code < 0x100; code++) {
      const out = stripAnsi(`a\x1b${String.fromCharCode(code)}b\x1b`);
      expect(out.includes('\x1b')).toBe(false);
    }
  });
});
