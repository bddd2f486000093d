// POST /inbound/mime: raw MIME from a provider's inbound route (or any script), authenticated
// by a shared secret. The body is read as bytes whatever its Content-Type (curl sends
// --data-binary as a form), stored first, and answered 202 with the stored id; processing
// happens in the worker. Off (404) until INBOUND_WEBHOOK_SECRET is set.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { ingestRaw } from '../../ingest/store.js';

/** Beyond this the request is refused (413); up to it, a big message is stored truncated. */
const HARD_LIMIT_FACTOR = 10;
const HARD_LIMIT_MIN = 200_000_000;

function sameSecret(given: string, expected: string): boolean {
  // Hashing both sides gives equal lengths, so the comparison time says nothing about the secret.
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

function givenSecret(req: Request): string {
  const auth = req.headers.authorization ?? '';
  if (auth.startsWith('Bearer ')) return auth.slice(7).trim();
  if (auth.startsWith('Basic ')) {
    // Providers that only take a URL put the secret as the password: https://x:<secret>@host/inbound/mime
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  const header = req.headers['x-maillage-secret'];
  if (typeof header === 'string') return header;
  return typeof req.query.key === 'string' ? req.query.key : '';
}

/** Reads the body, keeping its first `keep` bytes and hashing all of them; null when it exceeds `limit`. */
function readBody(req: Request, keep: number, limit: number): Promise<{ body: Buffer; total: number; sha256: string } | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    let over = false;
    const hash = createHash('sha256');
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      hash.update(chunk);
      if (total > limit) {
        over = true;
        req.pause();
        resolve(null);
        return;
      }
      if (kept < keep) {
        const part = chunk.subarray(0, keep - kept);
        chunks.push(part);
        kept += part.length;
      }
    });
    req.on('end', () => {
      if (!over) resolve({ body: Buffer.concat(chunks), total, sha256: hash.digest('hex') });
    });
    req.on('error', reject);
  });
}

export function inboundRoutes(ctx: AppContext): Router {
  const router = Router();
  router.post('/inbound/mime', async (req: Request, res: Response) => {
    const secret = ctx.config.inboundWebhookSecret;
    if (!secret) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    if (!sameSecret(givenSecret(req), secret)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="maillage-inbound"').json({ error: 'bad or missing secret' });
      return;
    }
    const max = ctx.config.maxMessageBytes;
    const read = await readBody(req, max, Math.max(max * HARD_LIMIT_FACTOR, HARD_LIMIT_MIN));
    if (!read) {
      res.status(413).set('Connection', 'close').json({ error: 'message too large' });
      return;
    }
    if (read.total === 0) {
      res.status(400).json({ error: 'empty body: send the raw message (message/rfc822)' });
      return;
    }
    const network = typeof req.query.network === 'string' ? req.query.network : null;
    // A storage failure is a 5xx: the provider retries, so nothing is lost.
    const stored = await ingestRaw(ctx, read.body, { channel: 'webhook', networkSlug: network, originalSize: read.total, sha256: read.sha256 });
    res.status(202).json({ id: stored.id, duplicate: !stored.created, truncated: stored.truncated });
  });
  return router;
}
