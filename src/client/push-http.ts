// One JSON request to the daemon, and what its failure means: worth retrying (network, 5xx, 429) or not.

/** The fetch the client uses (global fetch by default; tests and proxies may pass their own). */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** A request that failed; `retryable` says whether sending the same body again may succeed. */
export class PushError extends Error {
  /** HTTP status, or undefined when no response came (network error, timeout) */
  readonly status: number | undefined;
  /** the daemon's error code (`RUN_NOT_RUNNING`…), when it sent one */
  readonly code: string | undefined;
  readonly retryable: boolean;
  /** from a Retry-After header, in ms */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { status?: number; code?: string; retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'PushError';
    this.status = options.status;
    this.code = options.code;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** How to send: the fetch, the runner key, the time limit. */
export interface PostOptions {
  fetch: FetchLike;
  apiKey: string;
  /** a request with no answer by then is aborted and counts as a network error */
  timeoutMs: number;
  /** aborts the request (the logger was closed) */
  signal?: AbortSignal;
  /** more request headers (Idempotency-Key) */
  headers?: Record<string, string>;
}

/** POST a JSON body (already serialized) and return the parsed JSON answer; throws PushError. */
export async function postJson<T>(url: string, body: string, options: PostOptions): Promise<T> {
  // One controller per request: the timeout and the caller's signal both abort it, and nothing outlives it.
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new PushError('no answer in time', { retryable: true })), options.timeoutMs);
  let response: Response;
  let text: string;
  try {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    response = await options.fetch(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-type': 'application/json', 'x-api-key': options.apiKey },
      body,
      signal: controller.signal,
    });
    text = await response.text();
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    throw new PushError(`POST ${url} failed: ${describeNetworkError(reason)}`, { retryable: true, cause: error });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (response.ok) {
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      // A 2xx that is not our JSON: something in between answered. Trying again is the best we can do.
      throw new PushError(`POST ${url}: ${response.status} with a body that is not JSON`, { status: response.status, retryable: true, cause: error });
    }
  }
  const { code, message } = readErrorBody(text);
  const status = response.status;
  throw new PushError(`POST ${url} → ${status}${code ? ` ${code}` : ''}: ${message || response.statusText}`, {
    status,
    code,
    retryable: status >= 500 || status === 429 || status === 408,
    retryAfterMs: readRetryAfter(response.headers.get('retry-after')),
  });
}

// {"error": {"code", "message"}} from the daemon; anything else (a proxy's page) as text.
function readErrorBody(text: string): { code?: string; message: string } {
  try {
    const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (error && typeof error.code === 'string') return { code: error.code, message: String(error.message ?? '') };
  } catch {
    // not JSON
  }
  return { message: text.slice(0, 200) };
}

function readRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function describeNetworkError(error: unknown): string {
  const err = error as { message?: string; cause?: { code?: string; message?: string } };
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(error);
}
