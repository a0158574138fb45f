import { describe, expect, it } from 'vitest';
import { createLayerTracker, MAX_LAYER_HISTORY } from '../../src/runs/layer-tracker.js';

describe('layer tracker', () => {
  it('moves layers through their states with durations, errors, metadata and history', () => {
    const t = createLayerTracker();
    t.apply('pipeline_start', {}, 't0', 0);
    expect(t.pipelineStatus).toBe('running');
    t.apply('layer_start', { layer: 2, layer_name: 'normalize' }, 't1', 100);
    t.apply('layer_start', { layer: 1, layer_name: 'fetch' }, 't1', 100);
    t.apply('layer_complete', { layer: 1, duration_ms: 4500, metadata: { items: 3 } }, 't2', 200);
    t.apply('layer_error', { layer: 2, error: 'boom' }, 't3', 350.4);
    t.apply('layer_skip', { layer: 3, layer_name: 'enrich' }, 't4', 400);
    t.apply('pipeline_complete', { status: 'partial' }, 't5', 500);

    expect(t.layers.map((l) => [l.layer, l.layer_name, l.status])).toEqual([
      [1, 'fetch', 'complete'],
      [2, 'normalize', 'error'],
      [3, 'enrich', 'skipped'],
    ]);
    const [one, two, three] = t.layers;
    expect(one!.duration_ms).toBe(4500); // from the event
    expect(one!.metadata).toEqual({ items: 3 });
    expect(two!.duration_ms).toBe(250); // measured on the monotonic clock
    expect(two!.error).toBe('boom');
    expect(three!.history).toEqual([{ status: 'skipped', at: 't4' }]);
    expect(one!.history.map((h) => h.status)).toEqual(['running', 'complete']);
    expect(t.pipelineStatus).toBe('partial');
  });

  it('ignores events without a usable layer number, and accepts numeric strings', () => {
    const t = createLayerTracker();
    expect(t.apply('layer_start', { layer_name: 'x' }, 't', 0)).toBeUndefined();
    expect(t.apply('layer_start', { layer: 'abc' }, 't', 0)).toBeUndefined();
    expect(t.apply('layer_start', { layer: '2.5' }, 't', 0)!.layer).toBe(2.5);
  });

  it('closes layers still running when the run ends', () => {
    const t = createLayerTracker();
    t.apply('layer_start', { layer: 1 }, 't1', 0);
    const closed = t.closeOpen('t2', 10, 'run cancelled');
    expect(closed).toHaveLength(1);
    expect(t.layers[0]).toMatchObject({ status: 'error', error: 'run cancelled', duration_ms: 10 });
  });

  it('records a retry as a new run of the layer', () => {
    const t = createLayerTracker();
    t.apply('layer_start', { layer: 1 }, 'a', 0);
    t.apply('layer_error', { layer: 1, error: { message: 'timeout' } }, 'b', 5);
    expect(t.layers[0]!.error).toBe('timeout');
    t.apply('layer_start', { layer: 1 }, 'c', 10);
    t.apply('layer_complete', { layer: 1 }, 'd', 30);
    expect(t.layers[0]).toMatchObject({ status: 'complete', error: null, duration_ms: 20 });
    expect(t.layers[0]!.history.map((h) => h.status)).toEqual(['running', 'error', 'running', 'complete']);
  });
});

describe('layer history bound', () => {
  it('keeps only the latest transitions of a layer that cycles forever', () => {
    const t = createLayerTracker();
    for (let i = 0; i < 1000; i++) {
      t.apply('layer_start', { layer: 1 }, `s${i}`, i);
      t.apply('layer_complete', { layer: 1 }, `c${i}`, i + 0.5);
    }
    const history = t.layers[0]!.history;
    expect(history).toHaveLength(MAX_LAYER_HISTORY);
    expect(history[0]).toEqual({ status: 'running', at: 's975' });
    expect(history[history.length - 1]).toEqual({ status: 'complete', at: 'c999' });
  });

  it('bounds the history of what every read returns: layers read between events, and the layers closeOpen ends', () => {
    const t = createLayerTracker();
    for (let i = 0; i < 300; i++) {
      t.apply('layer_start', { layer: 1 }, `s${i}`, i);
      if (i % 7 === 0) expect(t.layers[0]!.history.length).toBeLessThanOrEqual(MAX_LAYER_HISTORY);
      if (i < 299) t.apply('layer_complete', { layer: 1 }, `c${i}`, i + 0.5);
    }
    const [closed] = t.closeOpen('end', 400, 'the process ended');
    expect(closed!.history).toHaveLength(MAX_LAYER_HISTORY);
    expect(closed!.history.at(-1)).toEqual({ status: 'error', at: 'end' });
    expect(closed!.history.at(-2)).toEqual({ status: 'running', at: 's299' });
  });
});
