// The CLI as a client of a running daemon: HTTP for queries and commands, WebSocket for live records.
import WebSocket from 'ws';
import { SupervisorError, type ErrorCode, ERROR_CODES } from '../errors.js';
import type { LogQuery } from '../store/index.js';
import { FINAL_STATUSES, type Layer, type LogRecord, type RunInfo } from '../types.js';
import type { Backend, LiveHandlers, ModuleSummary } from './backend.js';

export interface DaemonAddress {
  url: string;
  token: string | null;
  /** the daemon's process, as daemon.json names it (shown by `status`, so a user can stop it) */
  pid?: number;
}

/** A backend that talks to the daemon at `address.url`. */
export function createDaemonBackend(address: DaemonAddress, prune: (cutoffIso: string) => Promise<number>): Backend {
  const headers = (extra: Record<string, string> = {}) =>
    address.token ? { ...extra, authorization: `Bearer ${address.token}` } : extra;

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(new URL(path, address.url), {
        method,
        headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new SupervisorError('DAEMON_UNREACHABLE', `the daemon at ${address.url} did not answer: ${(error as Error).message}`);
    }
    const payload = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (!response.ok) {
      const code = (payload.error?.code ?? 'INTERNAL') as ErrorCode;
      throw new SupervisorError(code in ERROR_CODES ? code : 'INTERNAL', payload.error?.message ?? `HTTP ${response.status}`);
    }
    return payload as T;
  };

  const getRun = (ref: string) => call<RunInfo>('GET', `/api/runs/${encodeURIComponent(ref)}`);

  return {
    kind: 'daemon',
    where: address.url,
    pid: address.pid,
    modules: () => call<ModuleSummary[]>('GET', '/api/modules').then(unwrap<ModuleSummary>('modules')),
    async listRuns(query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
      return call<RunInfo[]>('GET', `/api/runs?${params}`).then(unwrap<RunInfo>('runs'));
    },
    getRun,
    async readLogs(runId, query: LogQuery) {
      const params = new URLSearchParams();
      if (query.after !== undefined) params.set('after', String(query.after));
      if (query.since !== undefined) params.set('since', query.since);
      if (query.tail !== undefined) params.set('tail', String(query.tail));
      if (query.limit !== undefined) params.set('limit', String(Math.min(query.limit, 10_000)));
      if (query.minLevel !== undefined) params.set('level', query.minLevel);
      if (query.stream !== undefined) params.set('stream', query.stream);
      if (typeof query.grep === 'string') params.set('grep', query.grep);
      if (query.before !== undefined) params.set('before', String(query.before));
      const page = await call<{ logs: LogRecord[]; total_lines: number }>('GET', `/api/runs/${encodeURIComponent(runId)}/logs?${params}`);
      return { logs: page.logs, total: page.total_lines };
    },
    follow: (runId, after, handlers) => followOverWebSocket(address, headers(), runId, after, handlers, getRun),
    async startRun(module, args) {
      return call<RunInfo>('POST', '/api/runs', { module, args });
    },
    async cancel(runId) {
      return call<RunInfo>('POST', `/api/runs/${encodeURIComponent(runId)}/cancel`);
    },
    prune,
    async close() {},
  };
}

// Lists come back as a bare array or wrapped ({"runs": [...]}); accept both.
function unwrap<T>(key: string) {
  return (payload: unknown): T[] => (Array.isArray(payload) ? payload : ((payload as Record<string, T[]>)[key] ?? []));
}

/** Subscribe to a run with `after`; on lag or a dropped socket, resubscribe after the last seq seen. */
function followOverWebSocket(
  address: DaemonAddress,
  headers: Record<string, string>,
  runId: string,
  after: number,
  handlers: LiveHandlers,
  getRun: (ref: string) => Promise<RunInfo>,
): Promise<RunInfo> {
  let last = after;
  let attempts = 0;
  return new Promise<RunInfo>((resolve, reject) => {
    const connect = () => {
      const ws = new WebSocket(new URL('/ws', address.url.replace(/^http/, 'ws')), { headers });
      let done = false;
      ws.on('open', () => {
        attempts = 0;
        ws.send(JSON.stringify({ type: 'subscribe', run_id: runId, after: last }));
      });
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Record<string, unknown>;
        if (frame.run_id !== undefined && frame.run_id !== runId) return;
        switch (frame.type) {
          case 'logs': {
            const fresh = (frame.records as LogRecord[]).filter((r) => r.seq > last);
            if (fresh.length > 0) {
              last = fresh[fresh.length - 1]!.seq;
              handlers.onRecords?.(fresh);
            }
            break;
          }
          case 'layer':
            handlers.onLayer?.(frame.layer as Layer);
            break;
          case 'lagged':
            ws.send(JSON.stringify({ type: 'subscribe', run_id: runId, after: last }));
            break;
          case 'complete':
            done = true;
            ws.close(1000);
            getRun(runId).then(resolve, reject);
            break;
          case 'error':
            done = true;
            ws.close(1000);
            reject(new SupervisorError((frame.code as ErrorCode) in ERROR_CODES ? (frame.code as ErrorCode) : 'INTERNAL', String(frame.message)));
            break;
        }
      });
      ws.on('error', () => {});
      ws.on('close', () => {
        if (done) return;
        // The daemon went away or dropped us: the run may have ended meanwhile; otherwise reconnect.
        getRun(runId)
          .then((run) => {
            if (FINAL_STATUSES.has(run.status) && last >= run.total_lines) return resolve(run);
            if (++attempts > 20) throw new SupervisorError('DAEMON_UNREACHABLE', `lost the daemon at ${address.url} while following ${runId}`);
            setTimeout(connect, Math.min(100 * 2 ** attempts, 2000));
          })
          .catch((error) => {
            if (++attempts > 20) return reject(error);
            setTimeout(connect, Math.min(100 * 2 ** attempts, 2000));
          });
      });
    };
    connect();
  });
}
