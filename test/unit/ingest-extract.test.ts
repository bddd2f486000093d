import { describe, expect, it } from 'vitest';
import { cleanDisplayName, extractProfile, ownWords, type PlaceFinder, type PlaceMentionLike } from '../../src/ingest/extract.js';
import { detectCategories, detectRole } from '../../src/ingest/lexicon.js';
import { trimReply } from '../../src/ingest/trim.js';
import type { ParsedMessage } from '../../src/ingest/parse.js';

function message(text: string, from: { address: string; name: string } | null = { address: 'marie@exemple.fr', name: 'Marie Dupont' }, subject = 'Re: La Lettre'): ParsedMessage {
  return {
    from,
    to: [],
    cc: [],
    replyTo: [],
    deliveredTo: [],
    subject,
    messageId: null,
    inReplyTo: null,
    references: [],
    date: null,
    headers: {},
    text,
    textSource: 'text',
    attachments: [],
    contentType: 'text/plain',
    isMultipartReport: false,
    reportType: null,
    returnedHeaders: null,
    size: text.length,
    problems: [],
  };
}

/** A gazetteer that knows a handful of places, each written as in the text. */
function fakeGazetteer(places: Record<string, { code: string; name: string; departement: string; postcodes: string[] }[]>): PlaceFinder {
  return {
    scan(text: string) {
      const out: PlaceMentionLike[] = [];
      for (const [written, communes] of Object.entries(places)) {
        const index = text.indexOf(written);
        if (index < 0) continue;
        for (const c of communes) {
          out.push({ commune: { ...c, lat: 45, lon: 5 }, postcode: c.postcodes.length === 1 ? c.postcodes[0]! : null, index, length: written.length, via: 'name', confidence: 0.8 });
        }
      }
      return { places: out, departements: [] };
    },
  };
}

describe('cleanDisplayName', () => {
  it('tidies the ways people appear in From', () => {
    expect(cleanDisplayName('MARTIN Marie')?.name).toBe('Marie Martin');
    expect(cleanDisplayName('"Marie Martin"')?.name).toBe('Marie Martin');
    expect(cleanDisplayName('marie.martin')?.name).toBe('Marie Martin');
    expect(cleanDisplayName('marie martin')?.name).toBe('Marie Martin');
    expect(cleanDisplayName('Martin, Marie')?.name).toBe('Marie Martin');
    expect(cleanDisplayName('Marie Martin (via Google Docs)')?.name).toBe('Marie Martin');
    expect(cleanDisplayName('LE BIHAN Monique')?.name).toBe('Monique Le Bihan');
    expect(cleanDisplayName('jean-luc.moreau@orange.fr')?.name).toBe('Jean-Luc Moreau');
    expect(cleanDisplayName('')).toBeNull();
  });

  it('marks structures as organisations', () => {
    expect(cleanDisplayName('Association Les Jardins de Die')?.organisation).toBe(true);
    expect(cleanDisplayName('Ferme du Bois Joli')?.organisation).toBe(true);
    expect(cleanDisplayName('Marie Dupont')?.organisation).toBe(false);
  });
});

describe('extractProfile: name', () => {
  it('prefers a person in the display name, then the signature, then the local part', () => {
    const sig = 'Nous montons une AMAP.\n\nBien à vous,\nSophie Marchand\n06 12 34 56 78';
    expect(extractProfile(message(sig), trimReply(sig), null).name).toBe('Marie Dupont');
    expect(extractProfile(message(sig, { address: 'contact@amap.fr', name: 'AMAP du Diois' }), trimReply(sig), null).name).toBe('Sophie Marchand');
    expect(extractProfile(message('Nous montons une AMAP.', { address: 'paul.henry@free.fr', name: '' }), trimReply('Nous montons une AMAP.'), null).name).toBe('Paul Henry');
    expect(extractProfile(message('Nous montons une AMAP.', { address: 'contact@amap.fr', name: '' }), trimReply('Nous montons une AMAP.'), null).name).toBeNull();
    const signOff = 'Nous montons une AMAP.\n\nBelle journée, Louise';
    expect(extractProfile(message(signOff, { address: 'contact@amap.fr', name: '' }), trimReply(signOff), null).name).toBe('Louise');
  });

  it('has a null email without a From', () => {
    expect(extractProfile(message('x', null), trimReply('x'), null).email).toBeNull();
  });
});

describe('extractProfile: place', () => {
  const gaz = fakeGazetteer({
    Crest: [{ code: '26108', name: 'Crest', departement: '26', postcodes: ['26400'] }],
    Lyon: [{ code: '69123', name: 'Lyon', departement: '69', postcodes: ['69001', '69002'] }],
    'Saint-Martin': [
      { code: '32385', name: 'Saint-Martin', departement: '32', postcodes: ['32300'] },
      { code: '38500', name: 'Saint-Martin', departement: '38', postcodes: ['38410'] },
    ],
  });

  it('takes the place in the message over the address in the signature', () => {
    const text = "Notre habitat groupé à Crest avance.\n\nJuliette\n12 rue de la Charité\n69002 Lyon\n06 45 87 12 33";
    const p = extractProfile(message(text), trimReply(text), gaz);
    expect(p).toMatchObject({ commune: 'Crest', postcode: '26400', departement: '26', communeCode: '26108' });
  });

  it('falls back to the signature when the message names no place', () => {
    const text = 'Nous montons une épicerie coopérative dans notre village.\n\nJuliette\n12 rue de la Charité\n69002 Lyon';
    expect(extractProfile(message(text), trimReply(text), gaz).commune).toBe('Lyon');
  });

  it('settles homonyms with a département written in the message', () => {
    const text = 'Je cherche une ferme à rejoindre vers Saint-Martin (38), merci.';
    expect(extractProfile(message(text), trimReply(text), gaz)).toMatchObject({ commune: 'Saint-Martin', departement: '38' });
  });

  it('keeps only the département when no commune is named, and nulls when nothing is', () => {
    const text = 'Je cherche un habitat partagé dans le département 29.';
    expect(extractProfile(message(text), trimReply(text), gaz)).toMatchObject({ commune: null, postcode: null, departement: '29', lat: null, lon: null });
    const none = 'Je cherche un habitat partagé.';
    expect(extractProfile(message(none), trimReply(none), gaz)).toMatchObject({ commune: null, departement: null });
  });

  it('ignores the subject of a reply (it is the bulletin\'s) but reads a fresh one', () => {
    const text = 'Je cherche un habitat partagé.';
    expect(extractProfile(message(text, undefined, 'Re: Rencontres à Crest'), trimReply(text), gaz).commune).toBeNull();
    expect(extractProfile(message(text, undefined, 'Habitat partagé à Crest'), trimReply(text), gaz).commune).toBe('Crest');
  });
});

describe('ownWords', () => {
  it('drops the greeting and the sign-off, keeps the rest as written', () => {
    expect(ownWords('Bonjour à tous,\n\nNous montons un lieu.\nÀ bientôt !')).toBe('Nous montons un lieu.');
    expect(ownWords('Bonjour, nous montons un lieu.')).toBe('Nous montons un lieu.');
    expect(ownWords('Madame, Monsieur,\nJe cherche un projet.')).toBe('Je cherche un projet.');
  });
});

describe('lexicon: roles', () => {
  const cases: [string, string | null][] = [
    ['On monte un habitat partagé', 'porteur'],
    ['Nous créons une ferme collective', 'porteur'],
    ['Je lance un repair café dans mon quartier', 'porteur'],
    ['Notre projet a besoin de bras', 'porteur'],
    ['Nous cherchons des associés pour la ferme', 'porteur'],
    ['Nous recherchons deux foyers', 'porteur'],
    ['Je souhaite rejoindre un éco-lieu', 'rejoindre'],
    ["J'aimerais participer à un projet collectif", 'rejoindre'],
    ['Je cherche un projet d’habitat partagé', 'rejoindre'],
    ['Intéressée pour intégrer un habitat groupé', 'rejoindre'],
    ['Je suis architecte et je travaille la paille', 'ressource'],
    ['Je suis formatrice en permaculture', 'ressource'],
    ['Notre structure accompagne les collectifs', 'ressource'],
    ['Je propose mes compétences en comptabilité', 'ressource'],
    ['Merci pour la lettre', null],
  ];
  for (const [text, role] of cases) it(`"${text}" → ${role}`, () => expect(detectRole(text)).toBe(role));
});

describe('lexicon: categories', () => {
  const cases: [string, string][] = [
    ['un habitat participatif', 'habitat-partage'],
    ['un habitat groupé', 'habitat-partage'],
    ['une colocation écologique', 'habitat-partage'],
    ['un Repair Café', 'reparation'],
    ['un atelier vélo', 'reparation'],
    ['du maraîchage bio', 'ferme'],
    ['une installation paysanne en ferme collective', 'ferme'],
    ['acheter un village à plusieurs', 'achat-foncier'],
    ['acheter un hameau', 'achat-foncier'],
    ['acheter un terrain ensemble', 'achat-foncier'],
    ['construction en paille', 'eco-construction'],
    ['enduits chaux-chanvre', 'eco-construction'],
    ["l'éco-rénovation", 'eco-construction'],
    ['un cabinet d’architecte', 'eco-construction'],
    ['une AMAP', 'alimentation'],
    ['une épicerie coopérative', 'alimentation'],
    ['un jardin partagé', 'alimentation'],
    ['un écolieu', 'eco-lieu'],
    ['un fab lab', 'fablab'],
    ['un tiers-lieu', 'tiers-lieu'],
    ['une centrale villageoise', 'energie'],
    ['de l’autopartage', 'mobilite'],
    ['une recyclerie', 'reemploi'],
    ['une école dehors', 'education'],
    ['une résidence d’artistes', 'culture'],
    ['restaurer des zones humides', 'biodiversite'],
    ['un club Cigales', 'finance-solidaire'],
  ];
  for (const [text, category] of cases) it(`"${text}" → ${category}`, () => expect(detectCategories(text)).toContain(category));

  it('does not read a farm into a kitchen garden, nor anything into small talk', () => {
    expect(detectCategories('un petit potager derrière la maison')).toEqual([]);
    expect(detectCategories('Merci pour la lettre, à bientôt')).toEqual([]);
  });
});
