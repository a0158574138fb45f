import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/parse/index.js';
import type { Level, Stream } from '../../src/types.js';

type Case = [line: string, level: Level, stream?: Stream];

describe('plain text level prefixes', () => {
  const cases: Case[] = [
    ['INFO: Starting process', 'INFO'],
    ['DEBUG: Connection details', 'DEBUG'],
    ['WARNING: Low memory', 'WARNING'],
    ['ERROR: Failed to connect', 'ERROR'],
    ['CRITICAL: disk gone', 'CRITICAL'],
    ['Regular output', 'INFO'],
    ['Regular output on stderr', 'ERROR', 'stderr'],
    ['pushed text', 'INFO', 'push'],
    ['[ERROR] x', 'ERROR'],
    ['[error]: x', 'ERROR'],
    ['[info     ] structlog console line', 'INFO'],
    ['WARNING - x', 'WARNING'],
    ['<error> x', 'ERROR'],
    ['<warn> x', 'WARNING'],
    ['(WARN) x', 'WARNING'],
    ['info: winston text', 'INFO'],
    ['warn: something', 'WARNING'],
    ['WARNING:root:disk almost full', 'WARNING'],
    ['ERROR:myapp.db:connection refused', 'ERROR'],
    ['DEBUG:root:x', 'DEBUG'],
    ['2025-10-31 12:00:01,123 - pipeline.fetch - ERROR - boom', 'ERROR'],
    ['2025-10-31 12:00:01,123 - __main__ - WARNING - careful', 'WARNING'],
    ['2025-10-31 12:00:01,123 ERROR name: x', 'ERROR'],
    ['2025-10-31T12:00:01Z WARN retrying', 'WARNING'],
    ['2025-10-31T12:00:01.123456+02:00 [DEBUG] detail', 'DEBUG'],
    ['[2025-10-31 12:00:01] ERROR: bracketed time', 'ERROR'],
    ['[2025-10-31T12:00:01Z WARN  mycrate] rust env_logger', 'WARNING'],
    ['12:00:01.123 INFO tick', 'INFO'],
    ['Oct 31 12:00:01 FATAL: syslog style', 'CRITICAL'],
    ['INFO:     127.0.0.1:5000 - "GET / HTTP/1.1" 200 OK', 'INFO'],
    ['WARN x', 'WARNING'],
    ['ERR: x', 'ERROR'],
    ['FATAL: x', 'CRITICAL'],
    ['CRIT: x', 'CRITICAL'],
    ['TRACE: x', 'DEBUG'],
    ['NOTICE: x', 'INFO', 'stderr'],
    ['ERROR something failed', 'ERROR'],
    ['Error: ENOENT: no such file', 'ERROR'],
    ['Error rates are fine today', 'INFO'],
    ['Errors: 0', 'INFO'],
    ['INFORMATION: not a prefix word', 'ERROR', 'stderr'],
    ['time=2025-10-31T12:00:01Z level=warn msg="logfmt line"', 'WARNING'],
    ['ts=1 lvl="error" msg=x', 'ERROR'],
    ['E1031 12:00:01.123456   123 main.go:42] glog error', 'ERROR'],
    ['W1031 12:00:01.123456   123 main.go:42] glog warning', 'WARNING'],
    ['\x1b[31mERROR\x1b[0m: red', 'ERROR'],
    ['\x1b[1;33m[WARN]\x1b[0m coloured bracket', 'WARNING'],
    ['    INFO: indented', 'INFO'],
    ['', 'INFO'],
    ['', 'ERROR', 'stderr'],
    ['panic: runtime error: index out of range', 'CRITICAL', 'stderr'],
    ['Traceback (most recent call last):', 'ERROR', 'stderr'],
  ];
  it.each(cases)('%j → %s', (line, level, stream = 'stdout') => {
    expect(parseLine(line, stream).level).toBe(level);
  });

  it('keeps the text as printed, without ANSI codes or a trailing \\r', () => {
    expect(parseLine('\x1b[31mERROR\x1b[0m: red\r', 'stdout')).toEqual({ level: 'ERROR', message: 'ERROR: red' });
    expect(parseLine('WARNING:root:x', 'stderr')).toEqual({ level: 'WARNING', message: 'WARNING:root:x' });
    expect(parseLine('\x1b]0;title\x07done', 'stdout').message).toBe('done');
    expect(parseLine('plain\r\r', 'stdout').message).toBe('plain');
  });
});

describe('JSON log lines from real loggers', () => {
  const cases: [string, Level, string][] = [
    ['{"level":30,"time":1730376001123,"pid":1,"hostname":"h","msg":"hello"}', 'INFO', 'hello'],
    ['{"level":10,"msg":"trace"}', 'DEBUG', 'trace'],
    ['{"level":20,"msg":"debug"}', 'DEBUG', 'debug'],
    ['{"level":40,"msg":"warn"}', 'WARNING', 'warn'],
    ['{"level":50,"msg":"error","err":{"type":"Error"}}', 'ERROR', 'error'],
    ['{"level":60,"msg":"fatal"}', 'CRITICAL', 'fatal'],
    ['{"name":"app","hostname":"h","pid":1,"level":50,"msg":"bunyan","time":"2025-10-31T12:00:01.123Z","v":0}', 'ERROR', 'bunyan'],
    ['{"event": "user logged in", "level": "info", "timestamp": "2025-10-31T12:00:01Z"}', 'INFO', 'user logged in'],
    ['{"event": "retrying", "level": "warning", "logger": "x"}', 'WARNING', 'retrying'],
    ['{"level":"warn","message":"winston says"}', 'WARNING', 'winston says'],
    ['{"level":"error","message":"winston error","stack":"..."}', 'ERROR', 'winston error'],
    ['{"severity":"WARNING","message":"gcp"}', 'WARNING', 'gcp'],
    ['{"severity":"EMERGENCY","message":"gcp down"}', 'CRITICAL', 'gcp down'],
    ['{"lvl":"crit","msg":"log15"}', 'CRITICAL', 'log15'],
    ['{"levelname":"ERROR","message":"python json logger"}', 'ERROR', 'python json logger'],
    ['{"log.level":"warn","message":"ecs"}', 'WARNING', 'ecs'],
    ['  {"level":"INFO","msg":"leading blanks"}  ', 'INFO', 'leading blanks'],
  ];
  it.each(cases)('%s', (line, level, message) => {
    const parsed = parseLine(line, 'stdout');
    expect(parsed).toMatchObject({ level, message });
    expect(parsed.event).toBeUndefined();
    expect(parsed.data).toEqual(JSON.parse(line));
  });

  it('falls back to the stream default and the whole line for unknown shapes', () => {
    expect(parseLine('{"a":1}', 'stdout')).toEqual({ level: 'INFO', message: '{"a":1}', data: { a: 1 } });
    expect(parseLine('{"a":1}', 'stderr').level).toBe('ERROR');
    expect(parseLine('{"msg":"no level"}', 'stderr')).toMatchObject({ level: 'ERROR', message: 'no level' });
    expect(parseLine('{"level":"DEFAULT","msg":"gcp default"}', 'stdout').level).toBe('INFO');
    expect(parseLine('{"level":"loud","msg":"x"}', 'stderr').level).toBe('ERROR');
  });

  it('treats arrays, bad JSON and non-objects as plain text', () => {
    expect(parseLine('[1,2]', 'stdout')).toEqual({ level: 'INFO', message: '[1,2]' });
    expect(parseLine('{"a":', 'stderr')).toEqual({ level: 'ERROR', message: '{"a":' });
    expect(parseLine('{not json} ERROR', 'stdout')).toEqual({ level: 'INFO', message: '{not json} ERROR' });
    expect(parseLine('null', 'stdout').data).toBeUndefined();
  });
});

describe('structured pipeline events', () => {
  const event = (fields: Record<string, unknown>) => parseLine(JSON.stringify(fields), 'stdout');

  it('summarizes each of the six events from their own fields', () => {
    expect(event({ event: 'pipeline_start' })).toMatchObject({ level: 'INFO', event: 'pipeline_start', message: 'pipeline started' });
    expect(event({ event: 'layer_start', layer: 4, layer_name: 'opportunity_mapper' }).message).toBe('layer 4 opportunity_mapper started');
    expect(event({ event: 'layer_complete', layer: 4, layer_name: 'opportunity_mapper', duration_ms: 4500 }).message).toBe(
      'layer 4 opportunity_mapper complete in 4500 ms',
    );
    expect(event({ event: 'layer_complete', layer: 4 }).message).toBe('layer 4 complete');
    expect(event({ event: 'layer_error', layer: 3, layer_name: 'enrich', error: 'timeout' })).toMatchObject({
      level: 'ERROR',
      message: 'layer 3 enrich error: timeout',
    });
    expect(event({ event: 'layer_skip', layer: 5, reason: 'optional' })).toMatchObject({ level: 'INFO', message: 'layer 5 skipped: optional' });
    expect(event({ event: 'pipeline_complete', status: 'success', duration_ms: 12_300 }).message).toBe('pipeline complete: success in 12.3 s');
  });

  it('levels: explicit level wins, else error/partial rules, else INFO', () => {
    expect(event({ event: 'pipeline_complete', status: 'error' }).level).toBe('ERROR');
    expect(event({ event: 'pipeline_complete', status: 'partial' }).level).toBe('WARNING');
    expect(event({ event: 'pipeline_complete', status: 'success' }).level).toBe('INFO');
    expect(event({ event: 'layer_error', layer: 1, level: 'warning' }).level).toBe('WARNING');
    expect(event({ event: 'layer_start', layer: 1, level: 50 }).level).toBe('ERROR');
    expect(parseLine('{"event":"layer_start","layer":1}', 'stderr').level).toBe('INFO');
  });

  it('keeps every field in data', () => {
    const fields = { event: 'layer_complete', layer: 4, layer_name: 'x', job_id: 'j', status: 'success', duration_ms: 4500, metadata: { fit_score: 85 } };
    expect(event(fields).data).toEqual(fields);
  });
});

describe('never throws', () => {
  // A small seeded PRNG so a failure reproduces.
  const rng = (seed: number) => () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const random = rng(42);
  const pieces = ['{', '}', '[', ']', '"', ':', ',', 'level', 'msg', 'event', 'layer_start', 'ERROR', 'INFO:', '\x1b[', '\x1b]', '\r', '\u0000', '\uFFFD', '\uD800', '\uDFFF', '😀', ' ', '\t', '2025-10-31 ', '12:00:01,1', '-', '<', '>', 'level=', '\\'];

  it('returns a record for thousands of random lines', () => {
    const levels = new Set(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);
    for (let i = 0; i < 5000; i++) {
      let line = '';
      const n = Math.floor(random() * 40);
      for (let j = 0; j < n; j++) {
        line += random() < 0.5 ? pieces[Math.floor(random() * pieces.length)] : String.fromCharCode(Math.floor(random() * 0xffff));
      }
      for (const stream of ['stdout', 'stderr', 'push'] as const) {
        const parsed = parseLine(line, stream);
        expect(levels.has(parsed.level)).toBe(true);
        expect(typeof parsed.message).toBe('string');
      }
    }
  });

  it('survives absurd nesting and huge lines', () => {
    expect(parseLine('{"a":' + '['.repeat(200_000) + '}', 'stdout').level).toBe('INFO');
    expect(parseLine('{' + '"a":{'.repeat(100_000) + '}', 'stderr').level).toBe('ERROR');
    expect(parseLine('x'.repeat(1_000_000), 'stdout').message.length).toBe(1_000_000);
  });
});
