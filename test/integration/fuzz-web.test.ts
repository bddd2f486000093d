// Every form and every emailed link, fed with what bots, scanners and curious people send:
// oversized fields, arrays where one value is expected, unicode, HTML, SQL-ish strings, tokens
// tampered with, truncated, replayed, signed for another page or another person, expired, the
// wrong HTTP method, malformed bodies. Whatever comes in, the answer is never a 500, never a
// stack trace or an "Error:" line, always a French page (the inbound webhook, a machine API,
// answers JSON), with the status that says what happened: 400 (bad link or request), 401
// (webhook or console secret), 403 (CSRF), 404, 410, 413 (too big), 415 (unreadable body
// encoding), 422 (form to correct), 429 (slow down).
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerUrl, eraseUrl, followupUrl, pauseUrl, profileUrl, resumeUrl, unsubscribeUrl, visibleUrl } from '../../src/mail/links.js';
import { createToken } from '../../src/mail/tokens.js';
import { runWeeklyRound } from '../../src/round/run.js';
import { confirmationUrl } from '../../src/registration.js';
import { startTestService } from '../helpers/context.js';
import { createActivePerson, type TestPerson } from '../helpers/people.js';
import { INTAKE_ENV } from './intake-messages.js';

type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
const PASSWORD = 'console-fuzz-password';
let ana: TestPerson;
let ben: TestPerson;
let introId: number;

interface Reply {
  status: number;
  body: string;
  type: string;
  location: string | null;
}

let requests = 0;
async function send(method: string, path: string, init: { body?: string | Buffer; headers?: Record<string, string>; ip?: string } = {}): Promise<Reply> {
  requests++;
  const res = await fetch(new URL(path, service.url!), {
    method,
    redirect: 'manual',
    body: init.body,
    // A new address for each request unless the test says otherwise: the per-IP rate limits are
    // tested on purpose below, not tripped by accident here (TRUST_PROXY is loopback).
    headers: { 'x-forwarded-for': init.ip ?? randomIp(), ...init.headers },
  });
  return { status: res.status, body: method === 'HEAD' ? '' : await res.text(), type: res.headers.get('content-type') ?? '', location: res.headers.get('location') };
}

function randomIp(): string {
  const b = randomBytes(3);
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

function form(fields: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) p.append(k, item);
  return p.toString();
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** What every answer must be, whatever was sent. */
function expectSane(r: Reply, allowed: number[], what: string): void {
  const context = `${what} → ${r.status} ${r.body.slice(0, 300)}`;
  expect(r.status, context).toBeLessThan(500);
  expect(allowed, context).toContain(r.status);
  expect(r.body, context).not.toMatch(/\n\s+at \S|\bError:|TypeError|ReferenceError|SyntaxError|node_modules/);
  if (r.body && r.type.includes('html')) {
    expect(r.body, context).toContain('<html lang="fr">');
    expect(r.body, context).not.toMatch(/\b(Internal Server Error|Bad Request|Not Found|Cannot (GET|POST|PUT|DELETE))\b/);
  }
}

// ---- generators ------------------------------------------------------------------------------

const NASTY = [
  '', ' ', '\u0000', '\u0000\u0001\u001f', '%', '%E0%A4%A', '%00', '../../etc/passwd', '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>', "' OR '1'='1", "Robert'); DROP TABLE people;--", '1; select pg_sleep(5)--', '${7*7}{{7*7}}',
  'javascript:alert(1)', '\uFEFF\u202E\u200B', '🌱🏡'.repeat(50), 'ǅ̶̡͓̼͚̹̞̖͖̿͐̑', '\ud800', 'a'.repeat(5000), '__proto__', 'constructor',
  '[object Object]', 'null', 'undefined', 'NaN', '-1', '1e309', '0x7fffffff', 'Die', '26150', 'porteur', 'partout', 'oui',
];

const fuzzValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.string({ maxLength: 20 }).map((s) => s.repeat(1000)),
);

const fieldValue: fc.Arbitrary<string | string[]> = fc.oneof(
  { weight: 4, arbitrary: fuzzValue },
  { weight: 1, arbitrary: fc.array(fuzzValue, { minLength: 2, maxLength: 3 }) },
);

/** What happens to a genuine token on its way: cut by a mail client, a character changed, re-encoded, replaced. */
function tokenVariants(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.nat({ max: Math.max(0, valid.length - 1) }).map((n) => valid.slice(0, n)),
    fc.tuple(fc.nat({ max: valid.length - 1 }), fc.constantFrom('A', 'z', '0', '.', '-', '_', '~', '%')).map(([i, c]) => `${valid.slice(0, i)}${valid[i] === c ? 'B' : c}${valid.slice(i + 1)}`),
    fc.constantFrom(`${valid}x`, `${valid}.`, valid.toUpperCase(), valid.toLowerCase(), encodeURIComponent(valid), ` ${valid}`, `${valid}%00`, valid.split('').reverse().join('')),
    fuzzValue,
  );
}

/** encodeURIComponent throws on a lone surrogate; a browser sends U+FFFD for it. */
function enc(value: string): string {
  return encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
}

function tokenOf(url: string): string {
  return new URL(url).searchParams.get('t')!;
}

beforeAll(async () => {
  service = await startTestService({ ...INTAKE_ENV, ADMIN_PASSWORD: PASSWORD }, { web: true, workers: true, schedules: false });
  const { ctx } = service;
  ana = await createActivePerson(ctx.sql, { name: 'Ana', place: 'Die', role: 'porteur', description: 'Nous montons un habitat partagé avec un grand potager collectif et un atelier vélo près de Die.' });
  ben = await createActivePerson(ctx.sql, { name: 'Ben', place: 'Die', role: 'rejoindre', description: 'Je cherche un habitat partagé avec potager collectif et atelier vélo dans la Drôme, près de Die.' });
  const round = await runWeeklyRound(ctx, { trigger: 'manual', jobId: null });
  if (round.status !== 'done') throw new Error(`round ${round.status}`);
  const [intro] = await ctx.sql<{ id: number }[]>`select id from introductions`;
  introId = intro!.id;
}, 120_000);

afterAll(async () => {
  await service?.dispose();
});

// ---- the links -------------------------------------------------------------------------------

describe('emailed links with tampered, truncated, foreign or replayed tokens', () => {
  const links = () => {
    const c = service.ctx.config;
    return [
      { path: '/reponse', valid: answerUrl(c, introId, ana.id, 'accepted') },
      { path: '/suite', valid: followupUrl(c, introId, ana.id, 'met') },
      { path: '/pause', valid: pauseUrl(c, ana.id, '1m') },
      { path: '/pause', valid: resumeUrl(c, ana.id) },
      { path: '/desinscription', valid: unsubscribeUrl(c, ben.id) },
      { path: '/effacer', valid: eraseUrl(c, ben.id) },
      { path: '/profil', valid: profileUrl(c, ana.id) },
      { path: '/visible', valid: visibleUrl(c, ana.id) },
      { path: '/confirmer', valid: confirmationUrl(service.ctx, ana.id, 'no-such-nonce') },
      { path: '/referent/confirmer', valid: `${c.publicUrl}/referent/confirmer?t=${tokenOf(pauseUrl(c, ana.id, '1m'))}` },
      { path: '/referent/desinscription', valid: `${c.publicUrl}/referent/desinscription?t=${tokenOf(pauseUrl(c, ana.id, '1m'))}` },
    ];
  };

  it('answers every broken token with a French error page, 400 or 404, by GET, HEAD and POST', async () => {
    for (const { path, valid } of links()) {
      const t = tokenOf(valid);
      await fc.assert(
        fc.asyncProperty(tokenVariants(t), fc.constantFrom('GET', 'HEAD', 'POST'), async (token, method) => {
          fc.pre(token !== t);
          const r = method === 'POST'
            ? await send('POST', path, { body: form({ t: token }), headers: FORM })
            : await send(method, `${path}?t=${enc(token)}`);
          // 431: a URL longer than Node's 16 kB header limit is refused by Node itself, empty body.
          expectSane(r, method === 'POST' ? [400, 404, 410] : [400, 404, 410, 431], `${method} ${path} token ${JSON.stringify(token.slice(0, 80))}`);
        }),
        { numRuns: 25 },
      );
    }
  });

  it('refuses tokens signed for another page, for nobody, or expired, and token fields given twice', async () => {
    const c = service.ctx.config;
    const ghost = 987_654_321;
    const cases: { path: string; t: string; statuses: number[] }[] = [];
    for (const { path } of links()) {
      cases.push(
        // A valid signature for another kind of link: an erase link is no pause link.
        { path, t: tokenOf(path === '/effacer' ? pauseUrl(c, ana.id, '3m') : eraseUrl(c, ana.id)), statuses: [400] },
        // Someone who does not exist (or no longer does).
        { path, t: tokenOf(`${c.publicUrl}${path}?t=${createToken(c.secret, { k: kindOf(path), p: ghost, i: ghost, a: 'accepted', n: 'x' }, 3600)}`), statuses: [400, 404, 410] },
        // Expired yesterday.
        { path, t: createToken(c.secret, { k: kindOf(path), p: ana.id, i: introId, a: 'accepted', n: 'x' }, -86_400), statuses: [400, 410] },
      );
    }
    for (const { path, t, statuses } of cases) {
      for (const method of ['GET', 'POST'] as const) {
        const r = method === 'GET' ? await send('GET', `${path}?t=${encodeURIComponent(t)}`) : await send('POST', path, { body: form({ t }), headers: FORM });
        expectSane(r, statuses, `${method} ${path} with a foreign token`);
      }
      // ?t=a&t=b and t[]=: the query parser gives an array, or another key.
      expectSane(await send('GET', `${path}?t=${encodeURIComponent(t)}&t=x`), [400], `GET ${path} with two tokens`);
      expectSane(await send('GET', `${path}?t[]=${encodeURIComponent(t)}`), [400], `GET ${path} with t[]`);
      expectSane(await send('POST', path, { body: form({ t: [t, t] }), headers: FORM }), [400], `POST ${path} with two tokens`);
      expectSane(await send('GET', path), [400], `GET ${path} without a token`);
    }
  });

  it('accepts a replayed link without doing it twice: the second POST says it is already done', async () => {
    const c = service.ctx.config;
    const answer = tokenOf(answerUrl(c, introId, ben.id, 'declined'));
    for (let i = 0; i < 3; i++) expectSane(await send('POST', '/reponse', { body: form({ t: answer }), headers: FORM }), [200], 'replayed answer');
    const [events] = await service.ctx.sql`select count(*)::int as n from events where type like 'introduction.answer%' and person_id = ${ben.id}`;
    expect(events!.n).toBeLessThanOrEqual(1);
    const pause = tokenOf(pauseUrl(c, ana.id, '1m'));
    for (let i = 0; i < 2; i++) expectSane(await send('POST', '/pause', { body: form({ t: pause }), headers: FORM }), [200], 'replayed pause');
    const [paused] = await service.ctx.sql`select count(*)::int as n from outbound_messages where template = 'paused' and person_id = ${ana.id}`;
    expect(paused!.n).toBe(1);
    expectSane(await send('POST', '/pause', { body: form({ t: tokenOf(resumeUrl(c, ana.id)) }), headers: FORM }), [200], 'resume');
  });

  it('answers RFC 8058 one-click unsubscribe with 200, and a broken one with 400, with no cookie and no CSRF token', async () => {
    const c = service.ctx.config;
    const victim = await createActivePerson(service.ctx.sql, { name: 'Chloé', description: 'Un tiers-lieu avec un fablab et un repair café dans la vallée.' });
    const url = new URL(unsubscribeUrl(c, victim.id));
    const broken = `${url.pathname}?t=${encodeURIComponent(tokenOf(url.href).slice(0, -3))}`;
    expectSane(await send('POST', broken, { body: 'List-Unsubscribe=One-Click', headers: FORM }), [400], 'one-click with a cut token');
    const multipart = `--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n`;
    expectSane(await send('POST', `${url.pathname}${url.search}`, { body: multipart, headers: { 'content-type': 'multipart/form-data; boundary=x' } }), [200], 'one-click multipart');
    expectSane(await send('POST', `${url.pathname}${url.search}`, { body: 'List-Unsubscribe=One-Click', headers: FORM }), [200], 'one-click again');
    const [p] = await service.ctx.sql`select status from people where id = ${victim.id}`;
    expect(p!.status).toBe('unsubscribed');
  });
});

function kindOf(path: string): string {
  return ({ '/reponse': 'answer', '/suite': 'followup', '/pause': 'pause', '/desinscription': 'unsubscribe', '/effacer': 'erase', '/profil': 'profile', '/visible': 'visible', '/confirmer': 'confirm', '/referent/confirmer': 'referent-confirm', '/referent/desinscription': 'referent-unsubscribe' } as Record<string, string>)[path]!;
}

// ---- the forms -------------------------------------------------------------------------------

describe('forms filled with anything', () => {
  it('the registration form: 403 without its CSRF token, else 200, 422 or 429, never a 500', async () => {
    const home = await fetch(`${service.url}/`);
    const cookie = home.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await home.text())![1]!;
    const fields = fc.record({
      name: fieldValue, email: fc.oneof(fieldValue, fc.emailAddress()), place: fieldValue, role: fieldValue,
      categories: fieldValue, description: fieldValue, radius: fieldValue, consent: fieldValue, visibleToReferents: fieldValue,
      reseau: fieldValue, website: fc.oneof(fc.constant(''), fieldValue),
    }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(fields, fc.boolean(), async (f, withCsrf) => {
        const body = form({ ...f, ...(withCsrf ? { csrf } : {}) } as Record<string, string | string[]>);
        const r = await send('POST', '/inscription', { body, headers: { ...FORM, cookie } });
        expectSane(r, withCsrf ? [200, 413, 422, 429] : [403, 413], 'POST /inscription');
      }),
      { numRuns: 120 },
    );
    // GET / with any network slug.
    // 431: a URL longer than Node's 16 kB header limit is refused by Node itself, empty body.
    await fc.assert(fc.asyncProperty(fuzzValue, async (v) => expectSane(await send('GET', `/?reseau=${enc(v)}`), [200, 431], 'GET /?reseau')), { numRuns: 30 });
  });

  it('the profile page behind its link: 200, 422 or 429 whatever is posted', async () => {
    const t = tokenOf(profileUrl(service.ctx.config, ana.id));
    const fields = fc.record({ name: fieldValue, email: fieldValue, place: fieldValue, role: fieldValue, categories: fieldValue, description: fieldValue, radius: fieldValue, consent: fieldValue }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(fields, async (f) => {
        const r = await send('POST', '/profil', { body: form({ ...f, t } as Record<string, string | string[]>), headers: FORM });
        expectSane(r, [200, 413, 422, 429], 'POST /profil');
      }),
      { numRuns: 40 },
    );
    const [p] = await service.ctx.sql`select email from people where id = ${ana.id}`;
    expect(p!.email).toBe(ana.email);
  });

  it('the console login: 401, 403 or 429 for anything but the password, and never an open redirect', async () => {
    const page = await fetch(`${service.url}/admin/connexion`);
    const cookie = page.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    await fc.assert(
      fc.asyncProperty(fieldValue, fc.oneof(fc.constant(csrf), fuzzValue), fuzzValue, async (password, token, suite) => {
        const r = await send('POST', '/admin/connexion', { body: form({ password, csrf: token, suite } as Record<string, string | string[]>), headers: { ...FORM, cookie } });
        expectSane(r, [401, 403, 413, 429], 'POST /admin/connexion');
      }),
      { numRuns: 60 },
    );
    expectSane(await send('GET', `/admin/connexion?suite=${encodeURIComponent('<script>')}`), [200], 'GET /admin/connexion');
    // The right password with a hostile "suite": the redirect stays on the console.
    for (const suite of ['//evil.example/admin', 'https://evil.example/', '/\\evil.example', '/admin/../../evil', '/admin@evil.example', '/admin\r\nSet-Cookie: x=1']) {
      const r = await send('POST', '/admin/connexion', { body: form({ password: PASSWORD, csrf, suite }), headers: { ...FORM, cookie } });
      expect(r.status).toBe(303);
      expect(r.location).toMatch(/^\/admin(?:[/?]|$)/);
      expect(new URL(r.location!, service.url!).origin).toBe(new URL(service.url!).origin);
    }
    // Ten tries from one address, then 429.
    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await send('POST', '/admin/connexion', { body: form({ password: 'non', csrf }), headers: { ...FORM, cookie }, ip })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('the inbound webhook: 401 for any wrong secret, however it is given, and stores nothing', async () => {
    const secret = INTAKE_ENV.INBOUND_WEBHOOK_SECRET;
    const wrong = fuzzValue.filter((v) => v !== secret);
    await fc.assert(
      fc.asyncProperty(wrong, fc.constantFrom('bearer', 'basic', 'header', 'query', 'query-twice'), async (given, how) => {
        const headers: Record<string, string> = { 'content-type': 'message/rfc822' };
        let path = '/inbound/mime';
        const ascii = given.replace(/[^\x20-\x7e]/g, '?');
        if (how === 'bearer') headers.authorization = `Bearer ${ascii}`;
        if (how === 'basic') headers.authorization = `Basic ${Buffer.from(`x:${given}`).toString('base64')}`;
        if (how === 'header') headers['x-maillage-secret'] = ascii;
        if (how === 'query') path += `?key=${enc(given)}`;
        if (how === 'query-twice') path += `?key=${enc(secret)}&key=${enc(given)}`;
        const r = await send('POST', path, { body: 'From: a@b.c\r\n\r\nhello', headers });
        // 431: a secret long enough to push the headers or URL past Node's 16 kB limit is
        // refused by Node itself, before any of our code; nothing is stored either way.
        expectSane(r, [401, 431], `webhook ${how}`);
        if (r.status === 401) expect(JSON.parse(r.body)).toEqual({ error: 'bad or missing secret' });
      }),
      { numRuns: 40 },
    );
    expectSane(await send('POST', '/inbound/mime', { headers: { authorization: 'Basic !!!not-base64' }, body: 'x' }), [401], 'webhook bad basic');
    expectSane(await send('POST', '/inbound/mime', { headers: { authorization: `Bearer ${secret}` }, body: '' }), [400], 'webhook empty body');
    const [n] = await service.ctx.sql`select count(*)::int as n from inbound_messages`;
    expect(n!.n).toBe(0);
  });
});

// ---- the rest --------------------------------------------------------------------------------

describe('requests no page expects', () => {
  const PATHS = ['/', '/inscription', '/confirmer', '/reponse', '/suite', '/pause', '/desinscription', '/effacer', '/profil', '/visible', '/referent/confirmer', '/referent/desinscription', '/referent/effacer', '/admin', '/admin/connexion', '/admin/personnes/1', '/outbox', '/outbox/1', '/inbound/mime'];

  it('the wrong method gets a French 404, 405 or 401, never a 500', async () => {
    for (const path of PATHS) {
      for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const r = await send(method, path, { body: method === 'OPTIONS' ? undefined : 'x=1', headers: FORM });
        expectSane(r, [200, 204, 302, 303, 401, 404, 405], `${method} ${path}`);
      }
    }
  });

  it('oversized, malformed and mislabelled bodies get 400, 413 or 415', async () => {
    const posts = ['/inscription', '/confirmer', '/reponse', '/pause', '/desinscription', '/effacer', '/profil', '/visible', '/admin/connexion', '/suite'];
    for (const path of posts) {
      const big = form({ t: 'x', description: 'é'.repeat(70_000) });
      expectSane(await send('POST', path, { body: big, headers: FORM }), [413], `${path} with 140 kB`);
      const many = Array.from({ length: 150 }, (_, i) => `f${i}=1`).join('&');
      expectSane(await send('POST', path, { body: many, headers: FORM }), [413], `${path} with 150 fields`);
      expectSane(await send('POST', path, { body: 't=%E0%A4%A&name=%', headers: FORM }), [400, 403, 404, 422], `${path} with bad escapes`);
      expectSane(await send('POST', path, { body: 't=x', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=klingon' } }), [415], `${path} with an unknown charset`);
      expectSane(await send('POST', path, { body: 't=x', headers: { ...FORM, 'content-encoding': 'br-but-not-really' } }), [415], `${path} with an unknown encoding`);
      expectSane(await send('POST', path, { body: '{"t":"x"}', headers: { 'content-type': 'application/json' } }), [400, 403, 404, 422], `${path} with JSON`);
      expectSane(await send('POST', path, { body: Buffer.from([0xff, 0xfe, 0, 1, 2]), headers: { 'content-type': 'application/octet-stream' } }), [400, 403, 404, 422], `${path} with bytes`);
    }
  });

  it('odd paths and query strings get a French 404 or 400 (401 behind the outbox password)', async () => {
    for (const path of ['/reponse/%E0%A4%A', '/%', '/admin/personnes/%zz', '/outbox/%', '/..%2f..%2fetc%2fpasswd', '/reponse?t=%', '/effacer?t=%00', `/pause?${'a=1&'.repeat(2000)}`, '/profil?t=' + 'x'.repeat(3000)]) {
      const r = await send('GET', path);
      expectSane(r, path.startsWith('/outbox') ? [401] : [200, 303, 400, 404], `GET ${path}`);
    }
    expect(requests).toBeGreaterThan(600);
  });
});
