/**
 * Gazetteer figures for the issue note: cold build, cached load, memory, placement shares and
 * per-call cost. Run: node --expose-gc --import tsx bench/geo.ts
 * (without --expose-gc the memory figure includes garbage and is only an upper bound).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createGazetteer } from '../src/geo/index.js';
import { defaultCachePath } from '../src/geo/cache.js';

const gc = (globalThis as { gc?: () => void }).gc;
const heap = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed;
};
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const dir = mkdtempSync(join(tmpdir(), 'maillage-geo-bench-'));
try {
  const path = join(dir, 'communes.json');

  let t = performance.now();
  const built = createGazetteer({ cache: 'rebuild', cachePath: path });
  const buildMs = performance.now() - t;
  console.log(`build (join packages + write cache): ${buildMs.toFixed(0)} ms  [table ${built.tableMs.toFixed(0)} ms, index ${built.indexMs.toFixed(0)} ms]`);
  console.log(`cache file: ${(statSync(path).size / 1024).toFixed(0)} KB (default location ${defaultCachePath()})`);

  const before = heap();
  t = performance.now();
  const gaz = createGazetteer({ cache: 'use', cachePath: path });
  const loadMs = performance.now() - t;
  const retained = heap() - before;
  console.log(`load from cache: ${loadMs.toFixed(0)} ms  [read+parse ${gaz.tableMs.toFixed(0)} ms, index ${gaz.indexMs.toFixed(0)} ms], retained heap ${mb(retained)}`);

  const stats = gaz.placementStats();
  const total = gaz.communes.length;
  console.log(`communes: ${total}`);
  for (const [k, v] of Object.entries(stats)) console.log(`  ${k.padEnd(15)} ${String(v).padStart(6)}  ${((100 * v) / total).toFixed(1)} %`);

  const short = ['26150 Die', 'on monte un habitat partagé près de Die (26)', 'à Saillans', 'Lyon 3e', 'dans la Drôme', 'St Jean de Luz', 'Merci à Marie'];
  for (let i = 0; i < 2000; i++) gaz.geocode(short[i % short.length]!);
  const n = 50_000;
  t = performance.now();
  for (let i = 0; i < n; i++) gaz.geocode(short[i % short.length]!);
  const perShort = (performance.now() - t) / n;
  console.log(`geocode, short texts: ${(perShort * 1000).toFixed(1)} µs/call (${Math.round(1000 / perShort)} calls/s)`);

  const paragraph =
    "Bonjour à toutes et à tous, je m'appelle Claire, maraîchère depuis dix ans. Avec Paul, Marie et Julien, " +
    "nous portons un projet d'habitat partagé et de ferme coopérative à une vingtaine de minutes de Montélimar, " +
    "pas loin de Dieulefit (26). Nous cherchons des personnes pour rejoindre le collectif, des compétences en " +
    "éco-construction (chanvre, paille, terre crue) et en gestion de l'eau. Budget 480000 euros. ";
  const long = paragraph.repeat(Math.ceil(2000 / paragraph.length)).slice(0, 2000);
  for (let i = 0; i < 500; i++) gaz.findPlacesInText(long);
  const m = 5_000;
  t = performance.now();
  for (let i = 0; i < m; i++) gaz.findPlacesInText(long);
  console.log(`findPlacesInText, 2,000 chars: ${((performance.now() - t) / m).toFixed(3)} ms/call`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
