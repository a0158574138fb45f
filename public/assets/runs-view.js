// The runs view: runs newest first, live from the `runs` topic, filters, Start and Cancel.
import { h, replaceChildren, select, setText, statusPill } from './dom.js';
import {
  ACTIVE_STATUSES,
  RUN_STATUSES,
  errorCount,
  formatCount,
  formatDateTime,
  formatDuration,
  lineCount,
  runDurationMs,
  splitArgs,
} from './format.js';
import { runPath } from './router.js';
import { mergeRun } from './run-state.js';

const LIST_LIMIT = 100;
const KEEP_ROWS = 300;
const REFRESH_MS = 5000;

const newestFirst = (a, b) =>
  (b.created_at ?? '').localeCompare(a.created_at ?? '') || (b.run_id ?? '').localeCompare(a.run_id ?? '');

/** The runs view, over the API client, the live socket and the router's navigate. */
export function createRunsView({ api, live, navigate }) {
  return function mountRunsView(container, _params, query) {
    const filter = { module: query.get('module') ?? '', status: query.get('status') ?? '' };
    const runs = new Map();
    const rows = new Map();
    let modules = [];
    let disposed = false;
    let loadToken = 0;

    // ---- start form -------------------------------------------------------------------------
    const moduleSelect = h('select', { id: 'start-module', 'aria-label': 'Module to start', 'data-testid': 'start-module' });
    const argsInput = h('input', {
      id: 'start-args',
      type: 'text',
      placeholder: 'args (optional), e.g. --fast',
      'aria-label': 'Arguments',
      autocomplete: 'off',
      spellcheck: 'false',
      'data-testid': 'start-args',
    });
    const startButton = h('button', { type: 'submit', class: 'primary', id: 'start-run', 'data-testid': 'start-run' }, 'Start');
    const startForm = h('form', { class: 'start-form', 'aria-label': 'Start a run' }, moduleSelect, argsInput, startButton);
    const notice = h('div', { class: 'notice', hidden: true, role: 'status' });

    // ---- filters ----------------------------------------------------------------------------
    const moduleFilter = h('select', { id: 'filter-module', 'aria-label': 'Filter by module', 'data-testid': 'filter-module' });
    const statusFilter = select(
      { id: 'filter-status', 'aria-label': 'Filter by status', 'data-testid': 'filter-status' },
      [['', 'All statuses'], ...RUN_STATUSES.map((s) => [s, s.replace('_', ' ')])],
      filter.status,
    );
    const summary = h('span', { class: 'muted small' });

    // ---- table ------------------------------------------------------------------------------
    const runnerHead = h('th', { class: 'col-runner', hidden: true }, 'Runner');
    const tbody = h('tbody');
    const emptyRow = h('p', { class: 'empty muted', hidden: true }, '');
    const table = h(
      'table',
      { class: 'runs-table', 'data-testid': 'runs-table' },
      h('thead', null, h('tr', null,
        h('th', { class: 'col-id' }, 'Run'),
        h('th', { class: 'col-module' }, 'Module'),
        h('th', { class: 'col-status' }, 'Status'),
        h('th', { class: 'col-started' }, 'Started'),
        h('th', { class: 'col-duration num' }, 'Duration'),
        h('th', { class: 'col-lines num' }, 'Lines'),
        h('th', { class: 'col-errors num' }, 'Errors'),
        runnerHead,
        h('th', { class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')),
      )),
      tbody,
    );

    replaceChildren(
      container,
      h('section', { class: 'page runs-page' },
        h('div', { class: 'page-head' }, h('h1', null, 'Runs'), startForm),
        notice,
        h('div', { class: 'toolbar' },
          h('label', { class: 'field' }, h('span', null, 'Module'), moduleFilter),
          h('label', { class: 'field' }, h('span', null, 'Status'), statusFilter),
          h('span', { class: 'spacer' }),
          summary,
        ),
        h('div', { class: 'table-wrap' }, table, emptyRow),
      ),
    );
    document.title = 'Runs · Pipeline supervisor';

    const showNotice = (kind, ...content) => {
      notice.className = `notice ${kind}`;
      replaceChildren(notice, ...content);
      notice.hidden = content.length === 0;
    };

    const matches = (run) => (!filter.module || run.module === filter.module) && (!filter.status || run.status === filter.status);

    function makeRow(run) {
      const link = h('a', { href: runPath(run.run_id), 'data-link': true, class: 'run-link' });
      const cells = {
        id: h('td', { class: 'col-id', 'data-label': 'Run' }, link),
        module: h('td', { class: 'col-module', 'data-label': 'Module' }),
        status: h('td', { class: 'col-status', 'data-label': 'Status' }),
        started: h('td', { class: 'col-started', 'data-label': 'Started' }),
        duration: h('td', { class: 'col-duration num', 'data-label': 'Duration' }),
        lines: h('td', { class: 'col-lines num', 'data-label': 'Lines' }),
        errors: h('td', { class: 'col-errors num', 'data-label': 'Errors' }),
        runner: h('td', { class: 'col-runner', 'data-label': 'Runner', hidden: true }),
        actions: h('td', { class: 'col-actions' }),
      };
      const tr = h('tr', { class: 'run-row', dataset: { runId: run.run_id } }, Object.values(cells));
      tr.addEventListener('click', (event) => {
        if (event.target.closest('a, button, input, select')) return;
        navigate(runPath(run.run_id));
      });
      return { tr, link, cells, status: null };
    }

    function fillRow(row, run, showRunner) {
      const { cells } = row;
      row.tr.dataset.status = run.status;
      setText(row.link, run.run_id);
      row.link.title = run.args?.length ? `args: ${run.args.join(' ')}` : run.run_id;
      setText(cells.module, run.module);
      if (row.status !== run.status) {
        replaceChildren(cells.status, statusPill(run.status));
        row.status = run.status;
        const cancellable = ACTIVE_STATUSES.has(run.status);
        replaceChildren(
          cells.actions,
          cancellable
            ? h('button', { type: 'button', class: 'small danger', 'data-testid': 'cancel-run', onClick: () => cancel(run.run_id) }, 'Cancel')
            : null,
        );
      }
      setText(cells.started, formatDateTime(run.started_at ?? run.created_at, { short: true }));
      cells.started.title = run.started_at ?? run.created_at ?? '';
      setText(cells.duration, formatDuration(runDurationMs(run)));
      setText(cells.lines, formatCount(lineCount(run)));
      const errors = errorCount(run);
      setText(cells.errors, formatCount(errors));
      cells.errors.classList.toggle('has-errors', errors > 0);
      cells.runner.hidden = !showRunner;
      setText(cells.runner, run.runner ?? '');
    }

    function render() {
      const list = [...runs.values()].filter(matches).sort(newestFirst);
      for (const run of list.slice(KEEP_ROWS)) runs.delete(run.run_id);
      const shown = list.slice(0, KEEP_ROWS);
      const showRunner = shown.some((r) => r.runner);
      runnerHead.hidden = !showRunner;
      const trs = shown.map((run) => {
        let row = rows.get(run.run_id);
        if (!row) rows.set(run.run_id, (row = makeRow(run)));
        fillRow(row, run, showRunner);
        return row.tr;
      });
      for (const id of rows.keys()) if (!runs.has(id) || !matches(runs.get(id))) rows.delete(id);
      if (trs.length !== tbody.children.length || trs.some((tr, i) => tbody.children[i] !== tr)) replaceChildren(tbody, trs);
      table.hidden = shown.length === 0;
      emptyRow.hidden = shown.length > 0;
      setText(emptyRow, filter.module || filter.status ? 'No runs match these filters.' : 'No runs yet. Start one above.');
      const active = shown.filter((r) => ACTIVE_STATUSES.has(r.status)).length;
      setText(summary, `${shown.length} run${shown.length === 1 ? '' : 's'}${active ? ` · ${active} active` : ''}`);
    }

    function upsert(run) {
      if (!run?.run_id) return;
      const merged = mergeRun(runs.get(run.run_id), run);
      if (matches(merged)) runs.set(run.run_id, merged);
      else runs.delete(run.run_id);
    }

    async function load() {
      const token = ++loadToken;
      try {
        const list = await api.listRuns({ limit: LIST_LIMIT, module: filter.module, status: filter.status });
        if (disposed || token !== loadToken) return;
        // Merged, not replaced: a frame that came while the list was on its way is newer than the list.
        for (const run of list) upsert(run);
        render();
      } catch (error) {
        if (!disposed) showNotice('error', `Could not load runs: ${error.message}`);
      }
    }

    // Running rows' counts change without lifecycle frames, and a frame can slip between the list
    // and the subscription: refresh now and then.
    async function refresh() {
      if (disposed || document.hidden) return;
      try {
        const list = await api.listRuns({ limit: LIST_LIMIT, module: filter.module, status: filter.status });
        if (disposed) return;
        for (const run of list) if (runs.has(run.run_id) || matches(run)) upsert(run);
        render();
      } catch {
        /* the next tick tries again */
      }
    }

    async function loadModules() {
      try {
        modules = await api.modules();
      } catch (error) {
        showNotice('error', `Could not load modules: ${error.message}`);
        return;
      }
      if (disposed) return;
      const names = modules.map((m) => m.name);
      replaceChildren(
        moduleSelect,
        names.length === 0 ? h('option', { value: '' }, 'no modules configured') : null,
        modules.map((m) => h('option', { value: m.name, title: m.description || '' }, m.name)),
      );
      startButton.disabled = names.length === 0;
      const filterNames = [...new Set([...names, ...(filter.module ? [filter.module] : [])])].sort();
      replaceChildren(
        moduleFilter,
        h('option', { value: '' }, 'All modules'),
        filterNames.map((name) => h('option', { value: name, selected: name === filter.module }, name)),
      );
    }

    async function cancel(runId) {
      const row = rows.get(runId);
      const button = row?.cells.actions.querySelector('button');
      if (button) button.disabled = true;
      try {
        upsert(await api.cancelRun(runId));
        render();
      } catch (error) {
        showNotice('error', `Could not cancel ${runId}: ${error.message}`);
        if (button) button.disabled = false;
      }
    }

    startForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const module = moduleSelect.value;
      if (!module) return;
      let args;
      try {
        args = splitArgs(argsInput.value);
      } catch (error) {
        showNotice('error', error.message);
        return;
      }
      startButton.disabled = true;
      try {
        const run = await api.startRun(module, args);
        upsert(run);
        render();
        rows.get(run.run_id)?.tr.classList.add('flash');
        showNotice('ok', 'Started ', h('a', { href: runPath(run.run_id), 'data-link': true }, run.run_id), '.');
      } catch (error) {
        showNotice('error', `Could not start ${module}: ${error.message}`);
      } finally {
        startButton.disabled = false;
      }
    });

    const onFilterChange = () => {
      filter.module = moduleFilter.value;
      filter.status = statusFilter.value;
      const search = new URLSearchParams();
      if (filter.module) search.set('module', filter.module);
      if (filter.status) search.set('status', filter.status);
      history.replaceState(null, '', search.toString() ? `/?${search}` : '/');
      runs.clear();
      render();
      load();
    };
    moduleFilter.addEventListener('change', onFilterChange);
    statusFilter.addEventListener('change', onFilterChange);

    const stopRuns = live.subscribeRuns((run) => {
      upsert(run);
      render();
    });
    // The list is read again once the runs topic is live, so no run falls between the two.
    const stopOpen = live.onOpen(load);
    const ticker = setInterval(() => {
      for (const [id, row] of rows) {
        const run = runs.get(id);
        if (run && run.status === 'running') setText(row.cells.duration, formatDuration(runDurationMs(run)));
      }
    }, 1000);
    const refresher = setInterval(refresh, REFRESH_MS);

    loadModules();
    load();

    return () => {
      disposed = true;
      stopRuns();
      stopOpen();
      clearInterval(ticker);
      clearInterval(refresher);
    };
  };
}
