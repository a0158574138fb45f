// The server face of the engine: the daemon (HTTP, SSE, WebSocket, dashboard) and how the CLI finds it.
export { createDaemon, createDaemonLogger, DEFAULT_LIMITS, type Daemon, type DaemonOptions, type ListenAddress } from './create-daemon.js';
export { startDaemonProcess, type DaemonProcessOptions } from './daemon-process.js';
export { readDaemonFile, isDaemonAlive, DAEMON_FILE, type DaemonAddress, type DaemonFile } from './daemon-file.js';
export { isLoopbackHost } from './host-policy.js';
export type { ServerContext, ServerLimits, ExternalRunStarter } from './server-context.js';
