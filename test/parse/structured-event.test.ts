import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/parse/index.js';
import { EVENT_NAMES, type Level, type Stream } from '../../src/types.js';

const event = (fields: Record<string, unknown>, stream: Stream = 'stdout') => parseLine(JSON.stringify(fields), stream);

describe('structured events: summaries from their own fields', () => {
  const cases: [fields: Record<string, unknown>, message: string][] = [
    [{ event: 'pipeline_start' }, 'pipeline started'],
    [{ event: 'pipeline_start', pipeline: 'leads', run: 'x' }, 'pipeline leads started'],
    [{ event: 'pipeline_complete', status: 'success', duration_ms: 12_300 }, 'pipeline complete: success in 12.3 s'],
    [{ event: 'pipeline_complete', status: 'partial' }, 'pipeline complete: partial'],
    [{ event: 'pipeline_complete', status: 'error', duration_ms: 999.6 }, 'pipeline complete: error in 1000 ms'],
    [{ event: 'pipeline_complete' }, 'pipeline complete'],
    [{ event: 'layer_start', layer: 4, layer_name: 'opportunity_mapper' }, 'layer 4 opportunity_mapper started'],
    [{ event: 'layer_start', layer: 4 }, 'layer 4 started'],
    [{ event: 'layer_start', layer_name: 'fetch' }, 'layer fetch started'],
    [{ event: 'layer_start' }, 'layer started'],
    [{ event: 'layer_complete', layer: 4, layer_name: 'opportunity_mapper', duration_ms: 4500 }, 'layer 4 opportunity_mapper complete in 4500 ms'],
    [{ event: 'layer_complete', layer: 4 }, 'layer 4 complete'],
    [{ event: 'layer_complete', layer: 4, duration_ms: '4500' }, 'layer 4 complete'], // only numbers are durations
    [{ event: 'layer_complete', layer: 2, layer_name: null, duration_ms: 65_000 }, 'layer 2 complete in 65.0 s'],
    [{ event: 'layer_error', layer: 3, layer_name: 'company_researcher', error: 'HTTP 429' }, 'layer 3 company_researcher error: HTTP 429'],
    [{ event: 'layer_error', layer: 3, error: { type: 'TimeoutError', message: 'took too long' } }, 'layer 3 error: took too long'],
    [{ event: 'layer_error', layer: 3, error: { code: 7 } }, 'layer 3 error: {"code":7}'],
    [{ event: 'layer_error', layer: 3, message: 'boom' }, 'layer 3 error: boom'],
    [{ event: 'layer_error', layer: 3 }, 'layer 3 error'],
    [{ event: 'layer_skip', layer: 5, layer_name: 'people_mapper', reason: 'no companies' }, 'layer 5 people_mapper skipped: no companies'],
    [{ event: 'layer_skip', layer: 5, msg: 'cached' }, 'layer 5 skipped: cached'],
    [{ event: 'layer_skip', layer: 5 }, 'layer 5 skipped'],
    [{ event: 'layer_start', layer: 1, message: 'warming up' }, 'layer 1 started — warming up'],
    [{ event: 'layer_skip', layer: 5, reason: 'cached', message: 'see docs' }, 'layer 5 skipped: cached — see docs'],
    [{ event: 'pipeline_start', msg: '' }, 'pipeline started'],
  ];
  it.each(cases)('%j → %s', (fields, message) => {
    const parsed = event(fields);
    expect(parsed.message).toBe(message);
    expect(parsed.event).toBe(fields.event);
    expect(parsed.data).toEqual(fields);
  });

  it('keeps a summary short even when a field is huge (data keeps it whole)', () => {
    const error = 'x'.repeat(10_000);
    const parsed = event({ event: 'layer_error', layer: 1, error });
    expect(parsed.message.length).toBeLessThan(400);
    expect(parsed.message.startsWith('layer 1 error: xxx')).toBe(true);
    expect(parsed.data?.error).toBe(error);
  });

  it('is a pure function of the line', () => {
    const line = '{"event":"layer_complete","layer":4,"layer_name":"m","duration_ms":4500}';
    expect(parseLine(line, 'stdout')).toEqual(parseLine(line, 'stdout'));
    expect(parseLine(line, 'stderr').message).toBe(parseLine(line, 'stdout').message);
  });
});

describe('structured events: levels', () => {
  const cases: [fields: Record<string, unknown>, level: Level][] = [
    [{ event: 'pipeline_start' }, 'INFO'],
    [{ event: 'pipeline_complete', status: 'success' }, 'INFO'],
    [{ event: 'pipeline_complete', status: 'partial' }, 'WARNING'],
    [{ event: 'pipeline_complete', status: 'error' }, 'ERROR'],
    [{ event: 'pipeline_complete', status: 'ERROR' }, 'ERROR'],
    [{ event: 'pipeline_complete' }, 'INFO'],
    [{ event: 'layer_start', layer: 1 }, 'INFO'],
    [{ event: 'layer_complete', layer: 1 }, 'INFO'],
    [{ event: 'layer_error', layer: 1 }, 'ERROR'],
    [{ event: 'layer_skip', layer: 1 }, 'INFO'],
    // an explicit level wins…
    [{ event: 'layer_error', layer: 1, level: 'warning' }, 'WARNING'],
    [{ event: 'layer_start', layer: 1, level: 50 }, 'ERROR'],
    [{ event: 'pipeline_complete', status: 'partial', level: 'INFO' }, 'INFO'],
    [{ event: 'layer_skip', layer: 1, level: 'debug' }, 'DEBUG'],
    // …unless it cannot be normalized, then the rules apply
    [{ event: 'layer_error', layer: 1, level: 'bogus' }, 'ERROR'],
    [{ event: 'pipeline_complete', status: 'partial', level: null }, 'WARNING'],
  ];
  it.each(cases)('%j → %s', (fields, level) => {
    expect(event(fields).level).toBe(level);
  });

  it('does not take the stream default: an event on stderr is INFO', () => {
    expect(event({ event: 'layer_start', layer: 1 }, 'stderr').level).toBe('INFO');
  });

  it('recognises all six names and nothing else', () => {
    for (const name of EVENT_NAMES) expect(event({ event: name }).event).toBe(name);
    expect(event({ event: 'layer_started' }).event).toBeUndefined();
    expect(event({ event: 'PIPELINE_START' }).event).toBeUndefined();
    expect(event({ event: ['layer_start'] }).event).toBeUndefined();
    expect(parseLine('{"type":"layer_start"}', 'stdout').event).toBeUndefined();
  });

  it('treats an event-looking line that is not a JSON object as text', () => {
    expect(parseLine('{"event":"layer_error","layer":1', 'stdout')).toEqual({
      level: 'INFO',
      message: '{"event":"layer_error","layer":1',
    });
    expect(parseLine('[{"event":"layer_error"}]', 'stdout').event).toBeUndefined();
  });
});
