// The per-introduction reply address, seen from the answer side: which address our emails
// about an introduction use as Reply-To, and which introduction a reply tag points to. The tag
// itself is made by src/mail/reply-tag.ts (with the proposal email); this file only adapts it.
import type { AppContext } from '../context.js';
import type { Db } from '../db/client.js';
import { replyAddress, verifyReplyTag } from '../mail/reply-tag.js';

type Ctx = Pick<AppContext, 'config'>;

/** Reply-To for our emails about this introduction to this person: a reply answers it too. */
export function replyAddressFor(ctx: Ctx, introductionId: number, personId: number): string {
  return replyAddress(ctx.config, introductionId, personId);
}

/** The introduction and person a reply tag ("r-…") stands for, or null when it is not ours. */
export async function resolveReplyTag(_db: Db, ctx: Ctx, tag: string): Promise<{ introductionId: number; personId: number } | null> {
  return verifyReplyTag(ctx.config.secret, tag);
}
