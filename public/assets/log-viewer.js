// The log viewer: a virtualized list (fixed row height, only the visible rows are in the DOM),
// auto-scroll that pauses when the user scrolls up and resumes at the bottom, expandable JSON rows.
import { h, setText } from './dom.js';
import { formatClock } from './format.js';

const ROW_H = 20;
const DETAIL_LINE_H = 18;
const DETAIL_MAX_LINES = 14;
const DETAIL_PAD = 14;
const OVERSCAN = 12;
const LONG_MESSAGE = 160;
const MAX_EXPANDED = 50;
const BOTTOM_SLACK = ROW_H * 1.5;

/** Is there more to show than the row holds (JSON fields, a long message)? */
export function isExpandable(record) {
  return record.data !== undefined || (record.message?.length ?? 0) > LONG_MESSAGE;
}

/** The text shown when a row is expanded: where it came from, the full message, the JSON fields. */
export function detailText(record) {
  const head = [`seq ${record.seq}`, record.timestamp, record.stream, record.level];
  if (record.event) head.push(`event ${record.event}`);
  if (record.continued) head.push('continued');
  const parts = [head.join('  ·  ')];
  if ((record.message?.length ?? 0) > LONG_MESSAGE) parts.push(chunk(record.message, 160).join('\n'));
  if (record.data !== undefined) parts.push(safeJson(record.data));
  return parts.join('\n\n');
}

function safeJson(value) {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

function chunk(text, width) {
  const out = [];
  for (let i = 0; i < text.length; i += width) out.push(text.slice(i, i + width));
  return out;
}

/**
 * Create the viewer over a log buffer (createLogBuffer).
 * `onFollowChange(follow)`: auto-scroll went on or off (by the user or by scrolling);
 * `onNearTop()`: the user reached the top (page older records in).
 */
export function createLogViewer({ buffer, onFollowChange = () => {}, onNearTop = () => {} }) {
  const sizer = h('div', { class: 'log-sizer' });
  const empty = h('div', { class: 'log-empty muted' }, 'No lines yet.');
  const scroller = h('div', {
    class: 'log-viewer',
    tabindex: '0',
    role: 'log',
    'aria-label': 'Log lines',
    'data-testid': 'log-viewer',
  }, sizer, empty);
  scroller.style.setProperty('--row-h', `${ROW_H}px`);
  const jump = h('button', { type: 'button', class: 'jump-latest', hidden: true, 'data-testid': 'jump-latest' }, '');
  const el = h('div', { class: 'log-frame' }, scroller, jump);

  /** seq → extra pixels under the row for its details */
  const expanded = new Map();
  /** seq → row element currently shown */
  let rows = new Map();
  const pool = [];
  let follow = true;
  let unseen = 0;
  let frame = 0;
  let expectedTop = -1;
  let lastTop = 0;
  let emptyText = 'No lines yet.';

  // Expanded rows of the view, in view order: [{ index, extra }].
  const expandedInView = () => {
    if (expanded.size === 0) return [];
    const list = [];
    for (const [seq, extra] of expanded) {
      const index = buffer.indexOfSeq(seq);
      if (index >= 0) list.push({ index, extra });
    }
    return list.sort((a, b) => a.index - b.index);
  };
  const offsetOf = (index, exp) => {
    let y = index * ROW_H;
    for (const e of exp) {
      if (e.index >= index) break;
      y += e.extra;
    }
    return y;
  };
  const indexAt = (y, exp, n) => {
    let acc = 0;
    for (const e of exp) {
      const top = e.index * ROW_H + acc;
      if (y < top) break;
      if (y < top + ROW_H + e.extra) return e.index;
      acc += e.extra;
    }
    return Math.max(0, Math.min(n - 1, Math.floor((y - acc) / ROW_H)));
  };

  function makeRow() {
    const toggle = h('button', { type: 'button', class: 'lr-toggle', tabindex: '-1', 'aria-label': 'Show details' });
    const time = h('span', { class: 'lr-time' });
    const level = h('span', { class: 'lr-level' });
    const stream = h('span', { class: 'lr-stream' });
    const message = h('span', { class: 'lr-msg' });
    const line = h('div', { class: 'lr-line' }, toggle, time, level, stream, message);
    const row = h('div', { class: 'log-row' }, line);
    row._parts = { toggle, time, level, stream, message, details: null };
    return row;
  }

  function fillRow(row, record) {
    const p = row._parts;
    const extra = expanded.get(record.seq);
    const key = `${record.seq}:${extra ?? 0}`;
    if (row._key === key && row._record === record) return;
    row._key = key;
    row._record = record;
    row.dataset.seq = String(record.seq);
    row.dataset.level = record.level;
    row.dataset.stream = record.stream;
    row.classList.toggle('is-json', record.data !== undefined);
    row.classList.toggle('is-continued', record.continued === true);
    const expandable = isExpandable(record);
    p.toggle.hidden = !expandable;
    setText(p.toggle, extra !== undefined ? '▾' : '▸');
    p.toggle.setAttribute('aria-expanded', String(extra !== undefined));
    setText(p.time, formatClock(record.timestamp));
    p.time.title = record.timestamp ?? '';
    setText(p.level, record.level);
    setText(p.stream, record.stream);
    setText(p.message, record.message);
    if (extra !== undefined) {
      if (!p.details) {
        p.details = h('pre', { class: 'lr-details', tabindex: '0' });
        row.appendChild(p.details);
      }
      p.details.hidden = false;
      p.details.style.height = `${extra - 6}px`;
      setText(p.details, detailText(record));
      row.style.height = `${ROW_H + extra}px`;
    } else {
      if (p.details) p.details.hidden = true;
      row.style.height = `${ROW_H}px`;
    }
  }

  function render() {
    frame = 0;
    const n = buffer.view().length;
    const exp = expandedInView();
    const extraTotal = exp.reduce((sum, e) => sum + e.extra, 0);
    const total = n * ROW_H + extraTotal;
    sizer.style.height = `${total}px`;
    empty.hidden = n > 0;
    setText(empty, emptyText);
    if (follow) {
      const bottom = Math.max(0, total - scroller.clientHeight);
      if (Math.abs(scroller.scrollTop - bottom) >= 1) {
        scroller.scrollTop = bottom;
        expectedTop = scroller.scrollTop;
      }
    }
    const top = scroller.scrollTop;
    const viewH = scroller.clientHeight || 600;
    const next = new Map();
    if (n > 0) {
      const start = Math.max(0, indexAt(top, exp, n) - OVERSCAN);
      const end = Math.min(n - 1, indexAt(top + viewH, exp, n) + OVERSCAN);
      for (let i = start; i <= end; i++) {
        const record = buffer.at(i);
        let row = rows.get(record.seq);
        if (row) rows.delete(record.seq);
        else {
          row = pool.pop() ?? makeRow();
          if (!row.isConnected) scroller.appendChild(row);
        }
        fillRow(row, record);
        row.style.transform = `translateY(${offsetOf(i, exp)}px)`;
        next.set(record.seq, row);
      }
    }
    for (const row of rows.values()) {
      row.remove();
      row._key = null;
      row._record = null;
      pool.push(row);
    }
    rows = next;
    jump.hidden = follow || atBottom();
    setText(jump, unseen > 0 ? `↓ ${unseen.toLocaleString('en-US')} new` : '↓ Latest');
  }

  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };

  function setFollow(on, { silent = false } = {}) {
    if (follow === on) return;
    follow = on;
    if (on) unseen = 0;
    if (!silent) onFollowChange(on);
    schedule();
  }

  const atBottom = () => scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - BOTTOM_SLACK;

  scroller.addEventListener('scroll', () => {
    const top = scroller.scrollTop;
    const ours = expectedTop >= 0 && Math.abs(top - expectedTop) < 1;
    expectedTop = -1;
    if (!ours) {
      if (atBottom()) setFollow(true);
      else if (top < lastTop - 1) setFollow(false);
    }
    lastTop = top;
    if (top < ROW_H * 10 && !follow) onNearTop();
    schedule();
  }, { passive: true });
  // Scrolling up by wheel or keys pauses at once (before a render could pull the view back down).
  scroller.addEventListener('wheel', (event) => {
    if (event.deltaY < 0) setFollow(false);
  }, { passive: true });
  scroller.addEventListener('keydown', (event) => {
    if (['ArrowUp', 'PageUp', 'Home'].includes(event.key)) setFollow(false);
    if (event.key === 'End') setFollow(true);
  });
  scroller.addEventListener('click', (event) => {
    const toggle = event.target.closest?.('.lr-toggle');
    if (!toggle) return;
    const row = toggle.closest('.log-row');
    if (row?._record) toggleExpanded(row._record);
  });
  jump.addEventListener('click', () => setFollow(true));
  new ResizeObserver(schedule).observe(scroller);

  function toggleExpanded(record) {
    if (expanded.has(record.seq)) expanded.delete(record.seq);
    else {
      if (expanded.size >= MAX_EXPANDED) expanded.delete(expanded.keys().next().value);
      const lines = detailText(record).split('\n').length;
      expanded.set(record.seq, Math.min(lines, DETAIL_MAX_LINES) * DETAIL_LINE_H + DETAIL_PAD);
      // Opening a row is reading it: stop following so it stays in view.
      setFollow(false);
    }
    schedule();
  }

  return {
    el,
    scroller,
    get follow() {
      return follow;
    },
    setFollow,
    /** The buffer changed (see createLogBuffer().add's result); keep the user's place when paused. */
    changed(result = {}) {
      if (!follow) {
        const shift = ((result.prependedInView ?? 0) - (result.droppedInView ?? 0)) * ROW_H;
        if (shift !== 0) {
          render(); // the sizer must have its new height before the scroll position moves
          scroller.scrollTop = Math.max(0, scroller.scrollTop + shift);
          expectedTop = scroller.scrollTop;
          lastTop = expectedTop;
        }
        if (result.appendedOnly && result.added) unseen += result.added;
      }
      schedule();
    },
    /** The filter changed: keep the first visible record in place when paused. */
    refiltered(anchorSeq) {
      if (!follow && anchorSeq !== undefined) {
        const index = buffer.lowerBoundInView(anchorSeq);
        render();
        scroller.scrollTop = offsetOf(index, expandedInView());
        expectedTop = scroller.scrollTop;
        lastTop = expectedTop;
      }
      schedule();
    },
    /** seq of the first row in view (anchor for refiltering). */
    firstVisibleSeq() {
      const n = buffer.view().length;
      if (n === 0) return undefined;
      return buffer.at(indexAt(scroller.scrollTop, expandedInView(), n))?.seq;
    },
    setEmptyText(text) {
      emptyText = text;
      schedule();
    },
    renderNow: render,
    /** rows in the DOM now (test hook: stays small however long the log) */
    rowCount: () => rows.size,
  };
}
