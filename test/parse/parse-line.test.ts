import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/parse/index.js';
import type { Level, Stream } from '../../src/types.js';

type Case = [line: string, level: Level, stream?: Stream];

// Each row runs on a stream whose default differs from the expected level (stdout unless named),
// so a row only passes when the prefix was really recognised.
describe('plain text: level prefixes', () => {
  const cases: Case[] = [
    // the simple forms
    ['INFO: Starting process', 'INFO', 'stderr'],
    ['DEBUG: Connection details', 'DEBUG'],
    ['WARNING: Low memory', 'WARNING'],
    ['ERROR: Failed to connect', 'ERROR'],
    ['CRITICAL: disk gone', 'CRITICAL'],
    ['[ERROR] x', 'ERROR'],
    ['[error]: x', 'ERROR'],
    ['[ERROR]', 'ERROR'],
    ['[info     ] structlog console line', 'INFO', 'stderr'],
    ['[   INFO ] padded', 'INFO', 'stderr'],
    ['WARNING - x', 'WARNING'],
    ['ERROR | pipe separated', 'ERROR'],
    ['<error> x', 'ERROR'],
    ['<warn> x', 'WARNING'],
    ['(WARN) x', 'WARNING'],
    ['info: winston text', 'INFO', 'stderr'],
    ['warn: something', 'WARNING'],
    ['Warning: something', 'WARNING'],
    ['Error: ENOENT: no such file or directory', 'ERROR'],
    ['Debug: x', 'DEBUG'],
    ['    INFO: indented', 'INFO', 'stderr'],
    ['\tWARNING: tab indented', 'WARNING'],
    // synonyms
    ['WARN x', 'WARNING'],
    ['WARN: x', 'WARNING'],
    ['ERR: x', 'ERROR'],
    ['FATAL: x', 'CRITICAL'],
    ['CRIT: x', 'CRITICAL'],
    ['TRACE: x', 'DEBUG'],
    ['NOTICE: x', 'INFO', 'stderr'],
    ['panic: runtime error: index out of range [5] with length 3', 'CRITICAL', 'stderr'],
    // bare upper-case word followed by a space
    ['ERROR something failed', 'ERROR'],
    ['INFO rate', 'INFO', 'stderr'],
    ['DEBUG', 'DEBUG'],
    ['ERROR in ./src/x.js', 'ERROR'],
    // Python logging
    ['WARNING:root:disk almost full', 'WARNING'],
    ['ERROR:myapp.db:connection refused', 'ERROR'],
    ['DEBUG:root:x', 'DEBUG'],
    ['CRITICAL:__main__:out of memory', 'CRITICAL'],
    ['INFO:     127.0.0.1:5000 - "GET / HTTP/1.1" 200 OK', 'INFO', 'stderr'], // uvicorn
    ['INFO:     Application startup complete.', 'INFO', 'stderr'],
    ['2025-10-31 12:00:01,123 - pipeline.fetch - ERROR - boom', 'ERROR'],
    ['2025-10-31 12:00:01,123 - __main__ - WARNING - careful', 'WARNING'],
    ['2025-10-31 12:00:01,123 - root - INFO - fine', 'INFO', 'stderr'],
    ['2025-10-31 12:00:01,123 ERROR name: x', 'ERROR'],
    ['2025-10-31 12:00:01,123 WARNING  padded levelname', 'WARNING'],
    ['2025-10-31 12:00:01 [scrapy.core.engine] INFO: Spider opened', 'INFO', 'stderr'], // scrapy
    ['2025-10-31 12:00:01 [scrapy.core.scraper] ERROR: Spider error processing', 'ERROR'],
    ['[2025-10-31T12:00:01.123+0000] {taskinstance.py:1234} ERROR - Task failed', 'ERROR'], // airflow
    ['[2025-10-31 12:00:01,123] {scheduler_job.py:12} WARNING - slow', 'WARNING'],
    ['[2025-10-31 12:00:01,123: ERROR/MainProcess] Task x raised', 'ERROR'], // celery
    ['[2025-10-31 12:00:01,123: WARNING/ForkPoolWorker-1] retry', 'WARNING'],
    ['[2025-10-31 12:00:01 +0000] [42] [ERROR] Worker failed to boot.', 'ERROR'], // gunicorn
    ['[2025-10-31 12:00:01 +0000] [42] [INFO] Booting worker', 'INFO', 'stderr'],
    ['[I 251031 12:00:01 web:2250] 200 GET /', 'INFO', 'stderr'], // tornado
    ['[W 2025-10-31 12:00:01.123 ServerApp] jupyter', 'WARNING'],
    // timestamps before the level
    ['2025-10-31T12:00:01Z WARN retrying', 'WARNING'],
    ['2025-10-31T12:00:01.123456789Z ERROR x', 'ERROR'],
    ['2025-10-31T12:00:01.123456+02:00 [DEBUG] detail', 'DEBUG'],
    ['2025-10-31T12:00:01.123456Z  INFO my_crate::module: rust tracing', 'INFO', 'stderr'],
    ['2025-10-31T12:00:01.123Z\tERROR\tmain.go:12\tzap console', 'ERROR'],
    ['2025-10-31T12:00:01.123+01:00  WARN 12345 --- [main] o.s.b.App : spring boot', 'WARNING'],
    ['[2025-10-31 12:00:01] ERROR: bracketed time', 'ERROR'],
    ['[2025-10-31T12:00:01Z WARN  mycrate] rust env_logger', 'WARNING'],
    ['[12:00:01 INFO] bracketed', 'INFO', 'stderr'],
    ['12:00:01 ERROR x', 'ERROR'],
    ['12:00:01.123 INFO tick', 'INFO', 'stderr'],
    ['12:00:01.123 [main] ERROR c.f.Bar - logback', 'ERROR'],
    ['2025-10-31 12:00:01.123 [main] WARN  c.f.Bar - log4j', 'WARNING'],
    ['2025/10/31 12:00:01 [error] 123#0: *1 connect() failed', 'ERROR'], // nginx
    ['2025/10/31 12:00:01 WARN go log', 'WARNING'],
    ['Oct 31 12:00:01 FATAL: syslog style', 'CRITICAL'],
    // logfmt, glog, logrus
    ['time=2025-10-31T12:00:01Z level=warn msg="logfmt line"', 'WARNING'],
    ['time=2025-10-31T12:00:01.000Z level=ERROR msg=slog', 'ERROR'],
    ['ts=1 lvl="error" msg=x', 'ERROR'],
    ['level=info msg=ok', 'INFO', 'stderr'],
    ['E1031 12:00:01.123456   123 main.go:42] glog error', 'ERROR'],
    ['W1031 12:00:01.123456   123 main.go:42] glog warning', 'WARNING'],
    ['I1031 12:00:01.123456   123 main.go:42] glog info', 'INFO', 'stderr'],
    ['F1031 12:00:01.123456   123 main.go:42] glog fatal', 'CRITICAL'],
    ['INFO[0000] logrus tty', 'INFO', 'stderr'],
    ['ERRO[0002] logrus tty error', 'ERROR'],
    ['WARN[0001] logrus tty warning', 'WARNING'],
    ['FATA[0003] logrus fatal', 'CRITICAL'],
    // ANSI colours around the prefix
    ['\x1b[31mERROR\x1b[0m: red', 'ERROR'],
    ['\x1b[1;33m[WARN]\x1b[0m coloured bracket', 'WARNING'],
    ['\x1b[2m2025-10-31T12:00:01.123Z\x1b[0m \x1b[33m WARN\x1b[0m tracing colours', 'WARNING'],
    ['\x1b(B\x1b[mWARNING: tput', 'WARNING'],
    ['\x1b[32mINFO\x1b[0m:     uvicorn colours', 'INFO', 'stderr'],
  ];
  it.each(cases)('%j → %s', (line, level, stream = 'stdout') => {
    expect(parseLine(line, stream).level).toBe(level);
  });
});

describe('plain text: no prefix means the stream default', () => {
  const prose = [
    'Regular output',
    'Error rates are fine today',
    'Errors: 0',
    'error',
    'errors were found: 0',
    'INFORMATION: not a prefix word',
    'ERRORS: 3',
    'WARNINGS found',
    'Informational message',
    'ERR x', // three-letter bare words only count after a timestamp
    'info everything ok', // lower-case bare word: prose
    'debugging is fun',
    'Traceback (most recent call last):',
    '  File "x.py", line 1, in <module>',
    '(node:1234) Warning: Possible EventEmitter memory leak',
    '[main] ERROR without a timestamp first',
    '12345',
    '2025-10-31 12:00:01 done, no level',
    '[1/3] building',
    '42% |████      | 42/100',
    '{not json} ERROR',
    '',
    '   ',
  ];
  it.each(prose)('%j', (line) => {
    expect(parseLine(line, 'stdout').level).toBe('INFO');
    expect(parseLine(line, 'stderr').level).toBe('ERROR');
    expect(parseLine(line, 'push').level).toBe('INFO');
  });
});

describe('plain text: the message', () => {
  it('is the whole line, ANSI codes and trailing \\r removed, prefix and timestamp kept', () => {
    expect(parseLine('\x1b[31mERROR\x1b[0m: red\r', 'stdout')).toEqual({ level: 'ERROR', message: 'ERROR: red' });
    expect(parseLine('WARNING:root:x', 'stderr')).toEqual({ level: 'WARNING', message: 'WARNING:root:x' });
    expect(parseLine('2025-10-31 12:00:01,123 - n - ERROR - x', 'stdout').message).toBe('2025-10-31 12:00:01,123 - n - ERROR - x');
    expect(parseLine('\x1b]0;title\x07done', 'stdout').message).toBe('done');
    expect(parseLine('plain\r\r', 'stdout').message).toBe('plain');
    expect(parseLine('\r', 'stdout')).toEqual({ level: 'INFO', message: '' });
    expect(parseLine('', 'stderr')).toEqual({ level: 'ERROR', message: '' });
    expect(parseLine('  indented  ', 'stdout').message).toBe('  indented  ');
    expect(parseLine('a\rb', 'stdout').message).toBe('a\rb'); // only trailing \r goes
    expect(parseLine('progress\r\x1b[0m', 'stdout').message).toBe('progress'); // \r hidden behind a reset code
  });

  it('skips only the search for terminal codes when told the line has none (noEscapes)', () => {
    for (const line of ['ERROR: x\r', '  {"level":"warn","msg":"m"}  ', '{"event":"layer_start","layer":1}', 'WARNING:root:y', '']) {
      expect(parseLine(line, 'stderr', true)).toEqual(parseLine(line, 'stderr'));
    }
  });

  it('sets neither event nor data', () => {
    const parsed = parseLine('ERROR: x', 'stdout');
    expect(Object.keys(parsed).sort()).toEqual(['level', 'message']);
  });

  it('keeps a huge line whole', () => {
    expect(parseLine('x'.repeat(1_000_000), 'stdout').message.length).toBe(1_000_000);
    expect(parseLine(`ERROR: ${'y'.repeat(1_000_000)}`, 'stdout').level).toBe('ERROR');
  });
});

describe('JSON log lines from real loggers', () => {
  const cases: [line: string, level: Level, message: string, stream?: Stream][] = [
    // pino
    ['{"level":30,"time":1730376001123,"pid":1,"hostname":"h","msg":"hello"}', 'INFO', 'hello', 'stderr'],
    ['{"level":10,"time":1730376001123,"pid":1,"hostname":"h","msg":"trace"}', 'DEBUG', 'trace'],
    ['{"level":20,"msg":"debug"}', 'DEBUG', 'debug'],
    ['{"level":40,"msg":"warn"}', 'WARNING', 'warn'],
    ['{"level":50,"time":1730376001123,"pid":1,"hostname":"h","err":{"type":"Error","message":"boom","stack":"Error: boom\\n    at x"},"msg":"boom"}', 'ERROR', 'boom'],
    ['{"level":60,"msg":"fatal"}', 'CRITICAL', 'fatal'],
    ['{"level":"info","time":"2025-10-31T12:00:01.123Z","msg":"pino with formatters"}', 'INFO', 'pino with formatters', 'stderr'],
    // bunyan
    ['{"name":"app","hostname":"h","pid":1,"level":50,"msg":"bunyan","time":"2025-10-31T12:00:01.123Z","v":0}', 'ERROR', 'bunyan'],
    ['{"name":"app","hostname":"h","pid":1,"level":30,"msg":"bunyan info","time":"2025-10-31T12:00:01.123Z","v":0}', 'INFO', 'bunyan info', 'stderr'],
    // structlog JSONRenderer
    ['{"event": "user logged in", "level": "info", "timestamp": "2025-10-31T12:00:01.123456Z"}', 'INFO', 'user logged in', 'stderr'],
    ['{"event": "retrying", "level": "warning", "logger": "x", "attempt": 2}', 'WARNING', 'retrying'],
    ['{"event": "crashed", "level": "critical", "exception": "Traceback ..."}', 'CRITICAL', 'crashed'],
    // winston
    ['{"level":"warn","message":"winston says"}', 'WARNING', 'winston says'],
    ['{"level":"error","message":"winston error","stack":"..."}', 'ERROR', 'winston error'],
    ['{"level":"http","message":"GET /"}', 'INFO', 'GET /', 'stderr'],
    ['{"message":"winston info","level":"info","timestamp":"2025-10-31T12:00:01.123Z"}', 'INFO', 'winston info', 'stderr'],
    // zap, zerolog, slog, log15, logrus
    ['{"level":"warn","ts":1730376001.123,"caller":"main.go:12","msg":"zap json"}', 'WARNING', 'zap json'],
    ['{"level":"error","time":"2025-10-31T12:00:01Z","message":"zerolog"}', 'ERROR', 'zerolog'],
    ['{"time":"2025-10-31T12:00:01Z","level":"WARN","msg":"slog json"}', 'WARNING', 'slog json'],
    ['{"lvl":"crit","msg":"log15"}', 'CRITICAL', 'log15'],
    ['{"level":"warning","msg":"logrus json","time":"2025-10-31T12:00:01Z"}', 'WARNING', 'logrus json'],
    // GCP, ECS, python-json-logger, Serilog CLEF, loguru
    ['{"severity":"WARNING","message":"gcp"}', 'WARNING', 'gcp'],
    ['{"severity":"ERROR","message":"gcp error"}', 'ERROR', 'gcp error'],
    ['{"severity":"ALERT","message":"gcp alert"}', 'CRITICAL', 'gcp alert'],
    ['{"severity":"EMERGENCY","message":"gcp down"}', 'CRITICAL', 'gcp down'],
    ['{"severity":"NOTICE","message":"gcp notice"}', 'INFO', 'gcp notice', 'stderr'],
    ['{"@timestamp":"2025-10-31T12:00:01.123Z","log.level":"warn","message":"ecs","ecs.version":"1.6.0"}', 'WARNING', 'ecs'],
    ['{"levelname":"ERROR","name":"app","message":"python json logger"}', 'ERROR', 'python json logger'],
    ['{"asctime":"2025-10-31 12:00:01,123","levelname":"WARNING","message":"pjl"}', 'WARNING', 'pjl'],
    ['{"@t":"2025-10-31T12:00:01Z","@l":"Warning","@m":"serilog clef"}', 'WARNING', 'serilog clef'],
    ['{"text":"2025-10-31 | WARNING | x\\n","record":{"level":{"icon":"⚠️","name":"WARNING","no":30},"message":"loguru"}}', 'WARNING', 'loguru'],
    // key order and odd values
    ['  {"level":"INFO","msg":"leading blanks"}  ', 'INFO', 'leading blanks', 'stderr'],
    ['\uFEFF{"level":"warn","msg":"after a byte-order mark"}', 'WARNING', 'after a byte-order mark'],
    ['\x1b[32m{"level":"warn","msg":"coloured json"}\x1b[0m', 'WARNING', 'coloured json'],
    ['{"level":"warn","msg":"crlf"}\r', 'WARNING', 'crlf'],
    ['{"msg":42,"message":"first string wins"}', 'ERROR', 'first string wins', 'stderr'],
    ['{"msg":"","message":"first non-empty wins","level":50}', 'ERROR', 'first non-empty wins'],
    ['{"level":"DEFAULT","severity":"WARNING","msg":"first understood level wins"}', 'WARNING', 'first understood level wins'],
    ['{"event":"user_signup","level":"info"}', 'INFO', 'user_signup', 'stderr'],
  ];
  it.each(cases)('%s', (line, level, message, stream = 'stdout') => {
    const parsed = parseLine(line, stream);
    expect(parsed).toMatchObject({ level, message });
    expect(parsed.event).toBeUndefined();
    expect(parsed.data).toBeTypeOf('object');
  });

  it('keeps every field in data', () => {
    const line = '{"level":50,"time":1730376001123,"pid":1,"hostname":"h","err":{"type":"Error"},"msg":"x","n":null,"a":[1,"2"]}';
    expect(parseLine(line, 'stdout').data).toEqual(JSON.parse(line));
  });

  it('falls back to the whole line and the stream default for unknown shapes', () => {
    expect(parseLine('{"a":1}', 'stdout')).toEqual({ level: 'INFO', message: '{"a":1}', data: { a: 1 }, dataJson: '{"a":1}' });
    expect(parseLine('{"a":1}', 'stderr').level).toBe('ERROR');
    expect(parseLine('{"a":1}', 'push').level).toBe('INFO');
    expect(parseLine('{}', 'stderr')).toEqual({ level: 'ERROR', message: '{}', data: {}, dataJson: '{}' });
    expect(parseLine('{"msg":"no level"}', 'stderr')).toMatchObject({ level: 'ERROR', message: 'no level' });
    expect(parseLine('{"level":30}', 'stderr')).toMatchObject({ level: 'INFO', message: '{"level":30}' });
    expect(parseLine('{"severity":"DEFAULT","message":"gcp default"}', 'stderr').level).toBe('ERROR');
    expect(parseLine('{"level":"loud","msg":"x"}', 'stderr').level).toBe('ERROR');
    expect(parseLine('{"level":3,"msg":"syslog-ish number"}', 'stdout').level).toBe('INFO');
    expect(parseLine('\x1b[1m{"a":1}\x1b[0m\r', 'stdout').message).toBe('{"a":1}');
  });

  it('treats arrays, bad JSON, trailing text and non-objects as plain text', () => {
    expect(parseLine('[1,2]', 'stdout')).toEqual({ level: 'INFO', message: '[1,2]' });
    expect(parseLine('{"a":', 'stderr')).toEqual({ level: 'ERROR', message: '{"a":' });
    expect(parseLine('{"level":"warn","msg":"x"} trailing', 'stderr')).toEqual({
      level: 'ERROR',
      message: '{"level":"warn","msg":"x"} trailing',
    });
    expect(parseLine("{'level': 'warn'}", 'stdout').data).toBeUndefined(); // a Python dict repr is not JSON
    expect(parseLine('{}}', 'stdout').data).toBeUndefined();
    expect(parseLine('null', 'stdout').data).toBeUndefined();
    expect(parseLine('"a string"', 'stdout').data).toBeUndefined();
    expect(parseLine('42', 'stdout').data).toBeUndefined();
  });
});
