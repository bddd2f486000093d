// IMAP: the bulletin's reply mailbox, polled. Each new message is fetched, stored (store first),
// and only then marked on the server, so a crash between the two fetches it again next time, and
// the dedupe on Message-ID makes that harmless. The mark is a private keyword ($MaillageStored)
// where the server allows one, so a person reading the mailbox in their own client (which sets
// \Seen) never hides a message from maillage; servers without keywords fall back to \Seen.
import { ImapFlow, type MailboxObject } from 'imapflow';
import type { AppContext } from '../../context.js';
import { ingestRaw } from '../store.js';

export const STORED_KEYWORD = '$MaillageStored';
/** One poll stores at most this many messages; a backlog drains over the next polls. */
const MAX_PER_POLL = 500;

export interface ImapSettings {
  url: string;
  folder: string;
  network?: string | undefined;
}

export interface ImapPollResult {
  /** Messages not yet marked as stored on the server. */
  found: number;
  stored: number;
  duplicates: number;
  truncated: number;
  /** Which mark the server took: the private keyword, or \Seen when keywords are refused. */
  mark: 'keyword' | 'seen';
}

export function imapConnectionOptions(url: string): ConstructorParameters<typeof ImapFlow>[0] {
  const u = new URL(url);
  const secure = u.protocol === 'imaps:';
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 993 : 143,
    secure,
    auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) },
    // A self-hosted server with a self-signed certificate: imaps://…?tls=insecure (say so knowingly).
    tls: { rejectUnauthorized: u.searchParams.get('tls') !== 'insecure' },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 20_000,
    greetingTimeout: 15_000,
    socketTimeout: 120_000,
  };
}

/** Connects, stores every message not yet stored, marks them, logs out. */
export async function pollImapOnce(ctx: Pick<AppContext, 'sql' | 'queues' | 'config' | 'log'>, settings: ImapSettings): Promise<ImapPollResult> {
  const client = new ImapFlow(imapConnectionOptions(settings.url));
  // imapflow reports socket trouble as an 'error' event: without a listener it would end the process.
  client.on('error', (err: Error) => ctx.log.warn({ err: err.message }, 'imap connection error'));
  const result: ImapPollResult = { found: 0, stored: 0, duplicates: 0, truncated: 0, mark: 'keyword' };
  await client.connect();
  try {
    const lock = await client.getMailboxLock(settings.folder);
    try {
      const mailbox = client.mailbox as MailboxObject;
      const flags = mailbox.permanentFlags;
      const keywords = !flags || flags.has('\\*') || flags.has(STORED_KEYWORD);
      result.mark = keywords ? 'keyword' : 'seen';
      const uids = (await client.search(keywords ? { unKeyword: STORED_KEYWORD, deleted: false } : { seen: false, deleted: false }, { uid: true })) || [];
      result.found = uids.length;
      const max = ctx.config.maxMessageBytes;
      for (const uid of uids.slice(0, MAX_PER_POLL)) {
        const meta = await client.fetchOne(String(uid), { uid: true, size: true }, { uid: true });
        if (!meta) continue;
        const size = meta.size ?? 0;
        // A 50 MB attachment is not downloaded: its first bytes are all that will be kept.
        const fetched = await client.fetchOne(String(uid), { uid: true, source: size > max ? { maxLength: max } : true }, { uid: true });
        if (!fetched || !fetched.source) continue;
        const stored = await ingestRaw(ctx, fetched.source, { channel: 'imap', networkSlug: settings.network ?? null, originalSize: Math.max(size, fetched.source.length) });
        if (stored.created) result.stored++;
        else result.duplicates++;
        if (stored.truncated) result.truncated++;
        await client.messageFlagsAdd(String(uid), [keywords ? STORED_KEYWORD : '\\Seen'], { uid: true });
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return result;
}
