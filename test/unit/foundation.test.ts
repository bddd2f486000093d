// Pure parts of the foundation: configuration, signed tokens, templates, job registry, form validation.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createToken, verifyToken } from '../../src/mail/tokens.js';
import { TemplateSet } from '../../src/mail/templates.js';
import { buildRegistry, JobRegistryError } from '../../src/queue/registry.js';
import { readForm, validateForm } from '../../src/web/registration-form.js';
import { html, escapeHtml } from '../../src/web/html.js';

describe('configuration', () => {
  it('has defaults that run on one machine', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBe('postgres://localhost:5432/maillage');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.port).toBe(3000);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.smtpUrl).toBeUndefined();
  });

  it('names the faulty variable in one line', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/^Invalid PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/^Invalid DATABASE_URL/);
    expect(() => loadConfig({ SMTP_URL: 'nope' })).toThrow(/^Invalid SMTP_URL/);
    expect(() => loadConfig({ MAIL_FROM: 'nobody' })).toThrow(/^Invalid MAIL_FROM/);
  });

  it('requires a real SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', SECRET: 'x'.repeat(40) })).not.toThrow();
  });
});

describe('signed tokens', () => {
  const secret = 'unit-test-secret-123456';
  it('round-trips and binds the kind', () => {
    const t = createToken(secret, { k: 'confirm', p: 42, n: 'abc' }, 60);
    const v = verifyToken(secret, t, 'confirm');
    expect(v.ok && v.payload.p).toBe(42);
    expect(verifyToken(secret, t, 'answer')).toEqual({ ok: false, error: 'tampered' });
  });
  it('refuses tampering, another secret, expiry and garbage', () => {
    const t = createToken(secret, { k: 'confirm', p: 42 }, 60);
    const [body, sig] = t.split('.');
    const otherBody = Buffer.from(JSON.stringify({ k: 'confirm', p: 43, e: 9_999_999_999 })).toString('base64url');
    expect(verifyToken(secret, `${otherBody}.${sig}`, 'confirm')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken('another-secret-99999', t, 'confirm')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken(secret, createToken(secret, { k: 'confirm', p: 1 }, -1), 'confirm')).toEqual({ ok: false, error: 'expired' });
    expect(verifyToken(secret, 'garbage', 'confirm')).toEqual({ ok: false, error: 'malformed' });
    expect(verifyToken(secret, undefined, 'confirm')).toEqual({ ok: false, error: 'malformed' });
    expect(verifyToken(secret, `${body}`, 'confirm')).toEqual({ ok: false, error: 'malformed' });
  });
});

describe('email templates', () => {
  it('compile once and fill with escaping, in HTML and text', async () => {
    const templates = await TemplateSet.load();
    const vars = { name: '<b>Zoé</b> & co', confirmUrl: 'http://localhost/confirmer?t=a&b', validDays: 7, summaryHtml: '<em>ok</em>', summaryText: 'ok', footerHtml: 'f', footerText: 'f', preview: 'p' };
    const r = templates.render('confirm-registration', vars);
    expect(r.subject).toBe('Confirmez votre inscription à maillage');
    expect(r.html).toContain('&lt;b&gt;Zoé&lt;/b&gt; &amp; co');
    expect(r.html).not.toContain('<b>Zoé</b>');
    expect(r.html).toContain('href="http://localhost/confirmer?t=a&amp;b"');
    expect(r.html).toContain('<em>ok</em>');
    expect(r.text).toContain('Bonjour <b>Zoé</b> & co,');
    expect(() => templates.render('confirm-registration', { name: 'x' })).toThrow(/missing value/);
  });
});

describe('job registry', () => {
  const job = (name: string) => ({ name, queue: 'mail', process: async () => null }) as never;
  it('refuses a job name with zero or two processors', () => {
    expect(() => buildRegistry([job('a')], ['a', 'b'])).toThrow(JobRegistryError);
    expect(() => buildRegistry([job('a'), job('a')], ['a'])).toThrow(/two processors/);
    expect(() => buildRegistry([job('a'), job('c')], ['a'])).toThrow(/not declared/);
    expect(buildRegistry([job('a'), job('b')], ['a', 'b']).size).toBe(2);
  });
});

describe('html escaping', () => {
  it('escapes every interpolation', () => {
    expect(html`<p>${'<script>"x"</script>'}</p>`.value).toBe('<p>&lt;script&gt;&quot;x&quot;&lt;/script&gt;</p>');
    expect(escapeHtml(`'`)).toBe('&#39;');
  });
});

describe('registration form validation', () => {
  const place = { postcode: '26150', commune: 'Die', communeCode: '26113', departement: '26', lat: 44.75, lon: 5.37 };
  const geocode = (t: string) => (/die|26150/i.test(t) ? place : null);
  const good = { name: ' Marie ', email: 'Marie@Example.ORG ', place: 'Die', role: 'porteur', description: 'Un habitat partagé près de Die, nous cherchons trois foyers.', radius: '50', consent: 'oui', categories: ['habitat-partage', 'bogus'] };

  it('normalises and accepts a good form', () => {
    const r = validateForm(readForm(good), geocode);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.input.email).toBe('marie@example.org');
      expect(r.input.name).toBe('Marie');
      expect(r.input.categories).toEqual(['habitat-partage']);
      expect(r.input.radiusKm).toBe(50);
    }
  });

  it('says what is wrong, field by field, in French', () => {
    const r = validateForm(readForm({ ...good, email: 'a@b', place: 'Nulle-Part', role: 'chef', radius: '7', consent: '' }), geocode);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(Object.keys(r.errors).sort()).toEqual(['consent', 'email', 'place', 'radius', 'role']);
      expect(r.errors.place).toContain('Nulle-Part');
    }
  });

  it('survives arrays, objects and control characters from a hostile client', () => {
    const r = readForm({ name: ['a', 'b'], email: { x: 1 } as never, description: 'abc\u0000def\r\nghi', categories: 'fablab' });
    expect(r.name).toBe('a');
    expect(r.email).toBe('');
    expect(r.description).toBe('abcdef\nghi');
    expect(r.categories).toEqual(['fablab']);
  });

  it('treats "partout" as no distance limit', () => {
    const r = validateForm(readForm({ ...good, radius: 'partout' }), geocode);
    expect(r.ok && r.input.radiusKm).toBe(null);
  });
});
