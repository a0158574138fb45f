import { describe, expect, it } from 'vitest';
import { defaultLevelFor, LEVEL_SYNONYMS, levelRank, normalizeLevel } from '../../src/parse/index.js';
import { LEVELS, type Level } from '../../src/types.js';

describe('normalizeLevel', () => {
  const cases: [unknown, Level | undefined][] = [
    ['INFO', 'INFO'],
    ['info', 'INFO'],
    ['Info', 'INFO'],
    [' warn ', 'WARNING'],
    ['WARN', 'WARNING'],
    ['warning', 'WARNING'],
    ['err', 'ERROR'],
    ['ERROR', 'ERROR'],
    ['fatal', 'CRITICAL'],
    ['crit', 'CRITICAL'],
    ['CRITICAL', 'CRITICAL'],
    ['trace', 'DEBUG'],
    ['debug', 'DEBUG'],
    ['notice', 'INFO'],
    ['ALERT', 'CRITICAL'], // GCP severities
    ['EMERGENCY', 'CRITICAL'],
    ['Information', 'INFO'], // Serilog
    ['verbose', 'DEBUG'], // winston
    ['http', 'INFO'],
    ['silly', 'DEBUG'],
    [10, 'DEBUG'], // pino/bunyan numbers
    [20, 'DEBUG'],
    [30, 'INFO'],
    [35, 'INFO'],
    [40, 'WARNING'],
    [50, 'ERROR'],
    [60, 'CRITICAL'],
    [70, 'CRITICAL'],
    ['30', 'INFO'],
    [' 50 ', 'ERROR'],
    ['DEFAULT', undefined], // GCP: no level, the stream's default applies
    ['loud', undefined],
    ['', undefined],
    ['   ', undefined],
    ['0x1E', undefined],
    ['3e1', undefined],
    [0, undefined], // below pino's range: maybe a syslog priority, do not guess
    [5, undefined],
    [-30, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [true, undefined],
    [null, undefined],
    [undefined, undefined],
    [{ name: 'INFO' }, undefined],
    [['INFO'], undefined],
    ['INFO'.repeat(1000), undefined],
  ];
  it.each(cases)('%j → %s', (value, level) => {
    expect(normalizeLevel(value)).toBe(level);
  });
});

describe('levelRank', () => {
  it('orders the five levels from DEBUG 0 to CRITICAL 4', () => {
    expect(LEVELS.map(levelRank)).toEqual([0, 1, 2, 3, 4]);
    expect(levelRank('WARNING')).toBeGreaterThan(levelRank('INFO'));
  });
});

describe('defaultLevelFor', () => {
  it('is INFO for stdout and pushed lines, ERROR for stderr', () => {
    expect(defaultLevelFor('stdout')).toBe('INFO');
    expect(defaultLevelFor('stderr')).toBe('ERROR');
    expect(defaultLevelFor('push')).toBe('INFO');
  });
});

describe('LEVEL_SYNONYMS', () => {
  it('maps upper-case spellings, including the design synonyms, onto real levels', () => {
    expect(LEVEL_SYNONYMS.get('WARN')).toBe('WARNING');
    expect(LEVEL_SYNONYMS.get('ERR')).toBe('ERROR');
    expect(LEVEL_SYNONYMS.get('FATAL')).toBe('CRITICAL');
    expect(LEVEL_SYNONYMS.get('CRIT')).toBe('CRITICAL');
    expect(LEVEL_SYNONYMS.get('TRACE')).toBe('DEBUG');
    expect(LEVEL_SYNONYMS.get('NOTICE')).toBe('INFO');
    for (const [name, level] of LEVEL_SYNONYMS) {
      expect(name).toBe(name.toUpperCase());
      expect(LEVELS).toContain(level);
    }
  });
});
