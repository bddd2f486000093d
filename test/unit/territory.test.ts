// Pure parts of the territory work: territories, the digest's wording, week keys, chart scales,
// the Prometheus text format.
import { describe, expect, it } from 'vitest';
import { loadGazetteer } from '../../src/geo/index.js';
import { buildDigest, type DigestFacts } from '../../src/territory/digest.js';
import { isoWeek } from '../../src/territory/digest-run.js';
import { normaliseDepartement, parseTerritory, resolveTerritory, territoryLabel } from '../../src/territory/territory.js';
import { funnelChart, niceMax } from '../../src/web/admin/charts.js';
import { formatMetrics } from '../../src/web/routes/metrics.js';

const gaz = loadGazetteer();

describe('territories', () => {
  it('reads département codes as people type them', () => {
    expect(normaliseDepartement('7')).toBe('07');
    expect(normaliseDepartement('2a')).toBe('2A');
    const parsed = parseTerritory({ departements: '26, 7;2a', communes: 'Annonay, 38185', epci: '200071413' }, gaz);
    expect(parsed).toEqual({ ok: true, territory: { departements: ['26', '07', '2A'], communeCodes: ['07010', '38185'], epciCodes: ['200071413'] } });
  });

  it('names every unknown code, and refuses an empty territory', () => {
    const bad = parseTerritory({ departements: '26, 99', communes: 'Zzyzxville', epci: '123' }, gaz);
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors).toHaveLength(3);
      expect(bad.errors[0]).toContain('« 99 »');
      expect(bad.errors[1]).toContain('« Zzyzxville »');
      expect(bad.errors[2]).toContain('« 123 »');
    }
    expect(parseTerritory({ departements: ' , ' }, gaz)).toEqual({ ok: false, errors: ['Le territoire est vide : indiquez au moins un département, une commune ou un EPCI.'] });
  });

  it('expands an EPCI to its communes, and labels a territory in French', () => {
    const t = { departements: ['26'], communeCodes: ['07010'], epciCodes: ['200071413'] };
    const area = resolveTerritory(t, gaz);
    expect(area.departements).toEqual(['26']);
    expect(area.communeCodes).toContain('07186'); // Privas, in the EPCI
    expect(area.communeCodes).toContain('07010');
    expect(territoryLabel(t, gaz)).toMatch(/^Drôme \(26\), Annonay, 1 intercommunalité \(\d+ communes\)$/);
  });
});

describe('the digest', () => {
  const facts: DigestFacts = {
    referentName: 'Camille', territory: 'Drôme (26)', from: new Date('2026-11-02T07:00:00Z'), to: new Date('2026-11-09T07:00:00Z'),
    newPeople: [], newTotal: 0, introductions: 0, meetings: 0, unmatched: [], unmatchedTotal: 0, roundsDone: 5,
  };

  it('is empty on a quiet week', () => {
    const d = buildDigest(facts);
    expect(d.empty).toBe(true);
    expect(d.subject).toBe('Votre territoire cette semaine : rien de neuf');
  });

  it('escapes what people wrote, and waits for three rounds before naming the unmatched', () => {
    const person = { name: '<b>Zoé</b> Martin', commune: 'Die', departement: '26', role: 'porteur', categories: ['ferme'], description: '<script>alert(1)</script> ferme' };
    const d = buildDigest({ ...facts, newPeople: [person], newTotal: 1, unmatched: [person], unmatchedTotal: 1, roundsDone: 2 });
    expect(d.empty).toBe(false);
    expect(d.html).not.toContain('<script>');
    expect(d.html).toContain('&lt;script&gt;');
    expect(d.html).not.toContain('<b>Zoé');
    expect(d.text).toContain('du 2 novembre au 9 novembre');
    expect(d.text).not.toContain('TOUJOURS SANS PROPOSITION');
    expect(buildDigest({ ...facts, unmatched: [person], unmatchedTotal: 1, roundsDone: 3 }).text).toContain('TOUJOURS SANS PROPOSITION APRÈS TROIS TOURS (1)');
  });

  it('records the ids of exactly the people it names (for erasure), each once', () => {
    const someone = (id: number, name: string) => ({ id, name, commune: 'Die', departement: '26', role: 'porteur', categories: [], description: '' });
    const untold = { name: null, commune: null, departement: null, role: null, categories: [], description: '' };
    const week = { ...facts, newPeople: [someone(1, 'Anne'), someone(2, 'Bao'), untold], newTotal: 3, unmatched: [someone(2, 'Bao'), someone(3, 'Cyril')], unmatchedTotal: 2 };
    expect(buildDigest(week).personIds).toEqual([1, 2, 3]);
    // Before three rounds the unmatched are not named, so not recorded either.
    expect(buildDigest({ ...week, roundsDone: 2 }).personIds).toEqual([1, 2]);
    expect(buildDigest(facts).personIds).toEqual([]);
  });
});

describe('helpers', () => {
  it('keys weeks by the ISO week of the Paris calendar', () => {
    expect(isoWeek(new Date('2026-01-01T12:00:00Z'))).toBe('2026-W01');
    expect(isoWeek(new Date('2024-12-30T12:00:00Z'))).toBe('2025-W01');
    // Sunday 23:30 UTC is already Monday in Paris.
    expect(isoWeek(new Date('2026-11-01T23:30:00Z'))).toBe('2026-W45');
    expect(isoWeek(new Date('2026-11-01T23:30:00Z'), 'UTC')).toBe('2026-W44');
  });

  it('rounds chart axes, and draws an empty funnel without dividing by zero', () => {
    expect([0, 1, 3, 7, 12, 48, 101].map(niceMax)).toEqual([1, 1, 5, 10, 20, 50, 200]);
    const svg = funnelChart([{ week: '2026-11-02', registered: 0, confirmed: 0, proposed: 0, met: 0 }]).value;
    expect(svg).not.toContain('NaN');
    expect(svg).toContain('Semaine du 2 nov. : 0 inscrit·es');
  });

  it('writes the Prometheus text format, label values escaped', () => {
    const text = formatMetrics([{ name: 'x_total', help: 'An example.', type: 'counter', samples: [{ labels: { kind: 'a"b\\c\nd' }, value: 3 }, { value: Number.NaN }] }]);
    expect(text).toBe('# HELP x_total An example.\n# TYPE x_total counter\nx_total{kind="a\\"b\\\\c\\nd"} 3\nx_total NaN\n');
  });
});
