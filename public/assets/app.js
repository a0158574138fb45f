// The dashboard's entry: auth, API client, live socket, router and views wired together.
import { createApi } from './api.js';
import { createAuth } from './auth.js';
import { h, replaceChildren, setText } from './dom.js';
import { createLive } from './live.js';
import { createRouter } from './router.js';
import { createRunView } from './run-view.js';
import { createRunsView } from './runs-view.js';

const CONNECTION_TEXT = { connecting: 'connecting…', open: 'live', reconnecting: 'reconnecting…' };

function main() {
  const app = document.getElementById('app');
  const conn = document.getElementById('conn');
  const banner = document.getElementById('banner');

  // Test and troubleshooting hooks (read-only views of state, plus dropping the socket).
  const debug = {};
  window.__supervisorDebug = debug;

  let router = null;
  const auth = createAuth({
    onSignedIn: () => {
      live.reconnectNow();
      router?.reload();
    },
  });
  const api = createApi(auth);
  const live = createLive({
    onState: (state) => {
      conn.dataset.state = state;
      setText(conn, CONNECTION_TEXT[state] ?? state);
    },
    onError: (frame) => showBanner(`${frame.code ?? 'ERROR'}: ${frame.message ?? 'the daemon sent an error'}`),
    // The upgrade keeps failing: a missing session cookie looks just like this; the API call asks for the token.
    onConnectFailure: () => {
      api.request('GET', '/api/session').then((s) => {
        if (s?.auth_required && !s.authenticated) auth.require();
      }, () => {});
    },
  });

  function showBanner(text) {
    replaceChildren(banner, h('span', null, text), h('button', { type: 'button', class: 'link-button', 'aria-label': 'Dismiss', onClick: () => { banner.hidden = true; } }, '×'));
    banner.hidden = false;
  }

  debug.dropSocket = () => live.drop();
  debug.socketState = () => live.state();
  debug.socketStats = () => live.stats();

  const navigate = (path) => router.navigate(path);
  router = createRouter({
    container: app,
    routes: [
      { pattern: /^\/$/, keys: [], view: createRunsView({ api, live, navigate }) },
      { pattern: /^\/runs\/([^/]+)\/?$/, keys: ['runId'], view: createRunView({ api, live, debug }) },
    ],
    notFound: (container) => {
      replaceChildren(
        container,
        h('section', { class: 'page' }, h('h1', null, 'Not found'), h('p', null, 'No page here. ', h('a', { href: '/', 'data-link': true }, 'See all runs'), '.')),
      );
    },
  });

  // Make sure a session exists before the socket tries (it cannot send a Bearer header).
  auth.restore().finally(() => {
    live.start();
    router.start();
    debug.ready = true;
  });
}

main();
