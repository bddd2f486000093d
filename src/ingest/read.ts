// The pure reading of a stored message: parse, trim, classify, extract, and whether its sender
// can be believed. No database, no queue: the intake worker (on its thread or its reading
// thread, src/ingest/reader.ts), the benchmarks and the fuzz tests all read a message this way.
import type { AppContext } from '../context.js';
import { loadGazetteer } from '../geo/index.js';
import type { ClassifyContext } from './classify.js';
import type { PlaceFinder } from './extract.js';
import { parseMessage, type ParsedMessage } from './parse.js';
import type { InboundChannel } from './store.js';
import { senderTrust, type SenderTrust } from './trust.js';
import { understandMessage, type Understanding } from './understand.js';

/** The pure reading of a message: parsed, understood, and whether its From can be believed. */
export interface ReadMessage {
  msg: ParsedMessage;
  understanding: Understanding;
  trust: SenderTrust;
}

let gazetteer: PlaceFinder | null | undefined;
function sharedGazetteer(): PlaceFinder | null {
  if (gazetteer === undefined) {
    try {
      gazetteer = loadGazetteer();
    } catch {
      // Without the gazetteer places stay null; the acknowledgement then asks for the commune.
      gazetteer = null;
    }
  }
  return gazetteer;
}

export function classifyContextFor(config: AppContext['config']): ClassifyContext {
  return { ourAddresses: [config.mailFromAddress, config.replyTo], ourMessageIdDomain: config.mailDomain };
}

/**
 * The authserv-ids whose Authentication-Results count for a message from this channel. The
 * SMTP listener's own id is trusted only for what the listener received (it removes forged
 * copies of its own header); a message fetched by IMAP could carry a forged one.
 */
export function trustedIdsFor(channel: InboundChannel, config: AppContext['config']): string[] {
  const ids = [...config.trustedAuthservIds];
  if (channel === 'smtp' && config.smtpListen) ids.push(config.smtpListen.authservId);
  return ids;
}

/** Parse, classify, extract, trust: pure work, no database. */
export async function readMessage(raw: Buffer, channel: InboundChannel, config: AppContext['config']): Promise<ReadMessage> {
  const msg = await parseMessage(raw);
  const understanding = understandMessage(msg, classifyContextFor(config), sharedGazetteer());
  const trust = senderTrust(msg.headers, msg.from?.address ?? null, trustedIdsFor(channel, config));
  return { msg, understanding, trust };
}

/** A read message, or the error reading it threw (the message then goes to the operator). */
export type ReadOutcome = { read: ReadMessage } | { error: Error };

/** Reads on this thread, one message after the other. */
export async function readAllHere(messages: { raw: Buffer; channel: InboundChannel }[], config: AppContext['config']): Promise<ReadOutcome[]> {
  const out: ReadOutcome[] = [];
  for (const m of messages) {
    try {
      out.push({ read: await readMessage(m.raw, m.channel, config) });
    } catch (err) {
      out.push({ error: err as Error });
    }
  }
  return out;
}
