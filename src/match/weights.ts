// Every number that shapes who is introduced to whom lives here, with the reason for it.
// Change a value here and nowhere else; the unit tests and `npm run eval` tell you what moved.
//
// The score of a pair (a, b) is
//
//   score = affinity × proximity
//   affinity  = W.text · textFit + W.category · categoryFit + W.role · roleFit      (0…1)
//   proximity = 1 / (1 + d / (DECAY_SCALE · R))   inside R = the smaller of the two radii
//             = ANYWHERE_PROXIMITY                 when both said "anywhere" (or one cannot be placed
//                                                   and both said anywhere)
//
// A pair is impossible (never scored) when it lies beyond either person's radius, when one side
// has no known location and did not say "anywhere", or when the two share no meaningful word.
import type { Role } from '../vocabulary.js';

/** Radius used when a profile gives none (the form's default): a reasonable cycling-plus-train day. */
export const DEFAULT_RADIUS_KM = 50;

/**
 * Radii above this are clamped. Beyond 300 km a person is better served by "anywhere", and the
 * clamp bounds the spatial search (and the border overlap a geographic shard must load).
 */
export const MAX_RADIUS_KM = 300;

/**
 * Affinity weights (sum to 1). Text carries most of it because it is the only signal written by
 * the person about *this* project; categories are coarse (17 slugs, often guessed at intake);
 * roles only say whether the two can help each other, not whether they care about the same thing.
 */
export const AFFINITY_WEIGHTS = { text: 0.6, category: 0.25, role: 0.15 } as const;

/**
 * Text cosine at which textFit reaches 1. Two honest descriptions of the same kind of project
 * rarely exceed ~0.5 cosine (people use different words); scaling by it lets text use its full
 * weight instead of living in 0…0.3 next to categories that jump 0 → 1.
 */
export const TEXT_SATURATION_COSINE = 0.5;

/**
 * Proximity halves at DECAY_SCALE × radius (10 km for the default 50 km). Collective projects
 * need people who can come often, so within the radius closer clearly wins; scaling by the
 * radius respects someone who said "10 km" (halved at 2 km) as much as someone who said 150.
 * On the dev corpus (bench/eval.ts, measured before it applied the minimum score as a round
 * does) values from 0.02 to 0.2 gave the same median distance (~11 km, the distance of the
 * nearest partners who share a word at all) and 0.2 kept the best category agreement, so the
 * gentlest was kept: text still chooses among the near ones.
 */
export const DECAY_SCALE = 0.2;

/**
 * Proximity of a pair of people who both said "anywhere": the value a pair gets at the halving
 * distance (0.5). Higher, and "anywhere" people would crowd out local pairs; lower, and they would
 * rarely clear the minimum score, although text is all they asked us to match on.
 */
export const ANYWHERE_PROXIMITY = 0.5;

/**
 * categoryFit when one side has no category: in between a known mismatch (0) and a match (1),
 * so a person whose categories intake could not guess is neither favoured nor shut out.
 * With categories on both sides: |A∩B| / √(|A|·|B|), so ticking every box does not buy matches.
 */
export const CATEGORY_UNKNOWN_FIT = 0.3;

/**
 * roleFit, symmetric. A carrier and someone who wants to join fit best (that is the service's
 * purpose). Two carriers of the same kind may join forces. A resource (professional, structure)
 * helps a carrier more than a joiner, and two resources are a network, not a collective.
 * Unknown roles get a neutral middle value.
 */
export const ROLE_FIT: Readonly<Record<Role, Readonly<Record<Role, number>>>> = {
  porteur: { porteur: 0.7, rejoindre: 1, ressource: 0.8 },
  rejoindre: { porteur: 1, rejoindre: 0.6, ressource: 0.3 },
  ressource: { porteur: 0.8, rejoindre: 0.3, ressource: 0.2 },
};
export const ROLE_UNKNOWN_FIT = 0.5;

/**
 * Two people who both want to join may start a project together, but only if they can meet
 * easily: beyond this distance (or when either said "anywhere") their roleFit drops to
 * REJOINDRE_PAIR_FAR_FIT.
 */
export const REJOINDRE_PAIR_NEAR_KM = 20;
export const REJOINDRE_PAIR_FAR_FIT = 0.2;

/**
 * Two profiles whose texts are this similar look like one registration made twice (two emails,
 * a couple registering separately): introducing them to each other would be absurd. Short texts
 * are exempt, because two people can honestly write "maraîchage bio" and should meet.
 */
export const DUPLICATE_TEXT_COSINE = 0.95;
export const DUPLICATE_MIN_TERMS = 6;

/** Proposals a person receives per round, unless the caller says otherwise. */
export const DEFAULT_MAX_PER_PERSON = 1;

/**
 * Minimum score for a proposal: below it, pairs typically share one incidental word, or sit
 * near the edge of a radius with little in common. An introduction costs both people attention;
 * proposing nothing is better than a poor match. Provisional: on the dev corpus category agreement
 * is flat from 0.04 to 0.3, so real registrations should recalibrate it (the round report's
 * score histogram and "below_min_score" count are there for that).
 */
export const DEFAULT_MIN_SCORE = 0.08;

/**
 * Scores closer than this are treated as equal when choosing pairs, so the person who has waited
 * longest comes first: differences this small are noise from word choice, not real affinity.
 */
export const SCORE_TIE_QUANTUM = 0.005;

/**
 * Terms kept per person in the scoring vector (of the ≤64 stored): the strongest by TF-IDF.
 * Beyond ~40 the extra terms of long descriptions are incidental words that add noise and cost.
 */
export const MAX_VECTOR_TERMS = 40;

/** Candidate generation: bounded work per person whatever the population's shape. */
export const CANDIDATES = {
  /**
   * Grid cell side. Measured 10, 16 and 25 km: finer cells cost more cell visits than they save
   * in reads; 25 km is as fast as 16 at 100k people and faster at 10k.
   */
  cellKm: 25,
  /**
   * Entries read per (cell, term) posting list, strongest weights first. Bounds the work when
   * thousands of people in one city use the same word; those with the word most central to
   * their text are read first, and a pair is still found through their other shared words.
   */
  postingsPerList: 48,
  /**
   * Terms in more than max(dfSkipMin, dfSkipRatio × people) descriptions are skipped when looking
   * for candidates (they are still counted in the exact score): a word a fifth of the population
   * uses finds everyone and distinguishes no one.
   */
  dfSkipRatio: 0.2,
  dfSkipMin: 500,
  /**
   * Posting entries read per person, nearest cells first (the person's own cell is always read
   * whole). Proximity dominates the score, so in a dense city the best partners are in the first
   * cells; in the countryside the budget is rarely reached. Measured on 100k synthetic people
   * against brute force on a sample: 600 finds the best partner of ~98 % of people, and the best
   * score found averages 99.9 % of the best possible; 1,000 gives ~99 % / 99.96 % for ~12 % more
   * time; 2,500 ~99.7 % / 99.99 % for ~40 % more.
   */
  readBudget: 600,
  /**
   * Only a person's strongest terms (by TF-IDF weight) are used to look for candidates, unless
   * the whole population fits in the read budget; every term still counts in the exact score.
   * The weak tail of a long description finds nobody the strong terms would not find, and costs
   * a posting list read per term per cell.
   */
  queryTerms: 10,
  /** Best partners kept per person for selection: alternatives for when the first are taken. */
  keepPerPerson: 8,
  /** Partners re-scored exactly per person (ranked first by the cheap score from the index). */
  finalists: 16,
} as const;
