// Introductions as the answer, reminder and follow-up steps see them: the row, which side a
// person is on, the other side, and whether answers are still taken. SQL lives here so the
// pages, the reply handler and the jobs lock and read introductions the same way.
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { displayName } from '../round/proposal.js';

export type Side = 'a' | 'b';
export type AnswerValue = 'accepted' | 'declined';

export interface IntroductionRow {
  id: number;
  round_id: number | null;
  person_a: number;
  person_b: number;
  score: number;
  distance_km: number | null;
  explanation: string;
  shared_words: string[];
  status: 'proposed' | 'accepted' | 'declined' | 'expired';
  answer_a: AnswerValue | null;
  answer_b: AnswerValue | null;
  answered_a_at: Date | null;
  answered_b_at: Date | null;
  reminded_at: Date | null;
  closed_at: Date | null;
  created_at: Date;
  followup_sent_at: Date | null;
}

/** What the answer pages and emails need to know about one side. */
export interface Party {
  id: number;
  name: string | null;
  email: string | null;
  status: 'pending' | 'active' | 'unsubscribed' | 'erased';
  commune: string | null;
  departement: string | null;
  description: string | null;
}

export async function getIntroduction(db: Db, id: number): Promise<IntroductionRow | undefined> {
  const rows = await db<IntroductionRow[]>`select * from introductions where id = ${id}`;
  return rows[0];
}

/** Locks the row until the transaction ends: two answers arriving at once are applied in turn. */
export async function lockIntroduction(db: Db, id: number): Promise<IntroductionRow | undefined> {
  const rows = await db<IntroductionRow[]>`select * from introductions where id = ${id} for update`;
  return rows[0];
}

export async function getParty(db: Db, personId: number): Promise<Party | undefined> {
  const rows = await db<Party[]>`
    select p.id, p.name, p.email::text as email, p.status, f.commune, f.departement, f.description
    from people p left join profiles f on f.person_id = p.id
    where p.id = ${personId}`;
  return rows[0];
}

export function sideOf(intro: Pick<IntroductionRow, 'person_a' | 'person_b'>, personId: number): Side | null {
  if (intro.person_a === personId) return 'a';
  if (intro.person_b === personId) return 'b';
  return null;
}

export function otherSide(side: Side): Side {
  return side === 'a' ? 'b' : 'a';
}

export function personOn(intro: Pick<IntroductionRow, 'person_a' | 'person_b'>, side: Side): number {
  return side === 'a' ? intro.person_a : intro.person_b;
}

export function answerOf(intro: IntroductionRow, side: Side): AnswerValue | null {
  return side === 'a' ? intro.answer_a : intro.answer_b;
}

/** When answers stop being taken: PROPOSAL_EXPIRY_DAYS after the proposal. */
export function answerDeadline(intro: Pick<IntroductionRow, 'created_at'>, config: Pick<Config, 'proposalExpiryDays'>): Date {
  return new Date(intro.created_at.getTime() + config.proposalExpiryDays * 86_400_000);
}

/**
 * Answers are taken (and may be changed) until the meeting email is sent or the answer window
 * closes. A decline closes the introduction for matching, but its author may still change
 * their mind within the window: the other side was told nothing, so nothing has to be undone.
 */
export function isAnswerable(intro: IntroductionRow, config: Pick<Config, 'proposalExpiryDays'>, now = new Date()): boolean {
  return (intro.status === 'proposed' || intro.status === 'declined') && now < answerDeadline(intro, config);
}

/**
 * How we name someone to the other person: the same name the proposal email used (the first
 * name of a person, the whole name of a structure), and a neutral word when there is none.
 */
export function firstName(name: string | null | undefined): string {
  return displayName(name) ?? 'une personne inscrite';
}

/** "Die (26)", "Die", or null. */
export function placeOf(party: Pick<Party, 'commune' | 'departement'>): string | null {
  if (!party.commune) return null;
  return party.departement ? `${party.commune} (${party.departement})` : party.commune;
}

/** A description cut at a sentence or word boundary, never in the middle of a word. */
export function shorten(text: string | null | undefined, max = 600): string {
  const clean = (text ?? '').replace(/\r\n?/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max);
  const sentence = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('! '), cut.lastIndexOf('? '), cut.lastIndexOf('\n'));
  if (sentence > max * 0.6) return `${cut.slice(0, sentence + 1).trim()} […]`;
  const space = cut.lastIndexOf(' ');
  return `${cut.slice(0, space > max * 0.6 ? space : max).trim()}…`;
}
