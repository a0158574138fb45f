// Client → server frames of the WebSocket protocol, checked.
import { z } from 'zod';
import { SupervisorError } from '../../errors.js';
import { describeZodError } from '../http-errors.js';

const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const subscribeFrame = z.union([
  z.strictObject({ type: z.literal('subscribe'), topic: z.literal('runs') }),
  z.strictObject({
    type: z.literal('subscribe'),
    run_id: z.string().min(1).max(512),
    after: seq.optional(),
    tail: z.number().int().min(0).max(100_000).optional(),
  }),
]);

const unsubscribeFrame = z.union([
  z.strictObject({ type: z.literal('unsubscribe'), topic: z.literal('runs') }),
  z.strictObject({ type: z.literal('unsubscribe'), run_id: z.string().min(1).max(512) }),
]);

const pingFrame = z.object({ type: z.literal('ping') });

export type ClientFrame = z.infer<typeof subscribeFrame> | z.infer<typeof unsubscribeFrame> | z.infer<typeof pingFrame>;

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
