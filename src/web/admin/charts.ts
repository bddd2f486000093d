// Server-rendered SVG for the console: the funnel week by week and a map of France by
// département. No script, no CDN: the page works with JavaScript off, and each mark carries a
// <title> (a native tooltip, read by screen readers). Pure functions of their data.
import { html, type SafeHtml } from '../html.js';
import type { FunnelWeek } from '../../territory/stats.js';

export const FUNNEL_SERIES = [
  { key: 'registered', label: 'inscrit·es', color: '#b9c9bd' },
  { key: 'confirmed', label: 'confirmé·es', color: '#7fa98a' },
  { key: 'proposed', label: 'ont reçu une proposition', color: '#2f6b3f' },
  { key: 'met', label: 'mis·es en relation (deux oui)', color: '#e0a526' },
] as const;

const shortDate = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** A round axis maximum: 1, 2, 5, 10, 20, 50… at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

function weekLabel(week: string): string {
  return shortDate.format(new Date(`${week}T00:00:00Z`));
}

/** The legend on one line, each entry as wide as its label (about 6.5 px a character at 12 px). */
function legend(left: number): SafeHtml {
  let x = left;
  return html`${FUNNEL_SERIES.map((s) => {
    const entry = html`<rect x="${x}" y="8" width="12" height="12" fill="${s.color}"/><text x="${x + 17}" y="18" fill="#1f2a24">${s.label}</text>`;
    x += 17 + Math.ceil(s.label.length * 6.5) + 22;
    return entry;
  })}`;
}

export function funnelChart(weeks: readonly FunnelWeek[]): SafeHtml {
  const width = 760;
  const height = 300;
  const left = 44;
  const right = 12;
  const top = 40;
  const bottom = 34;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...weeks.flatMap((w) => FUNNEL_SERIES.map((s) => w[s.key]))));
  const groupW = plotW / Math.max(1, weeks.length);
  const barW = Math.max(2, (groupW * 0.8) / FUNNEL_SERIES.length);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max];

  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="funnel-title" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">
<title id="funnel-title">Parcours des personnes, semaine par semaine : inscrit·es, confirmé·es, ayant reçu une proposition, mis·es en relation</title>
${legend(left)}
${ticks.map((t) => html`<line x1="${left}" x2="${width - right}" y1="${y(t)}" y2="${y(t)}" stroke="#e3e7e4"/><text x="${left - 6}" y="${y(t) + 4}" text-anchor="end" fill="#5b6b61">${Number.isInteger(t) ? t : t.toFixed(1)}</text>`)}
${weeks.map((w, i) => {
    const x0 = left + i * groupW + groupW * 0.1;
    return html`<g>${FUNNEL_SERIES.map((s, k) => {
      const v = w[s.key];
      const h = (v / max) * plotH;
      return html`<rect x="${(x0 + k * barW).toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${s.color}"><title>Semaine du ${weekLabel(w.week)} : ${v} ${s.label}</title></rect>`;
    })}<text x="${(left + i * groupW + groupW / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" fill="#5b6b61">${weekLabel(w.week)}</text></g>`;
  })}
<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#9bb0a2"/>
</svg>`;
}

export interface MapPoint {
  code: string;
  name: string;
  lat: number;
  lon: number;
  count: number;
}

// Metropolitan France and Corsica; overseas départements are listed in the table beside the map.
const BOUNDS = { west: -5.3, east: 9.7, south: 41.2, north: 51.2 };
const COS_LAT = Math.cos((46.5 * Math.PI) / 180);

/** Circles at each département's population-weighted centre, area proportional to the count. */
export function franceMap(points: readonly MapPoint[]): SafeHtml {
  const scale = 52;
  const width = Math.round((BOUNDS.east - BOUNDS.west) * COS_LAT * scale) + 20;
  const height = Math.round((BOUNDS.north - BOUNDS.south) * scale) + 20;
  const px = (lon: number) => (10 + (lon - BOUNDS.west) * COS_LAT * scale).toFixed(1);
  const py = (lat: number) => (10 + (BOUNDS.north - lat) * scale).toFixed(1);
  const inside = points.filter((p) => p.lon >= BOUNDS.west && p.lon <= BOUNDS.east && p.lat >= BOUNDS.south && p.lat <= BOUNDS.north);
  const max = Math.max(1, ...inside.map((p) => p.count));
  // Biggest first, so a small circle next to a big one stays on top; numbers above all circles.
  const withPeople = inside.filter((p) => p.count > 0).sort((a, b) => b.count - a.count);
  const title = (p: MapPoint) => `${p.name} (${p.code}) : ${p.count} personne${p.count > 1 ? 's' : ''}`;
  return html`<svg class="map" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px" role="img" aria-labelledby="map-title" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11">
<title id="map-title">Carte des personnes inscrites par département (France métropolitaine et Corse)</title>
<rect x="0" y="0" width="${width}" height="${height}" fill="#f7f6f1" rx="8"/>
${inside.map((p) => html`<circle cx="${px(p.lon)}" cy="${py(p.lat)}" r="2.6" fill="#c9d3cc"><title>${title(p)}</title></circle>`)}
${withPeople.map((p) => html`<circle cx="${px(p.lon)}" cy="${py(p.lat)}" r="${(6 + 18 * Math.sqrt(p.count / max)).toFixed(1)}" fill="#2f6b3f" fill-opacity="0.6" stroke="#fff" stroke-width="1.5"><title>${title(p)}</title></circle>`)}
${withPeople.map((p) => html`<text x="${px(p.lon)}" y="${(Number(py(p.lat)) + 4).toFixed(1)}" text-anchor="middle" fill="#fff" font-weight="700" pointer-events="none">${p.count}</text>`)}
</svg>`;
}

/** Every département code of metropolitan France and Corsica, then overseas. */
export function departementCodes(): string[] {
  const codes: string[] = [];
  for (let n = 1; n <= 95; n++) {
    if (n === 20) codes.push('2A', '2B');
    else codes.push(String(n).padStart(2, '0'));
  }
  codes.push('971', '972', '973', '974', '976');
  return codes;
}
