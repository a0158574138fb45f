// One WebSocket to /ws for the whole page: subscriptions survive reconnects (backoff, then
// resubscribe with `after` = the last seq each subscriber holds, so nothing is missed or doubled).

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
const MAX_BACKOFF_MS = 10_000;
const PING_EVERY_MS = 20_000;
const SILENT_LIMIT_MS = 50_000;

/**
 * Create the live connection.
 * `onState(state)`: 'connecting' | 'open' | 'reconnecting'; `onError(frame)`: error frames without a subscriber;
 * `onConnectFailure()`: the socket keeps failing before it opens (maybe a missing session: check auth).
 */
export function createLive({ onState = () => {}, onError = () => {}, onConnectFailure = () => {} } = {}) {
  /** run_id → { after(): number|undefined, onLogs, onLayer, onComplete, onRun, onError, onLagged } */
  const runSubs = new Map();
  const runsListeners = new Set();
  const reconnectListeners = new Set();
  const openListeners = new Set();
  let ws = null;
  let attempt = 0;
  let failuresBeforeOpen = 0;
  let opens = 0;
  let reconnectTimer = null;
  let pingTimer = null;
  let lastMessageAt = 0;
  let stopped = false;
  const stats = { opens: 0, closes: 0, lagged: 0, frames: 0 };

  const url = () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const isOpen = () => ws !== null && ws.readyState === WebSocket.OPEN;
  const send = (frame) => {
    if (isOpen()) ws.send(JSON.stringify(frame));
  };
  const subscribeRunFrame = (runId, sub) => {
    const after = sub.after();
    return after === undefined || after === null ? { type: 'subscribe', run_id: runId } : { type: 'subscribe', run_id: runId, after };
  };

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (stopped) return;
    onState(opens === 0 ? 'connecting' : 'reconnecting');
    let opened = false;
    const socket = new WebSocket(url());
    ws = socket;
    socket.addEventListener('open', () => {
      if (ws !== socket) return;
      opened = true;
      opens++;
      stats.opens++;
      attempt = 0;
      failuresBeforeOpen = 0;
      lastMessageAt = Date.now();
      onState('open');
      if (runsListeners.size > 0) send({ type: 'subscribe', topic: 'runs' });
      for (const [runId, sub] of runSubs) send(subscribeRunFrame(runId, sub));
      for (const listener of [...openListeners]) listener();
      if (opens > 1) for (const listener of [...reconnectListeners]) listener();
      clearInterval(pingTimer);
      pingTimer = setInterval(heartbeat, PING_EVERY_MS);
    });
    socket.addEventListener('message', (event) => {
      if (ws !== socket) return;
      lastMessageAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      stats.frames++;
      dispatch(frame);
    });
    socket.addEventListener('close', () => {
      if (ws !== socket) return;
      stats.closes++;
      ws = null;
      clearInterval(pingTimer);
      if (!opened && ++failuresBeforeOpen >= 2) onConnectFailure();
      scheduleReconnect();
    });
    // 'error' is always followed by 'close'; nothing to do here.
    socket.addEventListener('error', () => {});
  }

  function scheduleReconnect() {
    if (stopped || reconnectTimer) return;
    onState('reconnecting');
    const base = Math.min(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)], MAX_BACKOFF_MS);
    attempt++;
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    reconnectTimer = setTimeout(connect, delay);
  }

  // A half-open connection sends nothing: ping, and drop it when it stays silent too long.
  function heartbeat() {
    if (!isOpen()) return;
    if (Date.now() - lastMessageAt > SILENT_LIMIT_MS) {
      ws.close(4001, 'silent');
      return;
    }
    send({ type: 'ping' });
  }

  function dispatch(frame) {
    const sub = frame.run_id !== undefined ? runSubs.get(frame.run_id) : undefined;
    switch (frame.type) {
      case 'logs':
        sub?.onLogs?.(Array.isArray(frame.records) ? frame.records : []);
        break;
      case 'layer':
        if (frame.layer) sub?.onLayer?.(frame.layer);
        break;
      case 'complete':
        sub?.onComplete?.(frame);
        break;
      case 'lagged':
        stats.lagged++;
        // Dropped from that subscription: resubscribe after what we hold (dedupe covers any overlap).
        if (sub) {
          sub.onLagged?.(frame);
          send(subscribeRunFrame(frame.run_id, sub));
        }
        break;
      case 'run':
        if (frame.run) {
          for (const listener of [...runsListeners]) listener(frame.run);
          runSubs.get(frame.run.run_id)?.onRun?.(frame.run);
        }
        break;
      case 'error':
        if (sub?.onError) sub.onError(frame);
        else onError(frame);
        break;
      default:
        break;
    }
  }

  return {
    start() {
      stopped = false;
      if (!ws && !reconnectTimer) connect();
    },
    stop() {
      stopped = true;
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
      clearInterval(pingTimer);
      ws?.close(1000, 'bye');
      ws = null;
    },
    /** Connect again now (after a sign-in), keeping every subscription. */
    reconnectNow() {
      attempt = 0;
      if (ws) ws.close(4002, 'reconnect');
      else connect();
    },
    /** Follow one run; `sub.after()` says the last seq held (undefined: send the tail). Returns the unsubscribe. */
    subscribeRun(runId, sub) {
      runSubs.set(runId, sub);
      send(subscribeRunFrame(runId, sub));
      return () => {
        if (runSubs.get(runId) !== sub) return;
        runSubs.delete(runId);
        send({ type: 'unsubscribe', run_id: runId });
      };
    },
    /** Hear every run's lifecycle (`run` frames). Returns the unsubscribe. */
    subscribeRuns(listener) {
      const first = runsListeners.size === 0;
      runsListeners.add(listener);
      if (first) send({ type: 'subscribe', topic: 'runs' });
      return () => {
        runsListeners.delete(listener);
        if (runsListeners.size === 0) send({ type: 'unsubscribe', topic: 'runs' });
      };
    },
    /** Called after the socket opened again (not the first time): refetch what frames may have been missed. */
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    /** Called each time the socket opened, after the subscriptions were sent (first time included). */
    onOpen(listener) {
      openListeners.add(listener);
      return () => openListeners.delete(listener);
    },
    /** Test hook: close the socket as a network drop would; the client reconnects and resumes. */
    drop() {
      if (ws) ws.close(4000, 'dropped');
    },
    state: () => (isOpen() ? 'open' : ws ? 'connecting' : 'closed'),
    stats: () => ({ ...stats, subscriptions: runSubs.size, runsListeners: runsListeners.size }),
  };
}
