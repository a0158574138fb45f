// Client frames of the WebSocket protocol: what parses, and the error code for what does not.
import { describe, expect, it } from 'vitest';
import { SupervisorError } from '../../src/errors.js';
import { parseClientFrame } from '../../src/server/ws/ws-frames.js';

const codeOf = (text: string) => {
  try {
    parseClientFrame(text);
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(SupervisorError);
    return (error as SupervisorError).code;
  }
};

describe('client frames', () => {
  it('parses subscribe, unsubscribe and ping', () => {
    expect(parseClientFrame('{"type":"subscribe","run_id":"r","after":3}')).toEqual({ type: 'subscribe', run_id: 'r', after: 3 });
    expect(parseClientFrame('{"type":"subscribe","run_id":"r"}')).toEqual({ type: 'subscribe', run_id: 'r' });
    expect(parseClientFrame('{"type":"subscribe","topic":"runs"}')).toEqual({ type: 'subscribe', topic: 'runs' });
    expect(parseClientFrame('{"type":"unsubscribe","run_id":"r"}')).toEqual({ type: 'unsubscribe', run_id: 'r' });
    expect(parseClientFrame('{"type":"unsubscribe","topic":"runs"}')).toEqual({ type: 'unsubscribe', topic: 'runs' });
    expect(parseClientFrame('{"type":"ping"}')).toEqual({ type: 'ping' });
  });

  it('names what is wrong', () => {
    expect(codeOf('nope')).toBe('BAD_REQUEST');
    expect(codeOf('null')).toBe('BAD_REQUEST');
    expect(codeOf('{"type":"shout"}')).toBe('BAD_REQUEST');
    expect(codeOf('{"type":"subscribe"}')).toBe('BAD_REQUEST');
    expect(codeOf('{"type":"subscribe","topic":"everything"}')).toBe('BAD_REQUEST');
    expect(codeOf('{"type":"subscribe","run_id":"r","topic":"runs"}')).toBe('BAD_REQUEST');
    expect(codeOf('{"type":"subscribe","run_id":"r","after":1.5}')).toBe('BAD_CURSOR');
    expect(codeOf('{"type":"subscribe","run_id":"r","after":"3"}')).toBe('BAD_CURSOR');
  });
});
