// The layer strip: one button per pipeline layer, coloured by status (pending → running →
// complete | error | skipped); clicking one shows its error and metadata.
import { h, replaceChildren, setText } from './dom.js';
import { formatDateTime, formatDuration, parseTime } from './format.js';

const STATUS_RANK = { pending: 0, running: 1, complete: 2, error: 2, skipped: 2 };

/** The newer of two states of one layer: layers only move forward, so a stale refetch never undoes a frame. */
export function mergeLayer(current, incoming) {
  if (!current) return incoming;
  const a = STATUS_RANK[current.status] ?? 0;
  const b = STATUS_RANK[incoming.status] ?? 0;
  return b >= a ? { ...current, ...incoming } : current;
}

function layerDurationMs(layer, now) {
  if (typeof layer.duration_ms === 'number') return layer.duration_ms;
  const start = parseTime(layer.started_at);
  if (Number.isNaN(start)) return null;
  if (layer.status === 'running') return now - start;
  const end = parseTime(layer.finished_at);
  return Number.isNaN(end) ? null : end - start;
}

/** Create the strip; call `set(layers)` with a run's layers and `upsert(layer)` for each live frame. */
export function createLayerStrip() {
  const layers = new Map();
  const buttons = new Map();
  let selected = null;
  const strip = h('div', { class: 'layer-strip', role: 'group', 'aria-label': 'Layers', 'data-testid': 'layer-strip' });
  const detail = h('div', { class: 'layer-detail', hidden: true, 'data-testid': 'layer-detail' });
  const el = h('section', { class: 'layers', hidden: true }, strip, detail);

  function button(number) {
    let b = buttons.get(number);
    if (b) return b;
    const num = h('span', { class: 'layer-num' });
    const name = h('span', { class: 'layer-name' });
    const duration = h('span', { class: 'layer-dur' });
    b = h('button', { type: 'button', class: 'layer', dataset: { layer: number } }, num, h('span', { class: 'layer-text' }, name, duration));
    b._parts = { num, name, duration };
    b.addEventListener('click', () => {
      selected = selected === number ? null : number;
      render();
    });
    buttons.set(number, b);
    return b;
  }

  function render(now = Date.now()) {
    const sorted = [...layers.values()].sort((a, b) => a.layer - b.layer);
    el.hidden = sorted.length === 0;
    const wanted = sorted.map((layer) => {
      const b = button(layer.layer);
      b.dataset.status = layer.status;
      b.setAttribute('aria-pressed', String(selected === layer.layer));
      setText(b._parts.num, layer.layer);
      setText(b._parts.name, layer.layer_name ?? `layer ${layer.layer}`);
      const ms = layerDurationMs(layer, now);
      setText(b._parts.duration, ms === null ? layer.status : formatDuration(ms));
      b.title = `Layer ${layer.layer}${layer.layer_name ? ` ${layer.layer_name}` : ''}: ${layer.status}`;
      return b;
    });
    if (wanted.length !== strip.children.length || wanted.some((b, i) => strip.children[i] !== b)) {
      replaceChildren(strip, wanted);
    }
    renderDetail(now);
  }

  function renderDetail(now) {
    const layer = selected === null ? undefined : layers.get(selected);
    detail.hidden = !layer;
    if (!layer) return;
    // Rebuild only when something shown changed (keeps a text selection in place).
    if (detail._layer === layer && layer.status !== 'running') return;
    detail._layer = layer;
    const ms = layerDurationMs(layer, now);
    const times = [
      `started ${formatDateTime(layer.started_at)}`,
      layer.finished_at ? `finished ${formatDateTime(layer.finished_at)}` : null,
      formatDuration(ms),
    ].filter(Boolean);
    const hasMeta = layer.metadata && Object.keys(layer.metadata).length > 0;
    replaceChildren(
      detail,
      h('div', { class: 'layer-detail-head' },
        h('strong', null, `Layer ${layer.layer}`),
        layer.layer_name ? h('span', { class: 'layer-detail-name' }, layer.layer_name) : null,
        h('span', { class: 'layer-badge', dataset: { status: layer.status } }, layer.status),
        h('span', { class: 'muted small' }, times.join(' · ')),
        h('button', { type: 'button', class: 'link-button', 'aria-label': 'Close', onClick: () => { selected = null; render(); } }, '×'),
      ),
      layer.error || hasMeta
        ? h('div', { class: 'layer-detail-body' },
          layer.error ? h('div', null, h('h4', null, 'Error'), h('pre', { class: 'layer-error' }, String(layer.error))) : null,
          hasMeta ? h('div', null, h('h4', null, 'Metadata'), h('pre', { class: 'layer-meta' }, JSON.stringify(layer.metadata, null, 2))) : null,
        )
        : h('p', { class: 'muted small layer-detail-none' }, 'No error or metadata reported.'),
    );
  }

  return {
    el,
    /** Replace with a run's layers (merged, so live frames already seen are kept). */
    set(list = []) {
      for (const layer of list) layers.set(layer.layer, mergeLayer(layers.get(layer.layer), layer));
      render();
    },
    upsert(layer) {
      layers.set(layer.layer, mergeLayer(layers.get(layer.layer), layer));
      render();
    },
    /** Tick running layers' durations. */
    tick: () => render(),
    hasRunning: () => [...layers.values()].some((l) => l.status === 'running'),
  };
}
