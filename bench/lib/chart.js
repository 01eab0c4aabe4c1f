/**
 * Hand-written SVG chart, no dependencies: grouped bars per scenario, one bar
 * per server; top panel requests/s (higher is better), bottom panel server
 * CPU µs per request (lower is better). Whiskers show min–max over rounds;
 * a missing bar is marked "×" (the run failed).
 */
import { toolsText } from './report.js';

const PALETTE = {
  'ringside-io_uring': '#d94f2b',
  'ringside-node': '#f0a830',
  'node-http': '#4c78a8',
  fastify: '#59a14f',
};
const EXTRA = ['#8e6bbf', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** @param {string} s */
export function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 72102 → "72.1k" */
export function compact(n) {
  if (!Number.isFinite(n)) return '';
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 1 : 2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`;
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** A "nice" axis maximum and step for values up to `max`. */
export function niceScale(max, ticks = 5) {
  if (!(max > 0)) return { max: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

const r1 = (n) => Math.round(n * 10) / 10;

/** Axis tick label: compact for large values, as many decimals as the step needs otherwise. */
function tickLabel(v, step) {
  if (v >= 1000) return compact(v);
  const decimals = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step) - 1e-9) + (String(step).includes('5') ? 1 : 0));
  return v.toFixed(decimals);
}

/**
 * @param {import('./report.js').BenchReport} report
 * @returns {string} SVG document
 */
export function renderChart(report) {
  const scenarios = report.scenarios;
  const servers = report.servers.map((s) => s.name);
  const color = (name, i) => PALETTE[/** @type {keyof typeof PALETTE} */ (name)] ?? EXTRA[i % EXTRA.length];
  const find = (sc, sv) => report.results.find((r) => r.scenario === sc && r.server === sv);

  const W = 1000;
  const left = 70;
  const right = 20;
  const panelH = 260;
  const top = 78;
  const gap = 92;
  const plotW = W - left - right;
  const H = top + 24 + 2 * panelH + gap + 64;
  const groupW = plotW / Math.max(1, scenarios.length);
  const barW = Math.max(4, Math.min(28, (groupW * 0.8) / Math.max(1, servers.length)));

  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<title>Ringside benchmark: requests/s and server CPU per request</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  const m = report.machine;
  out.push(`<text x="${left}" y="24" font-size="16" font-weight="bold" fill="#222">Ringside benchmark</text>`);
  out.push(
    `<text x="${left}" y="42" font-size="11" fill="#555">${esc(
      `${report.date.slice(0, 10)} · ${m.cpuModel} · ${m.nproc} CPUs · kernel ${m.kernel} · Node ${report.node} · ${toolsText(report)} · ${report.options.rounds}×${report.options.duration} s`,
    )}</text>`,
  );
  // Legend
  let lx = left;
  servers.forEach((name, i) => {
    out.push(`<rect x="${lx}" y="54" width="12" height="12" fill="${color(name, i)}"/>`);
    out.push(`<text x="${lx + 16}" y="64.5" fill="#222">${esc(name)}</text>`);
    lx += 24 + name.length * 7;
  });

  /**
   * @param {number} y0 top of the panel
   * @param {string} title
   * @param {(s: import('./report.js').Summary) => import('./report.js').Stat} pick
   * @param {boolean} markBound star the bars of load-generator-bound rows
   */
  const panel = (y0, title, pick, markBound) => {
    const values = [];
    for (const sc of scenarios)
      for (const sv of servers) {
        const st = find(sc.name, sv)?.summary ? pick(/** @type {any} */ (find(sc.name, sv)).summary) : null;
        if (st) values.push(st.max);
      }
    // Headroom above the tallest bar for its rotated value label.
    const { max, step } = niceScale(Math.max(0, ...values) * 1.18);
    const y = (v) => y0 + panelH - (v / max) * panelH;
    out.push(`<text x="${left}" y="${y0 - 10}" font-size="13" font-weight="bold" fill="#222">${esc(title)}</text>`);
    for (let v = 0; v <= max + step / 2; v += step) {
      const yy = r1(y(v));
      out.push(`<line x1="${left}" y1="${yy}" x2="${W - right}" y2="${yy}" stroke="${v === 0 ? '#888' : '#e3e3e3'}" stroke-width="1"/>`);
      out.push(`<text x="${left - 6}" y="${r1(yy + 4)}" text-anchor="end" font-size="10" fill="#555">${esc(tickLabel(v, step))}</text>`);
    }
    scenarios.forEach((sc, gi) => {
      const gx = left + gi * groupW;
      const x0 = gx + (groupW - barW * servers.length) / 2;
      servers.forEach((sv, si) => {
        const row = find(sc.name, sv);
        const st = row?.summary ? pick(row.summary) : null;
        const x = r1(x0 + si * barW);
        if (!st) {
          out.push(
            `<text x="${r1(x + barW / 2)}" y="${r1(y0 + panelH - 4)}" text-anchor="middle" font-size="11" fill="#b00"><title>${esc(`${sv} · ${sc.title}: ${row?.error ?? 'not run'}`)}</title>×</text>`,
          );
          return;
        }
        const yTop = r1(y(st.median));
        const h = r1(y0 + panelH - yTop);
        const bound = markBound && row?.summary?.loadBound;
        const flag = bound ? ' (load generator bound)' : '';
        out.push(
          `<rect x="${x}" y="${yTop}" width="${r1(barW - 2)}" height="${Math.max(0, h)}" fill="${color(sv, si)}"><title>${esc(`${sv} · ${sc.title}: ${compact(st.median)}${st.min !== st.max ? ` (${compact(st.min)}–${compact(st.max)})` : ''}${flag}`)}</title></rect>`,
        );
        if (st.min !== st.max) {
          const cx = r1(x + (barW - 2) / 2);
          out.push(`<line x1="${cx}" y1="${r1(y(st.min))}" x2="${cx}" y2="${r1(y(st.max))}" stroke="#333" stroke-width="1"/>`);
        }
        const lyy = r1(yTop - 4);
        const lxx = r1(x + (barW - 2) / 2 + 3);
        out.push(
          `<text x="${lxx}" y="${lyy}" font-size="9" fill="#333" transform="rotate(-90 ${lxx} ${lyy})">${esc(compact(st.median))}${bound ? '*' : ''}</text>`,
        );
      });
      const cx = r1(gx + groupW / 2);
      out.push(`<text x="${cx}" y="${y0 + panelH + 16}" text-anchor="middle" font-size="11" font-weight="bold" fill="#222">${esc(sc.short ?? sc.name)}</text>`);
      out.push(
        `<text x="${cx}" y="${y0 + panelH + 30}" text-anchor="middle" font-size="10" fill="#666">${esc(
          `${sc.method} ${sc.path}${sc.connections !== report.options.connections ? ` · ${sc.connections} conns` : ''}`,
        )}</text>`,
      );
    });
  };

  panel(top + 24, 'Requests per second (higher is better; * = load generator bound, a lower bound)', (s) => s.rps, true);
  panel(top + 24 + panelH + gap, 'Server CPU time per request, µs (lower is better)', (s) => s.cpuPerReqUs, false);
  out.push(
    `<text x="${left}" y="${H - 12}" font-size="10" fill="#777">${esc(
      `Server pinned apart from the load generator: ${report.pinning.enabled ? 'yes' : 'no'}. Bars: median; whiskers: min–max over rounds; × = no result. Generated by bench/run.js.`,
    )}</text>`,
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}
