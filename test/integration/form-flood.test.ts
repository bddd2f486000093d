// A flood of registration form posts from one address: past the per-IP limit every post is
// answered 429 with a French page, quickly, while people registering from other addresses at the
// same moment still get through (their confirmation email is in the outbox).
//
// "Other addresses" are real ones: the client binds its socket to 127.0.0.2, 127.0.0.3… (all of
// 127.0.0.0/8 is loopback on Linux), so the server's req.ip differs with no header involved.
// TRUST_PROXY stays at its default ("loopback"): with no X-Forwarded-For, req.ip is the
// socket's address.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startTestService, waitFor } from '../helpers/context.js';
import { hiddenField } from '../helpers/http.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let port: number;

const LIMIT = 25; // not the default (20): proves FORM_LIMIT_PER_IP is the one applied

beforeAll(async () => {
  service = await startTestService({ FORM_LIMIT_PER_IP: String(LIMIT), FORM_LIMIT_WINDOW_MINUTES: '10' }, { web: true, workers: false, schedules: false });
  port = (service.server!.address() as { port: number }).port;
});

afterAll(async () => {
  await service?.dispose();
});

interface Reply { status: number; body: string; headers: http.IncomingHttpHeaders; ms: number }

/** One HTTP request from a chosen source address on the loopback network. */
function request(from: string, method: 'GET' | 'POST', path: string, options: { cookie?: string; form?: Record<string, string | string[]> } = {}): Promise<Reply> {
  const body = options.form ? formBody(options.form) : undefined;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1', port, method, path, localAddress: from, agent: false,
        headers: {
          ...(options.cookie ? { cookie: options.cookie } : {}),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function formBody(form: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
  return params.toString();
}

/** The home page from this address: its CSRF cookie and hidden field, as a browser holds them. */
async function openForm(from: string): Promise<{ cookie: string; csrf: string }> {
  const home = await request(from, 'GET', '/');
  const cookie = (home.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).join('; ');
  return { cookie, csrf: hiddenField(home.body, 'csrf') };
}

function registration(email: string, name: string): Record<string, string | string[]> {
  return {
    name, email, place: 'Crest', role: 'rejoindre', categories: ['habitat-partage'], radius: '50', consent: 'oui', reseau: '',
    description: 'Je cherche un habitat partagé dans la vallée de la Drôme, avec un jardin et des chantiers participatifs.',
  };
}

async function confirmationsTo(email: string): Promise<number> {
  const rows = await service.ctx.sql`select count(*)::int as n from outbound_messages where to_address = ${email} and template = 'confirm-registration'`;
  return rows[0]!.n as number;
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('a flood of form posts', () => {
  it('keeps 20 posts per 10 minutes as the default limit', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect(config.formLimit).toEqual({ perIp: 20, windowSeconds: 600 });
    expect(() => loadConfig({ NODE_ENV: 'test', FORM_LIMIT_PER_IP: '0' })).toThrow(/FORM_LIMIT_PER_IP/);
  });

  it('answers 429 quickly past the limit from one address, while others still register', async () => {
    // A running service has long loaded its gazetteer (a synchronous build on first use): warm it.
    const early = await openForm('127.0.0.9');
    expect((await request('127.0.0.9', 'POST', '/inscription', { cookie: early.cookie, form: { ...registration('premiere@example.org', 'Estelle'), csrf: early.csrf } })).status).toBe(200);

    const flooder = await openForm('127.0.0.1');
    const posts = 200;
    const replies: Reply[] = [];
    // Five at a time, each sent as soon as the previous answer came; a different email address
    // each time, as a bot spraying the form would (the per-address limit is another one).
    let next = 0;
    const flood = Promise.all(Array.from({ length: 5 }, async () => {
      while (next < posts) {
        const i = next++;
        replies[i] = await request('127.0.0.1', 'POST', '/inscription', {
          cookie: flooder.cookie, form: { ...registration(`bot${i}@example.org`, `Bot ${i}`), csrf: flooder.csrf },
        });
      }
    }));

    // Once the flooding address is refused, and while the flood goes on, three people register
    // from their own addresses.
    await waitFor(() => replies.some((r) => r?.status === 429), 30_000, 'the first 429');
    expect(next).toBeLessThan(posts);
    const people = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((from, k) => ({ from, email: `voisine${k}@example.org`, name: ['Agathe', 'Bruno', 'Chloé'][k]! }));
    const others = Promise.all(people.map(async (p) => {
      const form = await openForm(p.from);
      return request(p.from, 'POST', '/inscription', { cookie: form.cookie, form: { ...registration(p.email, p.name), csrf: form.csrf } });
    }));
    const [, otherReplies] = await Promise.all([flood, others]);

    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(posts - LIMIT);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);

    const refused = replies.filter((r) => r.status === 429);
    for (const r of refused) {
      expect(r.headers['retry-after']).toBe('600');
      expect(r.headers['content-type']).toMatch(/text\/html/);
      expect(r.body).toContain('<html lang="fr">');
      expect(r.body).toContain('Un peu de patience');
      expect(r.body).toContain('Réessayez dans 10 minutes');
    }
    // Turned away before validation and any database work: quick, even with 5 in flight. The
    // baseline is the health check under the same pattern, right after: on a machine busy with
    // other work both slow down, so a refusal must stay within 50 ms, or 10× the health check
    // (a refusal that geocoded or wrote to the database would cost 30 to 100 of them).
    const refusedMedian = median(refused.map((r) => r.ms));
    const health: number[] = [];
    let h = 0;
    await Promise.all(Array.from({ length: 5 }, async () => {
      while (h++ < posts) health.push((await request('127.0.0.1', 'GET', '/healthz')).ms);
    }));
    const healthMedian = median(health);
    expect(refusedMedian).toBeLessThan(Math.max(50, 10 * healthMedian));
    // Nothing was stored for the refused posts: only the accepted ones have a person and an email.
    const bots = await service.ctx.sql`select count(*)::int as n from people where email like 'bot%@example.org'`;
    expect(bots[0]!.n).toBe(LIMIT);
    const botMails = await service.ctx.sql`select count(*)::int as n from outbound_messages where to_address like 'bot%@example.org'`;
    expect(botMails[0]!.n).toBe(LIMIT);

    // The people on other addresses got through, flood or not: the page, then the email.
    for (const [k, reply] of otherReplies.entries()) {
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('vérifiez votre boîte mail');
      expect(await confirmationsTo(people[k]!.email)).toBe(1);
    }

    // Still refused from the flooding address, still accepted from a fresh one.
    const again = await openForm('127.0.0.1');
    const refusedAgain = await request('127.0.0.1', 'POST', '/inscription', { cookie: again.cookie, form: { ...registration('humaine@example.org', 'Dominique'), csrf: again.csrf } });
    expect(refusedAgain.status).toBe(429);
    expect(await confirmationsTo('humaine@example.org')).toBe(0);
    const fresh = await openForm('127.0.0.5');
    const accepted = await request('127.0.0.5', 'POST', '/inscription', { cookie: fresh.cookie, form: { ...registration('humaine@example.org', 'Dominique'), csrf: fresh.csrf } });
    expect(accepted.status).toBe(200);
    expect(await confirmationsTo('humaine@example.org')).toBe(1);
    console.log(
      `form flood: ${posts} posts, ${LIMIT} accepted, ${refused.length} refused with 429 in ${refusedMedian.toFixed(1)} ms median ` +
        `(max ${Math.max(...refused.map((r) => r.ms)).toFixed(1)} ms); GET /healthz the same way: ${healthMedian.toFixed(1)} ms median`,
    );
  });
});
