// Is this reply to a proposal a yes, a no, or neither? Pure. Saying yes gives one's address to
// someone, so a yes must be plain and uncontradicted; a no needs less (nothing is revealed and
// the next proposal comes as usual); anything unclear goes to a person on the team.

export type ReplyAnswer = 'accept' | 'decline';

/** Lowercase, no accents, straight apostrophes, inclusive endings folded ("intéressé·e" → "interesse"). */
export function normaliseAnswer(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(/[«»"“”]/g, ' ')
    // inclusive writing: intéressé·e, intéressé.e, intéressé(e), partant·es, intéressé-e
    .replace(/([a-z])(?:[·•.\-]e(?:s)?|\(e\)(?:s)?|\(es\))(?=[^a-z]|$)/g, '$1')
    .replace(/\u00a0/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

const GREETING = /^(?:bonjour|bonsoir|salut|hello|coucou|hi|cher|chere|chers|madame|monsieur|re)\b[^,.!?\n]{0,40}[,.!\n]\s*/;
const THANKS_LEAD = /^(?:merci(?: beaucoup| bien| pour (?:cette|la|votre) (?:proposition|mise en relation|message))?\s*[,.!]+\s*)/;

/** Phrases that say no (checked first: "je ne suis pas intéressé" contains "intéressé"). */
const DECLINE_PATTERNS: RegExp[] = [
  /^non\b/,
  /^no\b(?! ?problem)/,
  /^nope\b/,
  /\bnon merci\b/,
  /\b(?:pas|plus) interesse/,
  /\bne (?:m'|nous )?interesse(?:nt)? (?:pas|plus)\b/,
  /\bpas (?:pour )?(?:le moment|l'instant|maintenant|tout de suite|cette fois|en ce moment)\b/,
  /\bpas pour (?:moi|nous)\b/,
  /\bpas d'accord\b/,
  /\bje (?:ne )?(?:prefere|prefererais) (?:pas|ne pas|decliner|m'abstenir|passer)\b/,
  /\b(?:je|nous) (?:ne |n')?(?:suis|sommes|serai|serons|suis plus|sommes plus) (?:pas|plus) (?:interesse|disponible|dispo|partant|motive)/,
  /\b(?:je|nous) ne (?:veux|voulons|souhaite|souhaitons|peux|pouvons|donnerai|donnerons) (?:pas|plus)\b/,
  /\bje decline\b|\bnous declinons\b|\bje refuse\b|\bnous refusons\b|\bje passe mon tour\b|\bsans (?:moi|nous)\b/,
  /\bpas (?:disponible|dispo|partant|motive)\b/,
  /\bce n'est pas (?:le bon moment|pour moi|pour nous)\b/,
];

/** Phrases that say yes, when nothing in the same words says no. */
const ACCEPT_PATTERNS: RegExp[] = [
  /^(?:oui|ouii+|ok|okay|oki|d'accord|daccord|dac|yes|yep|volontiers|banco|carrement|evidemment|absolument|parfait|super|genial|avec (?:grand |un grand |beaucoup de )?plaisir|avec joie|bien sur|pourquoi pas|allons-y|go)\b/,
  /\b(?:tres |bien )?volontiers\b/,
  /\bavec (?:grand |un grand |beaucoup de )?plaisir\b/,
  /\b(?:c'est |tout a fait )?d'accord\b/,
  /\bj'accepte\b|\bnous acceptons\b|\bj'accepte volontiers\b/,
  /\b(?:je|nous) (?:veux|voulons) bien\b/,
  /\b(?:je suis|nous sommes|suis|sommes) (?:tres |vraiment )?(?:partante?s?|ok|d'accord|interessee?s?|ravie?s?|dispo|disponibles?|motivee?s?)\b/,
  /\b(?:ca|cela) (?:m'|nous )interesse\b/,
  /\b(?:ca|cela) (?:me|nous) (?:va|convient|dit|plairait|ferait plaisir)\b/,
  /\bca marche\b/,
  /\bmettez-nous en relation\b|\bmettez nous en relation\b/,
];

/** Yes and no in the same breath: the team reads it. */
const CONTRADICTION = /\boui (?:et|ou) non\b|\bnon (?:et|ou) oui\b|\bje ne sais pas\b|\bje sais pas\b|\bpeut-etre\b|\bpeut etre\b|\bhesite\b|\bj'hesite\b/;

/**
 * Reads the first words of a reply (its quote and signature already removed by the intake
 * trimmer) as a yes, a no, or null when unsure.
 */
export function understandAnswer(body: string): ReplyAnswer | null {
  let text = normaliseAnswer(body);
  // Greeting and thanks lines carry no answer: "Bonjour Marie,\nOui avec plaisir".
  for (let i = 0; i < 3; i++) {
    const before = text;
    text = text.replace(GREETING, '').replace(THANKS_LEAD, '').trimStart();
    if (text === before) break;
  }
  if (!text) return null;
  // The answer is in the first sentence or two; what follows is context ("je suis dispo mardi").
  const sentences = text.split(/(?<=[.!?…])\s+|\n+/).map((s) => s.trim()).filter(Boolean);
  const zone = sentences.slice(0, 2).join(' ').replace(/[!.…]+/g, ' ').replace(/\s+/g, ' ').trim();
  const words = zone.split(' ').filter(Boolean).length;
  if (words === 0) return null;
  if (CONTRADICTION.test(zone)) return null;

  // "Non, …" is a no whatever follows ("non merci, mais bravo, avec plaisir une autre fois").
  if (/^(?:non|no|nope)\b/.test(zone)) return 'decline';
  const declines = DECLINE_PATTERNS.some((re) => re.test(zone));
  const accepts = ACCEPT_PATTERNS.some((re) => re.test(zone));
  // "Oui mais pas pour le moment": both at once, a person decides.
  if (declines) return accepts ? null : 'decline';
  if (!accepts) return null;
  // A yes must come early: a long first sentence that only mentions "d'accord" somewhere is not an answer.
  const firstHit = Math.min(...ACCEPT_PATTERNS.map((re) => re.exec(zone)?.index ?? Infinity));
  return firstHit <= 40 ? 'accept' : null;
}
