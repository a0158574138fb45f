// The plain-text form of a record in downloads: `<timestamp> <LEVEL>  <stream> <message>`.
import type { LogRecord } from '../types.js';

/** One line per record; a multi-line message keeps its later lines indented under it. */
export function formatLogLine(record: LogRecord): string {
  const message = record.message.includes('\n') ? record.message.replace(/\r?\n/g, '\n    ') : record.message;
  return `${record.timestamp} ${record.level.padEnd(7)} ${record.stream} ${message}\n`;
}

/** Text chunks of about `chunkBytes` from records, for a streamed download. */
export function* formatLogChunks(records: Iterable<LogRecord>, chunkBytes = 64 * 1024): Generator<string, void, undefined> {
  let chunk = '';
  for (const record of records) {
    chunk += formatLogLine(record);
    if (chunk.length >= chunkBytes) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
