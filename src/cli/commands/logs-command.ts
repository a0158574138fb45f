// `supervisor logs <run-id>`: print a run's records, filtered; -f follows live until the run ends.
import { SupervisorError } from '../../errors.js';
import { levelRank, normalizeLevel } from '../../parse/index.js';
import type { LogQuery } from '../../store/index.js';
import { STREAMS, type Level, type LogRecord, type Stream } from '../../types.js';
import { parseCount, type CommandContext } from '../context.js';
import { formatRecord } from '../render.js';

export interface LogsOptions {
  follow?: boolean;
  lines?: string;
  since?: string;
  after?: string;
  level?: string;
  stream?: string;
  grep?: string;
  json?: boolean;
}

const PAGE = 5000;

/** Print records; exits 0, or with the usual error codes. */
export async function logsCommand(ctx: CommandContext, ref: string, options: LogsOptions): Promise<number> {
  const filter = readFilter(options);
  if (options.since !== undefined && Number.isNaN(Date.parse(options.since))) {
    throw new SupervisorError('USAGE', `--since takes an ISO 8601 timestamp such as 2025-10-31T12:00:01.123456Z; got "${options.since}"`);
  }
  const backend = await ctx.backend();
  const run = await backend.getRun(ref);
  const print = (records: LogRecord[]) => {
    let text = '';
    for (const record of records) {
      if (!matches(record, filter)) continue;
      text += (options.json ? JSON.stringify(record) : formatRecord(record, ctx.out)) + '\n';
    }
    if (text) ctx.io.stdout.write(text);
  };

  // Everything up to the run's last seq now, then (with -f) live from there: no gap, no repeat.
  const upTo = run.total_lines;
  const base: LogQuery = { minLevel: filter.minLevel, stream: filter.stream, grep: filter.grep, before: upTo + 1 };
  if (options.lines !== undefined) {
    print((await backend.readLogs(run.run_id, { ...base, tail: parseCount(options.lines, '-n') })).logs);
  } else {
    let cursor: { after?: number; since?: string } =
      options.after !== undefined ? { after: parseCount(options.after, '--after') } : options.since !== undefined ? { since: options.since } : { after: 0 };
    for (;;) {
      const page = await backend.readLogs(run.run_id, { ...base, ...cursor, limit: PAGE });
      print(page.logs);
      if (page.logs.length < PAGE) break;
      cursor = { after: page.logs[page.logs.length - 1]!.seq };
    }
  }
  if (options.follow) await backend.follow(run.run_id, upTo, { onRecords: print });
  return 0;
}

interface Filter {
  minLevel?: Level;
  stream?: Stream;
  grep?: string;
}

function readFilter(options: LogsOptions): Filter {
  const filter: Filter = {};
  if (options.level !== undefined) {
    const level = normalizeLevel(options.level);
    if (!level) throw new SupervisorError('USAGE', `--level takes DEBUG, INFO, WARNING, ERROR or CRITICAL; got "${options.level}"`);
    filter.minLevel = level;
  }
  if (options.stream !== undefined) {
    if (!STREAMS.includes(options.stream as Stream)) {
      throw new SupervisorError('USAGE', `--stream takes ${STREAMS.join(', ')}; got "${options.stream}"`);
    }
    filter.stream = options.stream as Stream;
  }
  if (options.grep !== undefined) filter.grep = options.grep;
  return filter;
}

function matches(record: LogRecord, filter: Filter): boolean {
  if (filter.minLevel && levelRank(record.level) < levelRank(filter.minLevel)) return false;
  if (filter.stream && record.stream !== filter.stream) return false;
  if (filter.grep && !record.message.toLowerCase().includes(filter.grep.toLowerCase())) return false;
  return true;
}
