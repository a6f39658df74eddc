/** A line / scatter chart drawn as inline SVG: axes, grid, an optional y = x reference, series with markers. */
import { type Domain, extent, scale, tickLabel, ticks } from './chart-scale.mjs';
import { s } from './dom.mjs';

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: Point[];
  /** Colour / dash class `s0`…`s4` (see style.css). */
  style: number;
  /** Draw the connecting line (default) and/or a marker per point (default). */
  line?: boolean;
  markers?: boolean;
}

export interface ChartOptions {
  label: string;
  x: string;
  y: string;
  xDomain?: Domain;
  yDomain?: Domain;
  /** Dashed y = x line (ROC chance line, perfect calibration). */
  diagonal?: boolean;
  /** Integer ticks on x (epochs). */
  xIntegers?: boolean;
  /** Drawing size; the SVG scales to its container's width. */
  size?: { width: number; height: number };
}

const M = { left: 56, right: 14, top: 12, bottom: 64 };

/**
 * Every point of every series becomes one `<circle data-series="name">` (when markers are on), so the number of
 * circles of a series is its number of points; lines are `<polyline data-series="name">`.
 */
export function lineChart(series: Series[], opts: ChartOptions): SVGElement {
  const { width: W, height: H } = opts.size ?? { width: 560, height: 300 };
  const all = series.flatMap((se) => se.points);
  const xd =
    opts.xDomain ??
    extent(
      all.map((p) => p.x),
      0.02,
    );
  const yd = opts.yDomain ?? extent(all.map((p) => p.y));
  const x = scale(xd, M.left, W - M.right);
  const y = scale(yd, H - M.bottom, M.top);
  const root = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': opts.label,
    'data-chart': opts.label,
  });
  const midY = (M.top + H - M.bottom) / 2;
  const xt = ticks(xd, 6, opts.xIntegers);
  const yt = ticks(yd, 5);
  for (const t of xt) {
    root.append(s('line', { class: 'grid-line', x1: x(t), x2: x(t), y1: M.top, y2: H - M.bottom }));
    root.append(s('text', { x: x(t), y: H - M.bottom + 14, 'text-anchor': 'middle' }, tickLabel(t, xt)));
  }
  for (const t of yt) {
    root.append(s('line', { class: 'grid-line', x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }));
    root.append(s('text', { x: M.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, tickLabel(t, yt)));
  }
  root.append(
    s('line', { class: 'axis', x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }),
    s('line', { class: 'axis', x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom }),
    s('text', { x: (M.left + W - M.right) / 2, y: H - M.bottom + 30, 'text-anchor': 'middle' }, opts.x),
    s('text', { x: 14, y: midY, 'text-anchor': 'middle', transform: `rotate(-90 14 ${midY})` }, opts.y),
  );
  if (opts.diagonal) {
    const lo = Math.max(xd[0], yd[0]);
    const hi = Math.min(xd[1], yd[1]);
    root.append(s('line', { class: 'ref', x1: x(lo), y1: y(lo), x2: x(hi), y2: y(hi) }));
  }
  for (const se of series) {
    const cls = `s${se.style}`;
    if (se.line !== false && se.points.length > 1) {
      const points = se.points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
      root.append(s('polyline', { class: cls, points, 'data-series': se.name }));
    }
    if (se.markers !== false) {
      for (const p of se.points) {
        root.append(s('circle', { class: cls, cx: x(p.x), cy: y(p.y), r: 2.5, 'data-series': se.name, 'data-x': p.x }));
      }
    }
  }
  // Legend under the axis caption; entries wrap to a second row when the names are long.
  let lx = M.left;
  let ly = H - 16;
  for (const se of series) {
    const width = 34 + se.name.length * 6.2;
    if (lx + width > W && lx > M.left) [lx, ly] = [M.left, ly + 14];
    root.append(
      s('line', { class: `s${se.style}`, x1: lx, x2: lx + 22, y1: ly - 4, y2: ly - 4 }),
      s('text', { x: lx + 27, y: ly }, se.name),
    );
    lx += width + 12;
  }
  return root;
}
