// The runner's outbox: entries in log order, each numbered, O(1) at both ends, dropped oldest-first when full.

/** One log entry as it goes on the wire, minus its client_seq (added when sent). */
export type WireEntry = Record<string, unknown> & { level?: string; message?: string; timestamp: string };

/** An entry and its number in the logger's own count (1, 2, …). */
export interface QueuedEntry {
  seq: number;
  entry: WireEntry;
}

/** A FIFO of queued entries. */
export interface EntryQueue {
  readonly length: number;
  /** the i-th oldest */
  at(i: number): QueuedEntry;
  push(item: QueuedEntry): void;
  /** put an item before the oldest (the gap notice) */
  unshift(item: QueuedEntry): void;
  /** remove the n oldest and return them */
  shift(n: number): QueuedEntry[];
  /** remove everything */
  clear(): QueuedEntry[];
}

/** Create an empty queue (an array read from a moving head, compacted when the dead part is large). */
export function createEntryQueue(): EntryQueue {
  let items: QueuedEntry[] = [];
  let head = 0;

  const compact = () => {
    if (head > 1024 && head * 2 > items.length) {
      items = items.slice(head);
      head = 0;
    }
  };

  return {
    get length() {
      return items.length - head;
    },
    at(i) {
      return items[head + i]!;
    },
    push(item) {
      items.push(item);
    },
    unshift(item) {
      if (head > 0) items[--head] = item;
      else items.unshift(item);
    },
    shift(n) {
      const taken = items.slice(head, head + n);
      head += taken.length;
      for (let i = head - taken.length; i < head; i++) items[i] = undefined as unknown as QueuedEntry;
      compact();
      return taken;
    },
    clear() {
      const all = items.slice(head);
      items = [];
      head = 0;
      return all;
    },
  };
}
