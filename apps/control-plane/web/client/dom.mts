/** Small DOM helpers: every value from the API goes in as text, never as markup. */
export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined>;

function apply(node: Element, attrs: Attrs, children: Child[]): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** An HTML element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  apply(node, attrs, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and children. */
export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, attrs, children);
  return node;
}

/** A titled card; `id` names it for links and tests. */
export function card(id: string, title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card', id }, h('h2', {}, title), ...children);
}

/** A table from a header row and body rows; cells may be nodes (already built) or text. */
export function table(head: Child[], rows: Child[][], numeric: (i: number) => boolean = () => false): HTMLElement {
  const cell = (tag: 'th' | 'td', c: Child, i: number) =>
    c instanceof HTMLTableCellElement ? c : h(tag, numeric(i) ? { class: 'num' } : {}, c);
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...head.map((c, i) => cell('th', c, i)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => cell('td', c, i))))),
  );
}

/** A number to `digits` decimals, or an en dash when absent. */
export function fmt(value: number | undefined | null, digits = 3): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  const text = value.toFixed(digits);
  return Number(text) === 0 ? text.replace('-', '') : text;
}

/** A signed number (`+0.012`), for differences. */
export function signed(value: number | undefined, digits = 3): string {
  return typeof value === 'number' && value > 0 ? `+${fmt(value, digits)}` : fmt(value, digits);
}

/** Milliseconds as `850 ms`, `12.3 s` or `4 min 05 s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

export function when(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '–';
}

export function badge(text: string, kind: string = text): HTMLElement {
  return h('span', { class: `badge ${kind}` }, text);
}
