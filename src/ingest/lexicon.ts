// The words people use in French for each project category and role. Patterns run on folded
// text (lowercase, accents removed, typographic apostrophes made plain — see foldText), so
// "Éco-rénovation", "eco renovation" and "écorénovation" are one pattern. Variants matter more
// than precision here: a missed category costs a match, a wrong one is corrected by the person
// when we tell them what we understood.
import type { Category, Role } from '../vocabulary.js';

/** Lowercase, no diacritics, plain apostrophes and hyphens, collapsed spaces. */
export function foldText(text: string): string {
  // Every message is folded several times, so the steps are spared when they would change
  // nothing: NFD and mark removal are the identity on ASCII, and the five replacements (œ, æ,
  // apostrophes, dashes, runs of spaces) are done in one pass, only when there is one to do.
  // None of them produces what another one replaces, so one pass gives what five in a row did.
  let s = NON_ASCII_RE.test(text) ? text.normalize('NFD').replace(/[\u0300-\u036f]/g, '') : text;
  s = s.toLowerCase();
  return FOLD_SPECIAL_RE.test(s) ? s.replace(FOLD_SPECIAL_ALL_RE, (c) => FOLD_REPLACEMENTS.get(c) ?? ' ') : s;
}

const NON_ASCII_RE = /[^\x00-\x7f]/;
/** What foldText replaces after lowercasing: a single plain space is already folded. */
const FOLD_SPECIAL_RE = /[œæ’‘`´‐‑‒–—\t\u00a0\u202f]| {2}/;
/** The same, as matches to replace: a character, or a run of spaces (any kind) that becomes one ' '. */
const FOLD_SPECIAL_ALL_RE = /[œæ’‘`´‐‑‒–—]|[ \t\u00a0\u202f]{2,}|[\t\u00a0\u202f]/g;
const FOLD_REPLACEMENTS = new Map([
  ['œ', 'oe'],
  ['æ', 'ae'],
  ...[...'’‘`´'].map((c) => [c, "'"] as const),
  ...[...'‐‑‒–—'].map((c) => [c, '-'] as const),
]);

const S = 's?'; // optional plural
const E = '(?:e|es|s|x)?'; // optional feminine/plural endings

/** Category → patterns on folded text. A weight of 2 marks an unambiguous phrase. */
export const CATEGORY_PATTERNS: Record<Category, Array<[RegExp, number]>> = {
  'eco-lieu': [
    [/\beco-? ?lieu[x]?\b/, 2],
    [/\beco-? ?villages?\b/, 2],
    [/\boasis\b/, 1],
    [/\blieux? (?:de vie )?(?:collectif|ecologique|alternatif|partage|autonome|resilient)s?\b/, 2],
    [/\bcommunaute (?:intentionnelle|de vie|ecologique)\b/, 2],
    [/\bhameau (?:ecologique|collectif|partage)\b/, 2],
  ],
  'habitat-partage': [
    [/\bhabitats? (?:partage|participatif|groupe|collectif|inclusif|solidaire|intergenerationnel|leger|cooperatif)s?\b/, 2],
    [/\bco-?locations? (?:ecologique|solidaire|intergenerationnelle|partagee)s?\b/, 2],
    [/\bco-?locations?\b/, 1],
    [/\bco-?habitats?\b|\bco-?housing\b/, 2],
    [/\b(?:logement|maison|appartement)s? partage(?:e|es|s)?\b/, 2],
    [/\b(?:tiny[ -]?house|yourte|roulotte)s?\b/, 1],
    [/\bcooperative d'habitants\b|\bcooperative d'habitat\b/, 2],
    [/\b(?:foyers|familles|cohabitants|futurs? habitants|habitant(?:e|es|s)?)\b/, 1],
    [/\bvivre (?:ensemble|en collectif|en communaute)\b/, 1],
  ],
  fablab: [
    [/\bfab ?labs?\b/, 2],
    [/\b(?:maker|hacker)-?spaces?\b/, 2],
    [/\bimprimantes? 3d\b|\bdecoupe laser\b/, 1],
    [/\batelier (?:de fabrication|numerique|partage)\b/, 1],
  ],
  reparation: [
    [/\brepair'? ?cafes?\b/, 2],
    [/\bateliers? (?:velo|de reparation|d'auto-?reparation|participatif de reparation|mecanique)s?\b/, 2],
    [/\breparation|\breparer\b|\breparateur|\bauto-?reparation/, 1],
    [/\bvelo-?solidaire|\bcyclofficine|\bcyclo-?officine/, 2],
  ],
  ferme: [
    [/\bfermes?\b(?! (?:la|les) (?:portes?|yeux))/, 1],
    [/\bfermes? (?:cooperative|collective|paysanne|bio|pedagogique|agro-?ecologique|en permaculture|maraichere)s?\b/, 2],
    [/\bmaraich\w*/, 2],
    [/\bpaysan(?:ne|nes|s)?\b/, 1],
    [/\bagricult\w*|\bagricole\w*|\bagro-?ecolog\w*|\bagroforest\w*/, 2],
    [/\bpermaculture\b/, 1],
    [/\belevage\w*|\beleveu(?:r|se)s?\b|\bbergeri?e?s?\b|\bchevres?\b|\bbrebis\b/, 1],
    [/\b(?:arboricult|viticult|apicult|horticult|vigneron|cereali|semences? paysannes?)\w*/, 1],
    // A kitchen garden alone is not a farm: these only tip the balance next to another word.
    [/\bverger\w*|\bpotager\w*|\blegumes\b|\bculture de\b|\bcultiver\b/, 0.5],
    [/\bgaec\b|\bcivam\b|\binstallation agricole\b|\bterres? agricoles?\b/, 2],
  ],
  'achat-foncier': [
    [/\b(?:achat|acquisition|rachat)s? (?:collecti(?:f|ve)|groupe|en commun|a plusieurs|ensemble|en collectif)\b/, 2],
    [/\b(?:acheter|racheter|acquerir|achetons|rachetons|acquerons|achete|rachete|acheteur)\b[^.?!]{0,60}\b(?:a plusieurs|ensemble|collectivement|en commun|en collectif|entre nous|a \d+|a (?:deux|trois|quatre|cinq|six|sept|huit|dix))\b/, 2],
    [/\b(?:acheter|racheter|acquerir|achat|rachat|acquisition)\b[^.?!]{0,40}\b(?:un |une |le |la |l'|d'un |d'une )?(?:village|hameau)x?\b/, 2],
    [/\b(?:acheter|racheter|acquerir|achat|rachat|acquisition)\b[^.?!]{0,40}\b(?:terrain|terre|batiment|corps de ferme|ferme|domaine|propriete|chateau|moulin|bati|foncier|lieu)s?\b/, 1],
    [/\bfoncier(?:e|es|s)?\b|\bsci\b|\bterre de liens\b|\bfonciere\b/, 1],
  ],
  'eco-construction': [
    [/\beco-? ?construct\w*|\beco-? ?renov\w*|\bbio-?construct\w*/, 2],
    [/\bpaille\b|\bchanvre\b|\bterre crue\b|\bpise\b|\bbauge\b|\btorchis\b|\bcob\b|\bbois cordes?\b/, 2],
    [/\barchitecte\w*|\barchitecture\b|\bmaitre d'oeuvre\b|\bmaitrise d'oeuvre\b/, 2],
    [/\bbioclimatique\w*|\bbiosource\w*|\bisolation (?:naturelle|ecologique|biosourcee)\b|\bauto-?construct\w*|\bchantiers? participatifs?\b/, 1],
    [/\brenovation\w*|\brehabilit\w*|\bcharpent\w*|\bmaconn\w*/, 1],
  ],
  formation: [
    [/\bformations?\b|\bformat(?:eur|rice|eurs|rices)\b|\borganisme de formation\b/, 2],
    [/\bstages?\b|\bcours\b|\bmodules?\b|\bcursus\b|\btransmettre\b|\btransmission de savoirs?\b/, 1],
    [/\bse former\b|\bformer (?:des|les)\b/, 1],
  ],
  'tiers-lieu': [
    [/\btiers-? ?lieu[x]?\b/, 2],
    [/\bco-?working\b|\bcafes? (?:associatif|culturel|citoyen|solidaire)s?\b|\bfriches?\b|\blieu hybride\b|\bespaces? partages?\b|\btiers lieux\b/, 2],
  ],
  alimentation: [
    [/\bamaps?\b|\balimentation\b/, 2],
    [/\bepiceries? (?:cooperative|solidaire|participative|associative|(?:en )?vrac|bio|itinerante)s?\b|\bsupermarches? cooperatifs?\b/, 2],
    [/\bjardins? (?:partage|collectif|partagee|familial|familiaux|ouvrier|solidaire|nourricier)s?\b|\bpotagers? (?:collectif|partage)s?\b/, 2],
    [/\bcircuits? courts?\b|\bgroupements? d'achats?\b|\bcantines?\b|\bcuisine (?:collective|partagee|solidaire)\b|\bboulanger\w*|\brestaurants? (?:associatif|solidaire)s?\b|\blegumerie\b|\bautonomie alimentaire\b/, 1],
  ],
  energie: [
    [/\benergies? (?:citoyenne|renouvelable|partagee|solaire)s?\b|\bcentrales? villageoises?\b|\benercoop\b/, 2],
    [/\bphotovolta\w*|\bpanneaux solaires\b|\beolien\w*|\bmethanis\w*|\bhydroelectri\w*|\bsolaire\b|\bautonomie energetique\b|\benergie\b|\bbois[ -]energie\b/, 1],
  ],
  mobilite: [
    [/\bautopartage\b|\bauto-partage\b|\bco-?voiturage\b|\bmobilites?\b|\bvelo-?ecoles?\b|\bvelos?[ -]cargos?\b|\btransport solidaire\b|\bpistes? cyclables?\b/, 2],
    [/\bvelos?\b|\bnavettes?\b|\btransports? en commun\b/, 1],
  ],
  reemploi: [
    [/\brecycleries?\b|\bressourceries?\b|\bemmaus\b|\bzero dechets?\b|\bre-?emploi\b|\bmateriautheques?\b|\bdonneries?\b|\bgratiferias?\b|\bupcycling\b/, 2],
    [/\bdechets?\b|\brecyclage\b|\bseconde main\b|\bfriperies?\b|\bvrac\b|\breutilis\w*|\bcompost\w*|\banti-?gaspi\w*/, 1],
  ],
  education: [
    [/\becoles? (?:alternative|democratique|montessori|steiner|dehors|du dehors|nature|de la foret|associative|libre|hors contrat)s?\b|\beducation (?:populaire|a l'environnement|nature)\b/, 2],
    [/\becoles?\b|\beducat\w*|\bpedagog\w*|\benfants?\b|\bcreches?\b|\bscolaire\w*|\bsensibilisation\b|\bclasses? (?:verte|dehors)s?\b/, 1],
  ],
  culture: [
    [/\bresidences? d'artistes?\b|\becoles? (?:de cirque|de musique|de theatre|de danse)\b|\bcentre culturel\b|\bprogrammation culturelle\b|\bcompagnie de theatre\b/, 2],
    [/\bculturel(?:le|les|s)?\b|\bartistes?\b|\bartistiques?\b|\bspectacles?\b|\btheatre\b|\bmusique\w*|\bconcerts?\b|\bfestival\w*|\bcinema\b|\bbibliotheque\w*|\bdanse\b|\bcirque\b/, 1],
  ],
  biodiversite: [
    [/\bbiodiversite\b|\bespaces? naturels?\b|\bpatrimoine naturel\b|\bprotection de la nature\b|\brenaturation\b|\breensauvag\w*|\bzones? humides?\b|\brefuges? lpo\b|\bnaturalistes?\b/, 2],
    [/\bhaies?\b|\bmares?\b|\bfaune\b|\bflore\b|\bforets?\b|\barbres?\b|\bapicult\w*|\babeilles?\b|\bpollinisat\w*|\bsauvage\w*/, 1],
  ],
  'finance-solidaire': [
    [/\bfinance(?:ment)? solidaire\b|\bepargne solidaire\b|\bcigales?\b|\bclubs? d'investisseurs?\b|\bmonnaies? locales?\b|\bfinancement participatif\b|\bcrowdfunding\b|\bfrance active\b|\bla nef\b|\bfonds de dotation\b/, 2],
    [/\binvestisseu\w*|\bprets? solidaires?\b|\bepargn\w*|\bactionnari\w*/, 1],
  ],
};

// Global copies, compiled once, for the exec loop in computeCategories (lastIndex from 0).
const COMPILED_CATEGORIES = (Object.entries(CATEGORY_PATTERNS) as [Category, Array<[RegExp, number]>][]).map(
  ([category, patterns]) => [category, patterns.map(([re, w]) => [new RegExp(re.source, 'g'), w] as const)] as const,
);

/** A category needs this much weight to be reported (one strong phrase, or two weak words). */
const CATEGORY_THRESHOLD = 2;
const MAX_CATEGORIES = 4;

export interface CategoryHit {
  category: Category;
  score: number;
  /** Offset of the first hit in the folded text, to order ties by what was said first. */
  first: number;
}

/** Categories mentioned in `text`, strongest first (ties: first mentioned). */
export function detectCategories(text: string, options: { folded?: boolean } = {}): Category[] {
  return scoreCategories(text, options)
    .filter((h) => h.score >= CATEGORY_THRESHOLD)
    .slice(0, MAX_CATEGORIES)
    .map((h) => h.category);
}

// Classification and extraction score the same text one after the other: remember the last one.
let lastCategories: { folded: string; hits: CategoryHit[] } | null = null;
let lastRoles: { folded: string; scores: RoleScore[] } | null = null;

export function scoreCategories(text: string, options: { folded?: boolean } = {}): CategoryHit[] {
  const folded = options.folded ? text : foldText(text);
  if (lastCategories?.folded === folded) return lastCategories.hits.map((h) => ({ ...h }));
  const hits = computeCategories(folded);
  lastCategories = { folded, hits };
  return hits.map((h) => ({ ...h }));
}

function computeCategories(folded: string): CategoryHit[] {
  const hits: CategoryHit[] = [];
  for (const [category, patterns] of COMPILED_CATEGORIES) {
    let score = 0;
    let first = Infinity;
    for (const [global, weight] of patterns) {
      // Up to two matches of each pattern. exec on the one global copy rather than matchAll,
      // which clones the regex on every call (~120 clones per message). No pattern matches the
      // empty string, but step over one as matchAll would rather than loop on it.
      let count = 0;
      global.lastIndex = 0;
      for (let m = global.exec(folded); m !== null; m = count < 2 ? global.exec(folded) : null) {
        if (m[0] === '') global.lastIndex++;
        if (count === 0) first = Math.min(first, m.index);
        count++;
      }
      // Repeating a weak word counts a little, not as much as a strong phrase.
      if (count > 0) score += weight + (count > 1 && weight === 1 ? 0.5 : 0);
    }
    if (score > 0) hits.push({ category, score, first });
  }
  return hits.sort((a, b) => b.score - a.score || a.first - b.first);
}

// ---------------------------------------------------------------------------------------------
// Roles.

const VERB_WE = '(?:nous|on)';
export const ROLE_PATTERNS: Record<Role, Array<[RegExp, number]>> = {
  porteur: [
    [new RegExp(`\\b${VERB_WE} (?:(?:est|sommes) en train de |vient de |venons de |va |allons )?(?:monte|montons|monter|cree|creons|creer|lance|lancons|lancer|construit|construisons|demarre|demarrons|developpe|developpons|porte|portons|prepare|preparons|fonde|fondons|ouvre|ouvrons|installe|installons|imagine|imaginons|reflechit a|reflechissons a)\\b`), 3],
    [/\bje (?:suis en train de |viens de |vais )?(?:monte|monter|cree|creer|lance|lancer|porte|developpe|demarre|prepare|fonde|ouvre|construis)\b/, 3],
    [/\b(?:notre|mon) (?:projet|collectif|association|asso|ferme|lieu|habitat|tiers-lieu|eco-lieu|repair cafe|atelier|cooperative|groupe)\b/, 2],
    [/\b(?:collectif|association|asso|groupe|equipe|cooperative|personnes|habitants|amis|amies) (?:[\w'-]+ ){0,4}qui (?:monte|montent|lance|lancent|cree|creent|porte|portent|developpe|developpent|ouvre|ouvrent)\b/, 3],
    [/\b(?:nous|on) (?:cherch|recherch)\w* (?:encore |actuellement |toujours )?(?:des|un|une|\d+|deux|trois|quatre|cinq|quelques|d'autres|de nouve(?:aux|lles)|notre) (?:[\w'-]+ ){0,4}(?:associe|foyer|famille|personne|benevole|membre|partenaire|habitant|collaborat|maraich|paysan|cohabitant|candidat|volontaire|cooperat|porteu|colocataire|investisseu|energie|gens|forces)/, 3],
    [/\b(?:cherchons|recherchons) (?:des|un|une|\d+|deux|trois|quatre|quelques|d'autres) (?:\w+ ){0,2}(?:associe|foyer|famille|personne|benevole|membre|partenaire|habitant|collaborat|maraich|paysan|cohabitant)/, 3],
    [/\b(?:nous avons|on a|j'ai) (?:trouve |achete |acquis )?(?:un|une|le|la) (?:terrain|lieu|batiment|ferme|corps de ferme|maison|grange|hameau|foncier)\b/, 2],
    [/\b(?:nous venons|je viens) d'(?:acheter|acquerir|creer|obtenir)\b/, 2],
    [/\brejoindre (?:notre|mon|nos) (?:projet|collectif|equipe|aventure|habitat|association|groupe|ferme|lieu)\b/, 3],
    [/\bporteu(?:r|se|rs|ses) (?:du|de ce|d'un) projet\b|\bje suis porteu(?:r|se) de projet\b|\bnous sommes porteu(?:rs|ses) d'un projet\b/, 3],
    [/\b(?:cherche|recherche) (?:des )?(?:associe|cohabitant|colocataire|foyer)s?\b/, 2],
  ],
  rejoindre: [
    [/\b(?:je|j') ?(?:souhaite|souhaiterais|voudrais|veux|aimerais|cherche a|desire|desirerais|reve de|envisage de|compte|suis pret(?:e)? a|serais ravie? de|serais interesse(?:e)? (?:de|pour|par)) (?:\w+ ){0,2}(?:rejoindre|participer|integrer|m'impliquer|m'investir|aider|contribuer|m'installer|vivre|habiter|decouvrir|m'engager|donner (?:un coup de main|de mon temps))\b/, 3],
    [/\b(?:nous|on) (?:souhaitons|souhaiterions|voudrions|aimerions|cherchons a|desirons|revons de|envisageons de|sommes prets? a) (?:\w+ ){0,2}(?:rejoindre|participer|integrer|nous impliquer|nous investir|aider|contribuer|nous installer|vivre|habiter)\b/, 3],
    [/\b(?:je|nous|on) (?:cherche|cherchons|recherche|recherchons) (?:activement |actuellement )?(?:un|une|des) (?:projet|lieu|collectif|habitat|eco-lieu|ecolieu|ecovillage|eco-village|ferme|colocation|groupe|communaute|oasis|structure)\b/, 3],
    [/\b(?:je suis|nous sommes) (?:a la recherche|en recherche) d'(?:un|une) (?:projet|lieu|collectif|habitat|eco-lieu|ferme|colocation|groupe|communaute)\b/, 3],
    [/\binteresse(?:e|es|s)? (?:pour|par|a l'idee d'|de) (?:integrer|rejoindre|participer|m'investir|vivre|un projet|un habitat|un eco-lieu|un lieu)\b/, 3],
    [/\ben (?:reconversion|bifurcation|transition professionnelle)\b|\bje bifurque\b/, 2],
    [/\bje suis (?:tres )?interesse(?:e)?\b|\bnous sommes (?:tres )?interesse(?:e|es|s)?\b/, 1],
    [/\bdonner (?:un coup de main|de mon temps)\b|\bbenevole\b/, 1],
    [/\bune place (?:dans|au sein d')\b/, 2],
  ],
  ressource: [
    [/\bje suis (?:\w+ )?(?:architecte|format(?:eur|rice)|accompagnat(?:eur|rice)|consultante?|juriste|notaire|charpenti(?:er|ere)|artisane?|paysagiste|facilitat(?:eur|rice)|animat(?:eur|rice)|ingenieure?|thermicien(?:ne)?|maitre d'oeuvre|urbaniste|avocate?|comptable|conseill(?:er|ere)|menuisi(?:er|ere)|geobiologue|bureau d'etudes?|designer|mediat(?:eur|rice))\b/, 3],
    [/\ben tant qu(?:e |')(?:architecte|format(?:eur|rice)|accompagnat(?:eur|rice)|consultante?|juriste|notaire|artisane?|facilitat(?:eur|rice)|professionnel(?:le)?|structure)\b/, 3],
    [/\b(?:notre|ma|mon) (?:structure|association|cabinet|bureau d'etudes?|cooperative|scop|scic|reseau|agence|entreprise|organisme) (?:\w+ ){0,3}(?:accompagne|propose|aide|forme|conseille|soutient|finance|met a disposition|intervient)\b/, 3],
    [/\b(?:j'accompagne|nous accompagnons|j'interviens|nous intervenons|je forme|nous formons|je conseille|nous conseillons)\b/, 3],
    [/\b(?:je|nous) (?:propose|proposons|offre|offrons|met|mets|mettons) (?:\w+ )?(?:mes|nos|des|un|une) (?:competences|services|formations|accompagnement|conseils|savoir-faire|expertise|ateliers)\b/, 3],
    [/\b(?:je peux|nous pouvons|je pourrais|nous pourrions) (?:vous )?(?:accompagner|aider|conseiller|former|apporter)\b/, 2],
    [/\bmettre (?:mes|nos) (?:competences|savoir-faire|connaissances) a (?:disposition|profit|service)\b/, 3],
  ],
};

export interface RoleScore {
  role: Role;
  score: number;
  first: number;
}

/** The role the text expresses most clearly, or null when none is expressed. */
export function detectRole(text: string, options: { folded?: boolean } = {}): Role | null {
  const scores = scoreRoles(text, options);
  const best = scores[0];
  return best && best.score >= 2 ? best.role : null;
}

export function scoreRoles(text: string, options: { folded?: boolean } = {}): RoleScore[] {
  const folded = options.folded ? text : foldText(text);
  if (lastRoles?.folded === folded) return lastRoles.scores.map((r) => ({ ...r }));
  const scores = computeRoles(folded);
  lastRoles = { folded, scores };
  return scores.map((r) => ({ ...r }));
}

function computeRoles(folded: string): RoleScore[] {
  const out: RoleScore[] = [];
  for (const [role, patterns] of Object.entries(ROLE_PATTERNS) as [Role, Array<[RegExp, number]>][]) {
    let score = 0;
    let first = Infinity;
    for (const [re, weight] of patterns) {
      const m = re.exec(folded);
      if (m) {
        score += weight;
        first = Math.min(first, m.index);
      }
    }
    if (score > 0) out.push({ role, score, first });
  }
  return out.sort((a, b) => b.score - a.score || a.first - b.first);
}

// ---------------------------------------------------------------------------------------------
// Words that say "this is about a project" at all, used to tell a registration from a question.
export const PROJECT_WORDS_RE =
  /\b(?:projet|collectif|association|asso|cooperative|lieu|habitat|terrain|ferme|hameau|village|foyers?|associes?|benevoles?|installer|installation|rejoindre|participer|integrer|monter|creer|lancer)\b/;

/** French greetings that open a message and say nothing about the project. */
// No comma inside the greeting itself: "Bonjour, nous montons…" is a greeting and a sentence.
export const GREETING_RE =
  /^(?:(?:bonjour|bonsoir|salut|hello|coucou|hi|hey|dear|cher|chere|chers|cheres|madame|monsieur|mesdames|messieurs|a toutes et a tous|a tous|a toutes|bien le bonjour)\b[^\n.?!,]{0,50}[,!.]?(?:\s*(?:madame|monsieur|mesdames|messieurs|cher|chere|chers|cheres)\b[^\n.?!,]{0,30}[,!.]?)?|[\p{L} ]{0,20}(?:equipe|team)[^\n,]{0,40},)\s*$/iu;
