// Client → server frames of the WebSocket protocol, checked.
import { int, literal, maxLength, maximum, minimum, minLength, number, object, optional, strictObject, string, union, type output } from '../../zod.js';
import { SupervisorError } from '../../errors.js';
import { describeZodError } from '../http-errors.js';

const seq = number().check(int(), minimum(0), maximum(Number.MAX_SAFE_INTEGER));

const runId = string().check(minLength(1), maxLength(512));

const subscribeFrame = union([
  strictObject({ type: literal('subscribe'), topic: literal('runs') }),
  strictObject({
    type: literal('subscribe'),
    run_id: runId,
    after: optional(seq),
    tail: optional(number().check(int(), minimum(0), maximum(100_000))),
  }),
]);

const unsubscribeFrame = union([
  strictObject({ type: literal('unsubscribe'), topic: literal('runs') }),
  strictObject({ type: literal('unsubscribe'), run_id: runId }),
]);

const pingFrame = object({ type: literal('ping') });

export type ClientFrame = output<typeof subscribeFrame> | output<typeof unsubscribeFrame> | output<typeof pingFrame>;

const FRAMES = { subscribe: subscribeFrame, unsubscribe: unsubscribeFrame, ping: pingFrame } as const;

/** Parse one text frame; throws a SupervisorError (BAD_REQUEST, BAD_CURSOR) that says what is wrong. */
export function parseClientFrame(text: string): ClientFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SupervisorError('BAD_REQUEST', 'frames are JSON text such as {"type":"subscribe","run_id":"…","after":0}');
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof value !== 'object' || value === null || typeof type !== 'string' || !(type in FRAMES)) {
    throw new SupervisorError('BAD_REQUEST', `unknown frame type ${JSON.stringify(type ?? null)} (subscribe, unsubscribe, ping)`);
  }
  const schema = FRAMES[type as keyof typeof FRAMES];
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const after = (value as { after?: unknown }).after;
  if (after !== undefined && !seq.safeParse(after).success) {
    throw new SupervisorError('BAD_CURSOR', `after takes a sequence number (a whole number ≥ 0), got ${JSON.stringify(after)}`);
  }
  throw new SupervisorError(
    'BAD_REQUEST',
    `${type}: ${type === 'ping' ? describeZodError(parsed.error, 'frame') : `takes {"run_id": "…"} or {"topic": "runs"}`}`,
  );
}
