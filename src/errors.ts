// Every error a user or client can meet: one registry of codes, each with an HTTP status and a hint.

export const ERROR_CODES = {
  SUP_ERR_CONFIG_NOT_FOUND: { status: 500, hint: 'create supervisor.config.json or pass --config PATH' },
  SUP_ERR_CONFIG_INVALID: { status: 500, hint: 'fix the config at the paths named' },
  SUP_ERR_CONFIG_SECRET_MISSING: { status: 500, hint: 'export the environment variable named by env:NAME' },
  MODULE_NOT_FOUND: { status: 404, hint: 'run `supervisor modules` to list the configured modules' },
  RUN_NOT_FOUND: { status: 404, hint: 'run `supervisor runs` to list runs' },
  RUN_NOT_RUNNING: { status: 409, hint: 'the run has already finished' },
  RUN_NOT_EXTERNAL: { status: 409, hint: 'only runs registered by a remote runner take pushed logs' },
  SPAWN_FAILED: { status: 500, hint: 'check the module command and cwd in the config' },
  STORE_UNAVAILABLE: { status: 500, hint: 'the data dir\'s supervisor.db: upgrade the supervisor if it is newer, else check the file and its permissions' },
  BAD_REQUEST: { status: 400, hint: 'see the message for the field at fault' },
  BAD_CURSOR: { status: 400, hint: 'since takes an ISO 8601 timestamp, after a sequence number' },
  PAYLOAD_TOO_LARGE: { status: 413, hint: 'send at most 1 MiB and 10,000 entries per batch' },
  UNAUTHORIZED: { status: 401, hint: 'send the daemon token as Authorization: Bearer <token>' },
  BAD_API_KEY: { status: 401, hint: 'send the runner key in x-api-key' },
  FORBIDDEN: { status: 403, hint: 'this run belongs to another runner' },
  FORBIDDEN_ORIGIN: { status: 403, hint: 'connect from the dashboard served by the daemon' },
  NOT_FOUND: { status: 404, hint: 'see the README for the routes' },
  DAEMON_RUNNING: { status: 409, hint: 'a daemon already owns this data dir: stop it or use it' },
  DAEMON_UNREACHABLE: { status: 503, hint: 'start it with `supervisor daemon`' },
  DAEMON_INSECURE_HOST: { status: 500, hint: 'set daemon.token or listen on 127.0.0.1/::1' },
  DAEMON_PORT_IN_USE: { status: 500, hint: 'stop what listens there, or pick another port with --port or daemon.port' },
  SHUTTING_DOWN: { status: 503, hint: 'the daemon is stopping; retry against the next one' },
  USAGE: { status: 400, hint: 'see --help' },
  INTERNAL: { status: 500, hint: 'see the daemon log' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error class: a code from the registry, a message that says what to do, the original as cause. */
export class SupervisorError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SupervisorError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = options.details;
  }
}

/** A SupervisorError for anything thrown, so every face reports errors the same way. */
export function toSupervisorError(error: unknown): SupervisorError {
  if (error instanceof SupervisorError) return error;
  const code = (error as { code?: unknown })?.code;
  if (code === 'SUP_ERR_BAD_CURSOR') return new SupervisorError('BAD_CURSOR', String((error as Error).message));
  const message = error instanceof Error ? error.message : String(error);
  return new SupervisorError('INTERNAL', message, { cause: error });
}
