// DOM helpers: every piece of data becomes a text node or an attribute value, never parsed markup.

/**
 * Create an element. `props`: `class`, `dataset` (object), `on<Event>` handlers, `hidden`,
 * `value`/`checked`/`disabled` (set as properties), anything else as an attribute.
 * Children: strings and numbers become text nodes; null/false/undefined are skipped; arrays nest.
 */
export function h(tag, props = null, ...children) {
  const el = document.createElement(tag);
  if (props) applyProps(el, props);
  append(el, children);
  return el;
}

const PROPERTY_KEYS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'type', 'htmlFor']);

function applyProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (PROPERTY_KEYS.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/** Append children (text, nodes, arrays) to a parent. */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace all children of `el` with `children`. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Set the text of an element only when it changed (cheap re-renders). */
export function setText(el, text) {
  const value = text === null || text === undefined ? '' : String(text);
  if (el.textContent !== value) el.textContent = value;
}

/** A `<select>` with `[value, label]` options. */
export function select(props, options, selected) {
  const el = h('select', props);
  for (const [value, label] of options) el.appendChild(h('option', { value, selected: value === selected }, label));
  return el;
}

/** Call `fn` at most once per `ms`, with the latest arguments (trailing). */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** A status pill: coloured by `data-status` in CSS. */
export function statusPill(status) {
  return h('span', { class: 'pill', dataset: { status: status ?? 'unknown' } }, status ?? 'unknown');
}
