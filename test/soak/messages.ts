// Registration replies for the soak tests: many different people, each writing a few sentences
// about a project in a real commune, authenticated by the receiving server (so each one is
// registered and acknowledged at once). Deterministic for an index.
import { email, OUR_DOMAIN, QUOTED_BULLETIN } from '../integration/intake-messages.js';

const FIRST = ['Marie', 'Paul', 'Inès', 'Karim', 'Léa', 'Hugo', 'Chloé', 'Yanis', 'Zoé', 'Noé', 'Jeanne', 'Malik', 'Anaïs', 'Louis', 'Sarah', 'Tom'];
const LAST = ['Dupont', 'Martin', 'Bernard', 'Petit', 'Robert', 'Richard', 'Durand', 'Moreau', 'Laurent', 'Simon', 'Michel', 'Lefèvre'];
const PLACES = ['Die', 'Crest', 'Saillans', 'Lannion', 'Figeac', 'Privas', 'Tulle', 'Poitiers', 'Rennes', 'Roubaix', 'Saint-Nazaire', 'Aurillac', 'Millau', 'Guéret', 'Foix', 'Cahors'];
const PROJECTS = [
  'Avec quatre amis on monte un habitat partagé près de {place}, on cherche encore deux ou trois foyers motivés par les chantiers participatifs.',
  'Je voudrais rejoindre un jardin partagé ou une AMAP vers {place}, j\'ai du temps le week-end et un peu d\'expérience en maraîchage.',
  'Notre association ouvre un repair café à {place} : il nous manque des bénévoles qui savent réparer l\'électroménager et les vélos.',
  'Nous lançons une épicerie coopérative en vrac à {place} et cherchons des producteurs locaux et des coopérateurs.',
  'Je suis menuisière, je peux aider un projet d\'écoconstruction en paille ou en bois autour de {place}.',
  'On cherche des gens pour créer un tiers-lieu avec atelier partagé et fablab dans une ancienne grange à {place}.',
];

export function registrationIndexAddress(i: number): string {
  return `personne.${i}@exemple-${i % 7}.fr`;
}

/** The i-th person's registration reply (distinct sender, Message-ID and text). */
export function registrationReply(i: number): Buffer {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
  const place = PLACES[(i * 7) % PLACES.length]!;
  const project = PROJECTS[i % PROJECTS.length]!.replace('{place}', place);
  return email({
    from: `${first} ${last} <${registrationIndexAddress(i)}>`,
    messageId: `<soak-${i}@exemple.fr>`,
    auth: 'pass',
    body: `Bonjour,\n\n${project}\n\n${first}${QUOTED_BULLETIN}`,
    to: `La Lettre des Racines <inscription@${OUR_DOMAIN}>`,
  });
}
