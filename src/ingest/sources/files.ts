// Messages from files: one .eml, a directory of them, or an mbox (streamed, so a mailbox
// export of several gigabytes never sits in memory). Used by `maillage ingest`.
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface FileMessage {
  /** "reply.eml", or "export.mbox#12" for the 12th message of an mbox. */
  label: string;
  raw: Buffer;
  /** Bytes of the source file consumed so far (for a progress bar). */
  bytesRead: number;
}

export interface FileSource {
  path: string;
  kind: 'eml' | 'mbox';
  size: number;
}

export class FileSourceError extends Error {}

/** Expands the arguments into files: .eml and .mbox, directories read one level deep, sorted. */
export async function listSources(paths: string[]): Promise<{ sources: FileSource[]; skipped: string[] }> {
  const sources: FileSource[] = [];
  const skipped: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new FileSourceError(`cannot read ${p}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(p)).sort();
      for (const name of names) {
        const full = path.join(p, name);
        const kind = kindOf(name);
        const s = await stat(full).catch(() => null);
        if (!s?.isFile()) continue;
        if (kind) sources.push({ path: full, kind, size: s.size });
        else skipped.push(full);
      }
    } else {
      // A single file is taken at its word: anything not named .mbox is one message.
      sources.push({ path: p, kind: kindOf(p) === 'mbox' ? 'mbox' : looksLikeMbox(await firstBytes(p)) ? 'mbox' : 'eml', size: info.size });
    }
  }
  return { sources, skipped };
}

function kindOf(name: string): FileSource['kind'] | null {
  if (/\.(?:eml|msg\.txt|mime)$/i.test(name)) return 'eml';
  if (/\.mbox$/i.test(name) || /^mbox$/i.test(path.basename(name))) return 'mbox';
  return null;
}

async function firstBytes(file: string): Promise<Buffer> {
  const stream = createReadStream(file, { start: 0, end: 511 });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** An mbox starts with a "From " postmark line, and has a second one later (one message is an .eml). */
function looksLikeMbox(head: Buffer): boolean {
  return /^From \S+ /.test(head.toString('latin1'));
}

/** Every message of the sources, in order. */
export async function* readMessages(sources: FileSource[]): AsyncGenerator<FileMessage> {
  let before = 0;
  for (const source of sources) {
    if (source.kind === 'eml') {
      const raw = await readFile(source.path);
      yield { label: path.basename(source.path), raw: stripPostmark(raw), bytesRead: before + raw.length };
    } else {
      let n = 0;
      for await (const { raw, offset } of readMbox(source.path)) {
        n++;
        yield { label: `${path.basename(source.path)}#${n}`, raw, bytesRead: before + offset };
      }
    }
    before += source.size;
  }
}

/** Splits an mbox at its "From " lines; undoes the ">From " quoting of mboxo / mboxrd. */
export async function* readMbox(file: string): AsyncGenerator<{ raw: Buffer; offset: number }> {
  const SEP = Buffer.from('\nFrom ');
  let buf: Buffer = Buffer.alloc(0);
  let consumed = 0;
  let scanFrom = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    buf = buf.length ? Buffer.concat([buf, chunk as Buffer]) : (chunk as Buffer);
    for (;;) {
      const i = buf.indexOf(SEP, scanFrom);
      if (i < 0) {
        // Next time, only look at what could still hold a separator.
        scanFrom = Math.max(0, buf.length - SEP.length);
        break;
      }
      const message = buf.subarray(0, i + 1);
      consumed += i + 1;
      buf = buf.subarray(i + 1);
      scanFrom = 1;
      const raw = unquoteMbox(message);
      if (raw.length > 0) yield { raw, offset: consumed };
    }
  }
  if (buf.length > 0) {
    consumed += buf.length;
    const raw = unquoteMbox(buf);
    if (raw.length > 0) yield { raw, offset: consumed };
  }
}

function unquoteMbox(message: Buffer): Buffer {
  let s = stripPostmark(message).toString('latin1');
  // The blank line an mbox writer adds between messages is not part of the message.
  s = s.replace(/\r?\n$/, '');
  if (!s.trim()) return Buffer.alloc(0);
  return Buffer.from(s.replace(/^>(>*From )/gm, '$1'), 'latin1');
}

/** Removes a leading "From sender date" line (mbox postmark), which is not a header. */
function stripPostmark(raw: Buffer): Buffer {
  if (raw.length < 5 || raw.toString('latin1', 0, 5) !== 'From ') return raw;
  const nl = raw.indexOf('\n');
  return nl >= 0 ? raw.subarray(nl + 1) : Buffer.alloc(0);
}
