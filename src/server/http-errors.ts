// Every HTTP error in one shape: {"error": {"code", "message"}} with the code's status.
import type { FastifyReply } from 'fastify';
import { $ZodError } from '../zod.js';
import { SupervisorError, toSupervisorError } from '../errors.js';

/** The JSON body of an error. */
export function errorBody(error: SupervisorError): { error: { code: string; message: string } } {
  return { error: { code: error.code, message: error.message } };
}

/** Send an error in our shape. */
export function sendError(reply: FastifyReply, error: SupervisorError): FastifyReply {
  return reply.code(error.status).type('application/json; charset=utf-8').send(errorBody(error));
}

/** Map anything a route or fastify threw onto the registry: body parsing, validation, store cursors, bugs. */
export function toHttpError(error: unknown): SupervisorError {
  if (error instanceof SupervisorError) return error;
  if (error instanceof $ZodError) return new SupervisorError('BAD_REQUEST', describeZodError(error));
  const status = (error as { statusCode?: unknown })?.statusCode;
  const fastifyCode = String((error as { code?: unknown })?.code ?? '');
  if (status === 413 || fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new SupervisorError('PAYLOAD_TOO_LARGE', 'the request body is over 1 MiB');
  }
  if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    return new SupervisorError('BAD_REQUEST', 'send the body as JSON with Content-Type: application/json');
  }
  if (fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error instanceof SyntaxError && status === 400)) {
    return new SupervisorError('BAD_REQUEST', 'the request body is not valid JSON');
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new SupervisorError('BAD_REQUEST', (error as Error).message || `bad request (${status})`);
  }
  return toSupervisorError(error);
}

/** "args.0: expected string, received number; module: required" */
export function describeZodError(error: $ZodError, root = 'body'): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.map(String).join('.') : root}: ${issue.message}`)
    .join('; ');
}
