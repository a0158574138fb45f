// Client-side routes with history.pushState: `/` the runs view, `/runs/<run_id>` one run.
// A view is `mount(container, params, query) → unmount()`.

/** Match a path to a route: [{ pattern: /^\/runs\/([^/]+)$/, keys: ['runId'], view }]. */
export function matchRoute(routes, pathname) {
  for (const route of routes) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    const params = {};
    route.keys.forEach((key, i) => {
      params[key] = decodeURIComponent(m[i + 1]);
    });
    return { route, params };
  }
  return null;
}

/** Create the router over a container; `notFound` is the view for unknown paths. */
export function createRouter({ container, routes, notFound }) {
  let unmount = null;
  let current = null;

  function show() {
    unmount?.();
    unmount = null;
    container.replaceChildren();
    const match = matchRoute(routes, location.pathname);
    const view = match ? match.route.view : notFound;
    current = { path: location.pathname + location.search, params: match?.params ?? {} };
    unmount = view(container, current.params, new URLSearchParams(location.search)) ?? null;
    window.scrollTo(0, 0);
  }

  function navigate(path, { replace = false } = {}) {
    if (path === location.pathname + location.search) return;
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    show();
  }

  window.addEventListener('popstate', show);
  // Same-origin links marked data-link navigate in place; modified clicks (new tab) are left to the browser.
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest?.('a[data-link]');
    if (!link || link.target || link.origin !== location.origin) return;
    event.preventDefault();
    navigate(link.pathname + link.search);
  });

  return {
    start: show,
    navigate,
    /** Mount the current view again (after a sign-in). */
    reload: () => {
      if (current) show();
    },
  };
}

/** The path of a run's page. */
export const runPath = (runId) => `/runs/${encodeURIComponent(runId)}`;
