// The pure intake in one call: parsed message → trimmed reply → kind → profile, plus the JSON
// shape of `maillage parse --json` (DESIGN.md, "Contracts"), so the CLI, the ingest job and the
// benchmarks all read a message the same way.
import type { ParsedMessage } from './parse.js';
import { trimReply, type TrimResult } from './trim.js';
import { classifyMessage, type Classification, type ClassifyContext } from './classify.js';
import { extractProfile, type ExtractedProfile, type PlaceFinder } from './extract.js';

export interface Understanding {
  classification: Classification;
  trimmed: TrimResult;
  profile: ExtractedProfile;
}

/** Kinds written by machines: their text says nothing about a person or a project. */
const MACHINE_KINDS = new Set(['bounce', 'auto_reply', 'loop']);

export function understandMessage(msg: ParsedMessage, ctx: ClassifyContext, gazetteer: PlaceFinder | null): Understanding {
  const trimmed = trimReply(msg.text);
  const classification = classifyMessage(msg, ctx, trimmed);
  const profile = MACHINE_KINDS.has(classification.kind)
    ? {
        email: msg.from?.address || null,
        name: null,
        postcode: null,
        commune: null,
        communeCode: null,
        departement: null,
        lat: null,
        lon: null,
        role: null,
        categories: [],
        description: '',
      }
    : extractProfile(msg, trimmed, gazetteer);
  return { classification, trimmed, profile };
}

/** The `maillage parse --json` object. */
export interface ParseJson {
  kind: 'registration' | 'auto_reply' | 'bounce' | 'command' | 'intro_reply' | 'other';
  reason: string;
  profile: ExtractedProfile;
  bounce?: { recipient: string | null; permanent: boolean; status: string | null; tag?: string };
  command?: 'stop' | 'pause' | 'erase';
  /** intro_reply only: the plus-tag ("r-AbC123") and the yes/no read from the first words. */
  replyTag?: string;
  answer?: 'accept' | 'decline' | null;
}

/**
 * The contract has no "loop" kind: our own message coming back is reported as "other" with a
 * reason starting "loop:", so tools that only know the contract's kinds never answer it as a
 * registration, and a person reading the output still sees what happened.
 */
export function toParseJson(u: Understanding): ParseJson {
  const c = u.classification;
  const out: ParseJson = {
    kind: c.kind === 'loop' ? 'other' : c.kind,
    reason: c.kind === 'loop' ? `loop: ${c.reason}` : c.reason,
    profile: u.profile,
  };
  if (c.bounce) out.bounce = c.bounce;
  if (c.command) out.command = c.command;
  if (c.kind === 'intro_reply') {
    if (c.replyTag) out.replyTag = c.replyTag;
    out.answer = c.answer ?? null;
  }
  return out;
}
