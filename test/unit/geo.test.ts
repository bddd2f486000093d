import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import {
  createGazetteer,
  departementName,
  findDepartement,
  geocode,
  haversineKm,
  loadGazetteer,
  placementStats,
  type Gazetteer,
} from '../../src/geo/index.js';

let gaz: Gazetteer;
beforeAll(() => {
  gaz = loadGazetteer();
});

describe('commune table', () => {
  it('covers every commune of metropole and the DROM', () => {
    // 34,875 communes on 1 January 2024 outside the COM; allow for future mergers.
    expect(gaz.communes.length).toBeGreaterThan(34_000);
    expect(gaz.communes.length).toBeLessThan(36_000);
    expect(new Set(gaz.communes.map((c) => c.code)).size).toBe(gaz.communes.length);
  });

  it('places every commune inside its territory', () => {
    const boxes: Record<string, [number, number, number, number]> = {
      '971': [15.8, 16.6, -61.9, -61.0],
      '972': [14.3, 14.9, -61.3, -60.8],
      '973': [2.0, 6.0, -54.7, -51.5],
      '974': [-21.5, -20.8, 55.2, 55.9],
      '976': [-13.1, -12.6, 45.0, 45.35],
    };
    const outside = gaz.communes.filter((c) => {
      const [latMin, latMax, lonMin, lonMax] = boxes[c.departement] ?? [41.3, 51.2, -5.2, 9.6];
      return !(c.lat >= latMin && c.lat <= latMax && c.lon >= lonMin && c.lon <= lonMax);
    });
    expect(outside.map((c) => `${c.code} ${c.name} ${c.lat},${c.lon}`)).toEqual([]);
  });

  it('reports how each commune was placed, exact points for about a quarter', () => {
    const stats = placementStats();
    const total = Object.values(stats).reduce((a, b) => a + b, 0);
    expect(total).toBe(gaz.communes.length);
    expect(stats.exact / total).toBeGreaterThan(0.2);
    // Every commune without a point belongs to an EPCI or an arrondissement with one.
    expect(stats.exact + stats.epci + stats.arrondissement).toBeGreaterThan(0.99 * total);
  });

  it('finds communes by INSEE code, Corsica and DOM included', () => {
    expect(gaz.byCode('26113')).toMatchObject({ name: 'Die', departement: '26', postcodes: ['26150'], placement: 'exact' });
    expect(gaz.byCode('2A004')?.name).toBe('Ajaccio');
    expect(gaz.byCode('2b033')?.name).toBe('Bastia');
    expect(gaz.byCode('97411')).toMatchObject({ name: 'Saint-Denis', departement: '974' });
    expect(gaz.byCode('97611')?.name).toBe('Mamoudzou');
    // GeoNames files Paris without an INSEE code: it must still get its own point.
    expect(gaz.byCode('75056')).toMatchObject({ placement: 'exact' });
    expect(gaz.byCode('99999')).toBeUndefined();
  });

  it('places a commune nouvelle at its seat, not at one of its villages', () => {
    const vire = gaz.byCode('14762')!; // Vire Normandie, seat Vire (48.84, -0.89)
    expect(haversineKm(vire.lat, vire.lon, 48.838, -0.889)).toBeLessThan(2);
  });
});

describe('byPostcode', () => {
  it('lists every commune of a shared postcode, biggest first', () => {
    const communes = gaz.byPostcode('26150');
    expect(communes.length).toBeGreaterThan(10);
    expect(communes[0]!.name).toBe('Die');
    for (let i = 1; i < communes.length; i++) expect(communes[i - 1]!.population).toBeGreaterThanOrEqual(communes[i]!.population);
  });

  it('handles Corsica, DOM and the big cities', () => {
    expect(gaz.byPostcode('20000').map((c) => c.code)).toContain('2A004');
    expect(gaz.byPostcode('97400')[0]!.code).toBe('97411');
    expect(gaz.byPostcode('69003').map((c) => c.name)).toEqual(['Lyon']);
    expect(gaz.byPostcode('75116')[0]!.name).toBe('Paris');
    expect(gaz.byPostcode('00000')).toEqual([]);
  });
});

describe('searchName', () => {
  it('ignores accents, case, hyphens and St/Saint', () => {
    for (const spelling of ['Saint-Étienne', 'saint etienne', 'ST ETIENNE', 'St-Etienne', 'St. Étienne']) {
      expect(gaz.searchName(spelling)[0]?.code, spelling).toBe('42218');
    }
    expect(gaz.searchName('st jean de luz')[0]?.code).toBe('64483');
    expect(gaz.searchName('L’Haÿ-les-Roses')[0]?.code).toBe('94038');
    expect(gaz.searchName('oeuilly')[0]?.name).toBe('Œuilly');
  });

  it('returns homonyms biggest first and filters by département', () => {
    const all = gaz.searchName('Sainte-Colombe');
    expect(all.length).toBeGreaterThan(5);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.population).toBeGreaterThanOrEqual(all[i]!.population);
    expect(gaz.searchName('Sainte-Colombe', '33').map((c) => c.departement)).toEqual(['33']);
    expect(gaz.searchName('Saillans', '26')[0]?.code).toBe('26289');
  });
});

describe('geocode: real-looking messages', () => {
  const cases: [text: string, code: string, postcode?: string | null][] = [
    ['on monte un habitat partagé près de Die (26)', '26113', '26150'],
    ['à Saillans', '26289', '26340'],
    ['26150 Die', '26113', '26150'],
    ['Die, 26150', '26113', '26150'],
    ['St Jean de Luz', '64483'],
    ['Saint-Jean-de-Luz', '64483'],
    ['Nous sommes un collectif basé à Crest et nous cherchons des gens.', '26108'],
    ['Projet d’écolieu à Saint-Martin-en-Vercors', '26315'],
    ['on cherche un terrain du côté de Dieulefit', '26114'],
    ['Je vis au Havre depuis dix ans', '76351'],
    ['Nous sommes aux Sables-d’Olonne', '85194'],
    ['ferme coopérative près d’Orange', '84087'],
    ['tiers-lieu à Romans-sur-Isère', '26281'],
    ['Notre projet se situe à Villeneuve-lez-Avignon', '30351'],
    ['Boulogne s/ Mer', '62160'],
    ['nous sommes à saillans', '26289'],
    ['Nous habitons en Seine-Saint-Denis, à Montreuil', '93048'],
    ['JE CHERCHE UN TERRAIN VERS MONTELIMAR', '26198'],
    ['Marie, maraîchère à Saint-Jean-en-Royans', '26307'],
    ['Je suis en Bretagne, près de Quimper', '29232'],
    ['Beaupréau', '49023'], // a former commune, now part of Beaupréau-en-Mauges
  ];
  it.each(cases)('%s', (text, code, postcode) => {
    const r = geocode(text);
    expect(r?.communeCode).toBe(code);
    if (postcode !== undefined) expect(r?.postcode).toBe(postcode);
  });

  it('returns the contract shape', () => {
    expect(geocode('26150 Die')).toEqual({
      postcode: '26150',
      commune: 'Die',
      communeCode: '26113',
      departement: '26',
      lat: 44.7536,
      lon: 5.37033,
    });
  });
});

describe('geocode: Paris, Lyon, Marseille arrondissements', () => {
  it.each([
    ['Lyon 3e', '69123', '69003'],
    ['69003', '69123', '69003'],
    ['Lyon 7ème arrondissement', '69123', '69007'],
    ['75011 Paris', '75056', '75011'],
    ['Paris 11e', '75056', '75011'],
    ['Paris XVIIIe', '75056', '75018'],
    ['J’habite dans le 11e arrondissement de Paris', '75056', '75011'],
    ['Marseille 13e', '13055', '13013'],
  ])('%s', (text, code, postcode) => {
    expect(geocode(text)).toMatchObject({ communeCode: code, postcode });
  });
});

describe('geocode: homonyms', () => {
  it('uses a département code, name or postcode to pick among homonyms', () => {
    expect(geocode('Saint-Denis (93)')?.communeCode).toBe('93066');
    expect(geocode('Saint-Denis (974)')?.communeCode).toBe('97411');
    expect(geocode('97400 Saint-Denis')?.communeCode).toBe('97411');
    expect(geocode('Sainte-Colombe (33)')?.departement).toBe('33');
    expect(geocode('Beaulieu (07)')?.communeCode).toBe('07028');
    expect(geocode('Aix (73)')?.communeCode).toBe('73008');
    expect(geocode('à Vienne (38)')?.communeCode).toBe('38544');
    expect(geocode('Saillans (Drôme)')?.communeCode).toBe('26289');
    expect(geocode('Le Lamentin, Martinique')?.communeCode).toBe('97213');
    expect(geocode('Lamentin (971)')?.communeCode).toBe('97115');
  });

  it('prefers the bigger population when nothing else decides', () => {
    expect(geocode('à Saillans')?.departement).toBe('26'); // 1,460 inhabitants vs 369 in Gironde
    expect(geocode('Aix')?.communeCode).toBe('13001');
    const mention = gaz.findPlacesInText('Je suis à Saint-Denis')[0]!;
    expect(mention.confidence).toBeLessThan(0.9); // two big Saint-Denis: not fully sure
  });

  it('picks the commune a postcode and a name agree on', () => {
    // 26400 serves Crest and a dozen villages; the name decides.
    expect(geocode('Nous sommes à Aouste-sur-Sye (26400)')?.communeCode).toBe('26011');
    expect(geocode('26400 Crest')?.communeCode).toBe('26108');
    // A postcode alone goes to its biggest commune.
    expect(geocode('26400')).toMatchObject({ communeCode: '26108', postcode: '26400' });
  });
});

describe('geocode: Corsica and DOM', () => {
  it.each([
    ['Ajaccio (2A)', '2A004'],
    ['20200 Bastia', '2B033'],
    ['Corte (2B)', '2B096'],
    ['Propriano, Corse-du-Sud', '2A249'],
    ['Projet à Bonifacio', '2A041'],
    ['Fort-de-France', '97209'],
    ['Je suis à Cayenne, en Guyane', '97302'],
    ['Pointe-à-Pitre', '97120'],
    ['Mamoudzou', '97611'],
    ['Saint-Pierre, La Réunion', '97416'],
  ])('%s', (text, code) => {
    expect(geocode(text)?.communeCode).toBe(code);
  });
});

describe('false positives', () => {
  it.each([
    'Merci à Pierre et Marie pour leur aide.',
    'Le bois de chauffage est stocké sur le port.',
    'Il y a eu un problème avec le bus.',
    'Je fais plusieurs tours de vélo',
    'Plus de 100 personnes',
    'Bois de chauffage à vendre',
    'Cher ami, je vous écris',
    'Je travaille chez Orange depuis 2015.',
    'Nous avons acheté 35000 m2 de terrain pour 20000 euros.',
    'Budget : 75000 €, 35000 habitants dans la ville.',
    'On se retrouve à la réunion de jeudi',
    'The project will die if we do nothing.',
    'contact@habitat-die.fr',
    'Je m’appelle Laurent Marseille',
    'Nous avons une maison en paille et un mur en pierre.',
  ])('%s', (text) => {
    expect(geocode(text)).toBeNull();
  });

  it('finds nothing at all in ordinary sentences', () => {
    expect(gaz.findPlacesInText('Bonjour, je suis intéressée par votre projet, est-ce encore possible ?')).toEqual([]);
  });

  it('does not read a département, a region or a river as a commune', () => {
    expect(geocode('dans la Drôme')).toBeNull();
    expect(geocode('dans la Vienne')).toBeNull(); // not Vienne (Isère)
    expect(geocode('je suis en Mayenne')).toBeNull(); // not the town of Mayenne
    expect(geocode('plutôt en Bretagne')).toBeNull(); // not Bretagne (Territoire de Belfort)
    expect(geocode('Nous partons à la Réunion')).toBeNull(); // the island, not the village in 47
    expect(geocode('Pays de la Loire')).toBeNull();
    // but "à Mayenne" is the town
    expect(geocode('je suis à Mayenne')?.communeCode).toBe('53147');
  });

  it('does not take an association name embedding a département for a commune elsewhere', () => {
    // Val de Drôme is also a commune in Calvados.
    const text = 'Nous sommes à vingt minutes de Montélimar et membres de l’AMAP du Val de Drôme.';
    expect(geocode(text)?.communeCode).toBe('26198');
  });
});

describe('findPlacesInText', () => {
  it('returns every mention, best first, with offsets into the text', () => {
    const text = 'J’habite Lyon mais le projet est à Die (26).';
    const found = gaz.findPlacesInText(text);
    expect(found.map((m) => m.commune.name)).toEqual(['Die', 'Lyon']);
    const die = found[0]!;
    expect(text.slice(die.index, die.index + die.length)).toBe('Die (26)');
    expect(die.via).toBe('name+departement');
  });

  it('reports a postcode mention with the address it belongs to', () => {
    const text = 'Atelier Terre & Paille, 07200 Aubenas. Réalisations à Vals-les-Bains.';
    const [first] = gaz.findPlacesInText(text);
    expect(first).toMatchObject({ via: 'postcode', postcode: '07200', confidence: 1 });
    expect(first!.commune.name).toBe('Aubenas');
    expect(text.slice(first!.index, first!.index + first!.length)).toBe('07200 Aubenas');
  });

  it('works on a long e-mail', () => {
    const text = `Bonjour à toutes et à tous,

Je m'appelle Claire Martin, j'ai 42 ans et je suis maraîchère. Avec mon compagnon Paul et deux
amis, Marie et Julien, nous portons un projet d'habitat partagé. Nous avons repéré un corps de
ferme avec 8 hectares de prairies, une grange, un four à pain et un petit bois, à une vingtaine
de minutes de Montélimar. Budget : 480000 euros. Réunion le Mardi 14 mai à la Maison des
Associations. Plus d'infos sur notre site.

Bien à vous,
Claire`;
    const found = gaz.findPlacesInText(text).filter((m) => m.confidence >= 0.5);
    expect(found.map((m) => m.commune.code)).toEqual(['26198']);
  });
});

describe('findDepartement', () => {
  it.each([
    ['dans la Drôme', '26'],
    ['on cherche en Ardèche', '07'],
    ['Die (26)', '26'],
    ['département 2A', '2A'],
    ['dans le Nord', '59'],
    ['Nous habitons dans le Cher', '18'],
    ['Habitat groupé en Corse-du-Sud', '2A'],
    ['dans les Côtes-d’Armor', '22'],
    ['à la Réunion', '974'],
  ])('%s', (text, code) => {
    expect(findDepartement(text)?.code).toBe(code);
  });

  it('ignores département names used as ordinary words or inside other names', () => {
    expect(findDepartement('Cher ami, merci')).toBeNull();
    expect(findDepartement('au nord de la ville')).toBeNull();
    expect(findDepartement('Villeneuve-sur-Lot')).toBeNull();
    expect(findDepartement('Pays de la Loire')).toBeNull();
  });

  it('gives a usable centre for a département-only profile', () => {
    const drome = findDepartement('dans la Drôme')!;
    expect(haversineKm(drome.lat, drome.lon, 44.73, 5.0)).toBeLessThan(40);
  });
});

describe('departementName', () => {
  it('names départements, Corsica and DOM', () => {
    expect(departementName('26')).toBe('Drôme');
    expect(departementName('2A')).toBe('Corse-du-Sud');
    expect(departementName('2b')).toBe('Haute-Corse');
    expect(departementName('974')).toBe('La Réunion');
    expect(departementName('20')).toBeNull();
  });
});

describe('haversineKm', () => {
  it('measures Paris–Lyon at about 392 km', () => {
    const paris = gaz.byCode('75056')!;
    const lyon = gaz.byCode('69123')!;
    expect(haversineKm(paris.lat, paris.lon, lyon.lat, lyon.lon)).toBeGreaterThan(385);
    expect(haversineKm(paris.lat, paris.lon, lyon.lat, lyon.lon)).toBeLessThan(400);
  });

  it('is zero on a point, symmetric, and right at the antipode', () => {
    expect(haversineKm(44.75, 5.37, 44.75, 5.37)).toBe(0);
    expect(haversineKm(44.75, 5.37, 44.72, 5.02)).toBeCloseTo(haversineKm(44.72, 5.02, 44.75, 5.37), 9);
    expect(haversineKm(0, 0, 0, 180)).toBeCloseTo(Math.PI * 6371.0088, 3);
  });

  it('keeps fallback placements close to reality', () => {
    // Communes without a GeoNames point sit at their EPCI's centre: within the EPCI's reach.
    const fallback = gaz.communes.filter((c) => c.placement === 'epci' && c.departement === '26');
    expect(fallback.length).toBeGreaterThan(100);
    const die = gaz.byCode('26113')!;
    const near = fallback.filter((c) => c.epci === die.epci);
    for (const c of near) expect(haversineKm(c.lat, c.lon, die.lat, die.lon)).toBeLessThan(40);
  });
});

describe('cache', () => {
  it('rebuilds into a given file and reads it back identically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'maillage-geo-'));
    try {
      const path = join(dir, 'communes.json');
      const built = createGazetteer({ cache: 'use', cachePath: path });
      expect(built.origin).toBe('built');
      expect(existsSync(path)).toBe(true);
      const read = createGazetteer({ cache: 'use', cachePath: path });
      expect(read.origin).toBe('cache');
      expect(read.communes).toEqual(built.communes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
