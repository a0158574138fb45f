// The HTTP API client: JSON in and out, Bearer token, a 401 opens the token prompt and retries.

/** An API error with the daemon's code (RUN_NOT_FOUND, …) and the HTTP status. */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

// Lists come back as a bare array or wrapped ({"runs": [...]}); accept both.
const unwrap = (key) => (payload) => (Array.isArray(payload) ? payload : (payload?.[key] ?? []));

/** Create the client over an auth keeper (createAuth). */
export function createApi(auth) {
  async function request(method, path, body) {
    for (let attempt = 0; ; attempt++) {
      const headers = { accept: 'application/json' };
      const token = auth.token();
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      let response;
      try {
        response = await fetch(path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          credentials: 'same-origin',
        });
      } catch (error) {
        throw new ApiError('DAEMON_UNREACHABLE', `the daemon did not answer (${error.message})`, 0);
      }
      if (response.status === 401 && attempt < 3) {
        await auth.require();
        continue;
      }
      const payload = await response.json().catch(() => null);
      if (!response.ok) {
        throw new ApiError(
          payload?.error?.code ?? `HTTP_${response.status}`,
          payload?.error?.message ?? `${method} ${path}: HTTP ${response.status}`,
          response.status,
        );
      }
      return payload;
    }
  }

  const runPath = (runId) => `/api/runs/${encodeURIComponent(runId)}`;
  const query = (params) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
    }
    const text = search.toString();
    return text ? `?${text}` : '';
  };

  return {
    request,
    modules: () => request('GET', '/api/modules').then(unwrap('modules')),
    listRuns: (params = {}) => request('GET', `/api/runs${query(params)}`).then(unwrap('runs')),
    getRun: (runId) => request('GET', runPath(runId)),
    startRun: (module, args) => request('POST', '/api/runs', { module, args }),
    cancelRun: (runId) => request('POST', `${runPath(runId)}/cancel`),
    /** A page of records: {logs, total_lines, truncated}; params: after, since, tail, limit, level, stream. */
    logs: (runId, params) => request('GET', `${runPath(runId)}/logs${query(params)}`),
    downloadUrl: (runId) => `${runPath(runId)}/logs/download`,
  };
}
