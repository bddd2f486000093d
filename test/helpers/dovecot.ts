// A real IMAP server for tests: Dovecot (Debian's dovecot-imapd), started with a throwaway
// configuration on a free port, one mailbox, and stopped (its directory removed) after use.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { imapConnectionOptions } from '../../src/ingest/sources/imap.js';
import { waitFor } from './context.js';

const DOVECOT = process.env.DOVECOT_PATH ?? '/usr/sbin/dovecot';
const USER = 'inscription';
const PASSWORD = 'mot-de-passe-test';
/** Dovecot's mail processes run as nobody: the mailbox home must belong to that user. */
const NOBODY = 65534;

export interface Dovecot {
  /** imap://user:password@127.0.0.1:port, as IMAP_URL takes it. */
  url: string;
  port: number;
  /** Puts a message in INBOX, as the mail server does when a reply arrives. */
  deliver(raw: Buffer, flags?: string[]): Promise<void>;
  /** Every message of INBOX with its flags (keywords included). */
  flags(): Promise<{ uid: number; flags: string[] }[]>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function config(dir: string, home: string, port: number): string {
  return `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:~/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${NOBODY} gid=${NOBODY} home=${home}/%u
}
`;
}

async function connect(url: string): Promise<ImapFlow> {
  const client = new ImapFlow(imapConnectionOptions(url));
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Starts Dovecot; throws a clear message when it is not installed. */
export async function startDovecot(): Promise<Dovecot> {
  if (!existsSync(DOVECOT)) {
    throw new Error(`No Dovecot at ${DOVECOT}: install Debian's package (apt-get install dovecot-imapd) or set DOVECOT_PATH.`);
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'maillage-dovecot-'));
  // Dovecot's login and auth processes run as its own users: they must reach the base_dir.
  chmodSync(dir, 0o755);
  const home = path.join(dir, 'home');
  mkdirSync(home, { recursive: true });
  chownSync(home, NOBODY, NOBODY);
  writeFileSync(path.join(dir, 'passwd'), `${USER}:{PLAIN}${PASSWORD}\n`);
  writeFileSync(path.join(dir, 'dovecot.conf'), config(dir, home, port));

  const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', path.join(dir, 'dovecot.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `imap://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`dovecot exited with code ${child.exitCode}; see its log in ${dir}/dovecot.log`);
      try {
        const c = new ImapFlow({ ...imapConnectionOptions(url), verifyOnly: true });
        c.on('error', () => {});
        await c.connect();
        return true;
      } catch {
        return false;
      }
    }, 15_000, 'dovecot listening');
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    port,
    async deliver(raw, flags = []) {
      const client = await connect(url);
      try {
        await client.append('INBOX', raw, flags);
      } finally {
        await client.logout();
      }
    },
    async flags() {
      const client = await connect(url);
      const lock = await client.getMailboxLock('INBOX');
      try {
        const all = await client.fetchAll('1:*', { uid: true, flags: true });
        return all.map((m) => ({ uid: m.uid, flags: [...(m.flags ?? [])] }));
      } finally {
        lock.release();
        await client.logout();
      }
    },
    stop,
  };
}
