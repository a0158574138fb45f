// What remote runners import (`pipeline-supervisor/client`): the batching log shipper and its error type.
export { RunLogger, type RunLoggerOptions, type RunLoggerStats, type FinishOptions } from './run-logger.js';
export { PushError, type FetchLike } from './push-http.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export type { Level, RunInfo } from '../types.js';
