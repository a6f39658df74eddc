/** Horizontal SVG charts: the stage timeline, intervals around zero (deltas) and plain bars (importance). */
import { type Domain, extent, scale, tickLabel, ticks } from './chart-scale.mjs';
import { duration, fmt, s, signed } from './dom.mjs';

const ROW = 24;
const RIGHT = 120;
/** Drawing widths: full-width cards get a wider drawing so that their text keeps the size of the rest. */
const WIDE = 1000;
const NARROW = 560;

interface Frame {
  root: SVGElement;
  x: (v: number) => number;
  /** Vertical centre of row `i`. */
  cy: (i: number) => number;
  /** x of the value text at the right of each row. */
  right: number;
}

/** An SVG with one row per label, a bottom axis over `domain` with its caption, and the row labels. */
function frame(label: string, labels: string[], domain: Domain, width: number, caption: string): Frame {
  // Room for the longest row label (about 6.5 px a character at 11 px).
  const LEFT = Math.max(80, 16 + 6.5 * Math.max(0, ...labels.map((l) => l.length)));
  const bottom = 8 + labels.length * ROW;
  const root = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${width} ${bottom + 40}`,
    role: 'img',
    'aria-label': label,
    'data-chart': label,
  });
  const x = scale(domain, LEFT, width - RIGHT);
  const t = ticks(domain, 5);
  for (const v of t) {
    root.append(s('line', { class: 'grid-line', x1: x(v), x2: x(v), y1: 8, y2: bottom }));
    root.append(s('text', { x: x(v), y: bottom + 14, 'text-anchor': 'middle' }, tickLabel(v, t)));
  }
  const cy = (i: number) => 8 + i * ROW + ROW / 2;
  root.append(
    s('line', { class: 'axis', x1: LEFT, x2: width - RIGHT, y1: bottom, y2: bottom }),
    s('text', { x: (LEFT + width - RIGHT) / 2, y: bottom + 32, 'text-anchor': 'middle' }, caption),
    ...labels.map((text, i) => s('text', { x: LEFT - 8, y: cy(i) + 4, 'text-anchor': 'end' }, text)),
  );
  return { root, x, cy, right: width - RIGHT + 6 };
}

export interface StageSpan {
  stage: string;
  start: number;
  end: number;
  open: boolean;
}

/** One bar per stage from the run's start (seconds on the axis), with its duration at the right. */
export function timeline(stages: StageSpan[], t0: number): SVGElement {
  const end = Math.max(1, ...stages.map((st) => (st.end - t0) / 1000));
  const labels = stages.map((st) => st.stage);
  const f = frame('stage timeline', labels, [0, end], WIDE, 'seconds since the run started');
  stages.forEach((st, i) => {
    const x0 = f.x((st.start - t0) / 1000);
    const width = Math.max(2, f.x((st.end - t0) / 1000) - x0);
    const took = duration(st.end - st.start);
    f.root.append(
      s('rect', { class: st.open ? 'bar-open' : 'bar-stage', x: x0, y: f.cy(i) - 8, width, height: 16 }),
      s('text', { x: f.right, y: f.cy(i) + 4 }, st.open ? `${took} so far` : took),
    );
  });
  return f.root;
}

export interface IntervalRow {
  label: string;
  value: number;
  lo: number;
  hi: number;
}

/** A dot per row with its interval as a whisker, and a dashed line at zero (no difference). */
export function intervalChart(label: string, rows: IntervalRow[]): SVGElement {
  const domain = extent([0, ...rows.flatMap((r) => [r.lo, r.hi, r.value])], 0.1);
  const f = frame(
    label,
    rows.map((r) => r.label),
    domain,
    NARROW,
    label,
  );
  f.root.append(s('line', { class: 'ref', x1: f.x(0), x2: f.x(0), y1: 8, y2: 8 + rows.length * ROW }));
  rows.forEach((r, i) => {
    f.root.append(
      s('line', { class: 's0', x1: f.x(r.lo), x2: f.x(r.hi), y1: f.cy(i), y2: f.cy(i) }),
      s('circle', { class: 's0', cx: f.x(r.value), cy: f.cy(i), r: 4, 'data-series': r.label }),
      s('text', { x: f.right, y: f.cy(i) + 4 }, signed(r.value)),
    );
  });
  return f.root;
}

/** Plain horizontal bars from zero (e.g. permutation importance). */
export function barChart(label: string, rows: { label: string; value: number }[]): SVGElement {
  const domain = extent([0, ...rows.map((r) => r.value)], 0.05);
  const f = frame(
    label,
    rows.map((r) => r.label),
    domain,
    WIDE,
    label,
  );
  rows.forEach((r, i) => {
    const x0 = f.x(Math.min(0, r.value));
    const width = Math.abs(f.x(r.value) - f.x(0));
    f.root.append(
      s('rect', { class: 'bar-stage', x: x0, y: f.cy(i) - 8, width, height: 16 }),
      s('text', { x: f.right, y: f.cy(i) + 4 }, fmt(r.value, 4)),
    );
  });
  return f.root;
}
