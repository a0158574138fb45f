// The run view: header (status, times, counts), the layer strip, and the live log viewer with
// filters, auto-scroll, "load older" paging, gap refetch and download.
import { h, replaceChildren, select, setText, statusPill, debounce } from './dom.js';
import {
  ACTIVE_STATUSES,
  LEVELS,
  formatCount,
  formatDateTime,
  formatDuration,
  runDurationMs,
} from './format.js';
import { createLayerStrip } from './layer-strip.js';
import { createLogBuffer } from './log-buffer.js';
import { createLogViewer } from './log-viewer.js';
import { mergeRun } from './run-state.js';

const OLDER_PAGE = 5000;
const GAP_PAGE = 1000;

/** The run view, over the API client, the live socket and a debug registry for tests. */
export function createRunView({ api, live, debug }) {
  return function mountRunView(container, { runId }) {
    let run = null;
    let disposed = false;
    let loadingOlder = false;
    let baselineSeq = 0;
    const liveCounts = { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 };
    const buffer = createLogBuffer();
    const strip = createLayerStrip();

    // ---- header -----------------------------------------------------------------------------
    const title = h('h1', { class: 'run-title', 'data-testid': 'run-id' }, runId);
    const pill = h('span', { class: 'run-status', 'data-testid': 'run-status' }, statusPill('…'));
    const facts = h('dl', { class: 'facts run-facts' });
    const cancelButton = h('button', { type: 'button', class: 'danger', hidden: true, 'data-testid': 'cancel-run' }, 'Cancel');
    const download = h('a', {
      class: 'button',
      href: api.downloadUrl(runId),
      download: `${runId}.log`,
      id: 'download-log',
      'data-testid': 'download',
    }, 'Download log');
    const notice = h('div', { class: 'notice', hidden: true, role: 'status' });

    // ---- log toolbar ------------------------------------------------------------------------
    const levelSelect = select(
      { id: 'log-level', 'aria-label': 'Minimum level', 'data-testid': 'log-level' },
      [['DEBUG', 'All levels'], ...LEVELS.slice(1).map((l) => [l, l === 'CRITICAL' ? 'CRITICAL only' : `${l} and up`])],
      'DEBUG',
    );
    const textFilter = h('input', {
      id: 'log-filter',
      type: 'search',
      placeholder: 'Filter text',
      'aria-label': 'Filter text',
      autocomplete: 'off',
      spellcheck: 'false',
      'data-testid': 'log-filter',
    });
    const autoscroll = h('input', { type: 'checkbox', id: 'autoscroll', checked: true, 'data-testid': 'autoscroll' });
    const olderButton = h('button', { type: 'button', class: 'small', id: 'load-older', hidden: true, 'data-testid': 'load-older' }, 'Load older');
    const logStatus = h('span', { class: 'muted small log-status', 'data-testid': 'log-status' });

    const viewer = createLogViewer({
      buffer,
      onFollowChange: (on) => {
        autoscroll.checked = on;
      },
      onNearTop: () => loadOlder(),
    });

    replaceChildren(
      container,
      h('section', { class: 'page run-page' },
        h('nav', { class: 'crumbs' }, h('a', { href: '/', 'data-link': true }, '← Runs')),
        h('div', { class: 'run-head' },
          h('div', { class: 'run-head-main' }, title, pill),
          h('div', { class: 'run-actions' }, cancelButton, download),
        ),
        facts,
        notice,
        strip.el,
        h('div', { class: 'toolbar log-toolbar' },
          h('label', { class: 'field' }, h('span', null, 'Level'), levelSelect),
          h('label', { class: 'field grow' }, h('span', null, 'Text'), textFilter),
          h('label', { class: 'toggle', title: 'Follow new lines; pauses when you scroll up' }, autoscroll, h('span', null, 'Auto-scroll')),
          olderButton,
          h('span', { class: 'spacer' }),
          logStatus,
        ),
        viewer.el,
      ),
    );
    document.title = `${runId} · Pipeline supervisor`;

    const showNotice = (kind, text) => {
      notice.className = `notice ${kind}`;
      setText(notice, text);
      notice.hidden = !text;
    };

    // ---- header rendering ---------------------------------------------------------------------
    const counts = () => {
      const base = run?.counts ?? {};
      const out = {};
      for (const level of LEVELS) out[level] = (base[level] ?? 0) + liveCounts[level];
      return out;
    };
    const totalLines = () => Math.max(run?.total_lines ?? 0, buffer.lastSeq());

    function renderHeader() {
      if (!run) return;
      const active = ACTIVE_STATUSES.has(run.status);
      const c = counts();
      replaceChildren(pill, statusPill(run.status));
      pill.dataset.status = run.status;
      cancelButton.hidden = !active;
      const entries = [
        ['Module', run.module],
        run.args?.length ? ['Args', run.args.join(' ')] : null,
        run.runner ? ['Runner', run.runner] : null,
        ['Exit code', run.exit_code ?? '—'],
        run.signal ? ['Signal', run.signal] : null,
        ['Started', formatDateTime(run.started_at)],
        ['Finished', formatDateTime(run.finished_at)],
        ['Duration', formatDuration(runDurationMs(run))],
        ['Lines', formatCount(totalLines())],
        ['Warnings', formatCount(c.WARNING)],
        ['Errors', formatCount(c.ERROR + c.CRITICAL)],
        run.pipeline_status ? ['Pipeline', run.pipeline_status] : null,
      ].filter(Boolean);
      replaceChildren(
        facts,
        entries.map(([k, v]) =>
          h(
            'div',
            { class: k === 'Errors' && c.ERROR + c.CRITICAL > 0 ? 'fact has-errors' : 'fact', dataset: { fact: k.toLowerCase().replace(/\s+/g, '-') } },
            h('dt', null, k),
            h('dd', null, String(v)),
          ),
        ),
      );
      document.title = `${run.status} · ${runId} · Pipeline supervisor`;
    }

    function renderLogStatus() {
      const held = buffer.size;
      const shown = buffer.view().length;
      const total = totalLines();
      const parts = [];
      if (buffer.filtering()) parts.push(`${formatCount(shown)} shown of ${formatCount(held)} loaded`);
      else parts.push(`${formatCount(held)} loaded`);
      if (total > held) parts.push(`${formatCount(total)} in run`);
      setText(logStatus, parts.join(' · '));
      const older = buffer.firstSeq() > 1 && buffer.roomForOlder();
      olderButton.hidden = !older;
      olderButton.disabled = loadingOlder;
      setText(olderButton, loadingOlder ? 'Loading…' : `Load older (${formatCount(buffer.firstSeq() - 1)})`);
      viewer.setEmptyText(held === 0 ? (run && !ACTIVE_STATUSES.has(run.status) ? 'This run printed nothing.' : 'Waiting for lines…') : 'No lines match the filter.');
    }

    // ---- records ------------------------------------------------------------------------------
    function addRecords(records) {
      const result = buffer.add(records, { evict: viewer.follow });
      for (const record of result.records) {
        if (record.seq > baselineSeq && record.level in liveCounts) liveCounts[record.level]++;
      }
      viewer.changed(result);
      for (const [from, to] of result.gaps) fillGap(from, to);
      scheduleChrome();
      return result;
    }

    // Header and status line at most once a frame, however fast records come.
    let chromeFrame = 0;
    function scheduleChrome() {
      if (chromeFrame) return;
      chromeFrame = requestAnimationFrame(() => {
        chromeFrame = 0;
        if (disposed) return;
        renderHeader();
        renderLogStatus();
      });
    }

    // Records the socket skipped (should not happen, but a resume may): fetch them by seq.
    async function fillGap(from, to) {
      let after = from - 1;
      try {
        while (!disposed && after < to) {
          const page = await api.logs(runId, { after, limit: Math.min(GAP_PAGE, to - after) });
          const logs = page?.logs ?? [];
          if (logs.length === 0 || disposed) break;
          addRecords(logs);
          after = logs[logs.length - 1].seq;
        }
      } catch (error) {
        if (!disposed) showNotice('error', `Could not fetch missing lines ${from}–${to}: ${error.message}`);
      }
    }

    async function loadOlder() {
      const first = buffer.firstSeq();
      if (loadingOlder || disposed || first <= 1 || !buffer.roomForOlder()) return;
      loadingOlder = true;
      renderLogStatus();
      try {
        const after = Math.max(0, first - 1 - OLDER_PAGE);
        const page = await api.logs(runId, { after, limit: first - 1 - after });
        if (!disposed) addRecords(page?.logs ?? []);
      } catch (error) {
        if (!disposed) showNotice('error', `Could not load older lines: ${error.message}`);
      } finally {
        loadingOlder = false;
        if (!disposed) renderLogStatus();
      }
    }

    // Server counts cover records up to its total_lines; count ours only past that.
    function recountLive() {
      baselineSeq = run?.total_lines ?? 0;
      for (const level of LEVELS) liveCounts[level] = 0;
      const all = buffer.view();
      if (buffer.filtering()) return; // counts only matter roughly until the next fetch
      for (let i = all.length - 1; i >= 0 && all[i].seq > baselineSeq; i--) {
        if (all[i].level in liveCounts) liveCounts[all[i].level]++;
      }
    }

    async function fetchRun() {
      try {
        const fresh = await api.getRun(runId);
        if (disposed) return;
        run = mergeRun(run, fresh);
        recountLive();
        strip.set(fresh.layers ?? []);
        renderHeader();
        renderLogStatus();
      } catch (error) {
        if (disposed) return;
        if (error.status === 404) {
          showNotice('error', `No run ${runId}: it may have been pruned.`);
          setText(title, 'Run not found');
          replaceChildren(pill);
        } else showNotice('error', `Could not load the run: ${error.message}`);
      }
    }

    // ---- wiring -------------------------------------------------------------------------------
    levelSelect.addEventListener('change', refilter);
    textFilter.addEventListener('input', debounce(refilter, 150));
    function refilter() {
      const anchor = viewer.firstVisibleSeq();
      if (buffer.setFilter({ level: levelSelect.value, text: textFilter.value })) viewer.refiltered(anchor);
      renderLogStatus();
    }
    autoscroll.addEventListener('change', () => viewer.setFollow(autoscroll.checked, { silent: true }));
    olderButton.addEventListener('click', loadOlder);
    cancelButton.addEventListener('click', async () => {
      cancelButton.disabled = true;
      try {
        run = mergeRun(run, await api.cancelRun(runId));
        renderHeader();
      } catch (error) {
        showNotice('error', `Could not cancel: ${error.message}`);
      } finally {
        cancelButton.disabled = false;
      }
    });

    const unsubscribe = live.subscribeRun(runId, {
      after: () => (buffer.lastSeq() > 0 ? buffer.lastSeq() : undefined),
      onLogs: addRecords,
      onLayer: (layer) => strip.upsert(layer),
      onComplete: (frame) => {
        run = mergeRun(run ?? { run_id: runId }, { status: frame.status, exit_code: frame.exit_code ?? null });
        renderHeader();
        fetchRun();
      },
      // The daemon sends the run's state on subscribe and on each lifecycle change.
      onRun: (info) => {
        run = mergeRun(run, info);
        if (info.layers) strip.set(info.layers);
        recountLive();
        renderHeader();
        renderLogStatus();
      },
      onError: (frame) => showNotice('error', `${frame.code ?? 'ERROR'}: ${frame.message ?? 'the daemon refused the subscription'}`),
    });
    const stopReconnect = live.onReconnect(fetchRun);
    const ticker = setInterval(() => {
      if (run && ACTIVE_STATUSES.has(run.status)) renderHeader();
      if (strip.hasRunning()) strip.tick();
    }, 1000);

    debug.runView = {
      runId,
      seqs: () => buffer.view().map((r) => r.seq),
      bufferSize: () => buffer.size,
      rowCount: () => viewer.rowCount(),
      follow: () => viewer.follow,
    };

    renderLogStatus();
    fetchRun();

    return () => {
      disposed = true;
      unsubscribe();
      stopReconnect();
      clearInterval(ticker);
      cancelAnimationFrame(chromeFrame);
      if (debug.runView?.runId === runId) delete debug.runView;
    };
  };
}
