// Signed link tokens (src/mail/tokens.ts): the compact v2 format, links signed together by one
// HMAC (each still bound to its own person, introduction, kind and option), and the links
// already sent in the JSON format (v1), which must keep working until they expire.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { answerUrls, controlUrls, LINK_TTL_SECONDS } from '../../src/mail/links.js';
import { createToken, signTogether, verifyToken } from '../../src/mail/tokens.js';

const secret = 'unit-test-secret-0123456789';
const config = { secret, publicUrl: 'https://maillage.example.org' };

function tokenOf(url: string): string {
  return new URL(url).searchParams.get('t')!;
}

/** What the code before v2 put in every email: base64url(JSON) + 128 bits of HMAC-SHA256. */
function v1Token(payload: Record<string, unknown>, key = secret): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url').slice(0, 22)}`;
}

/** The same token with one dot-separated field replaced, signature kept. */
function withField(token: string, index: number, value: string): string {
  const fields = token.split('.');
  fields[index] = value;
  return fields.join('.');
}

describe('v2 tokens', () => {
  it('round-trip every field, need no URL escaping and are short', () => {
    const t = createToken(secret, { k: 'confirm', p: 42, n: 'Zx-9_a' }, 3600);
    expect(encodeURIComponent(t)).toBe(t);
    expect(t.length).toBeLessThan(60);
    const v = verifyToken(secret, t, 'confirm');
    expect(v.ok && v.payload).toMatchObject({ k: 'confirm', p: 42, n: 'Zx-9_a' });
    expect(v.ok && v.payload.i).toBeUndefined();
    expect(v.ok && v.payload.e).toBeGreaterThan(Date.now() / 1000 + 3500);
  });

  it('refuse another kind, another secret, any altered field, expiry and garbage', () => {
    const t = createToken(secret, { k: 'unsubscribe', p: 42 }, 3600);
    expect(verifyToken(secret, t, 'erase')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken('another-secret-0123456789', t, 'unsubscribe')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken(secret, withField(t, 1, 'erase'), 'erase')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken(secret, withField(t, 2, (43).toString(36)), 'unsubscribe')).toEqual({ ok: false, error: 'tampered' });
    const e = t.split('.')[6]!;
    expect(verifyToken(secret, withField(t, 6, (parseInt(e, 36) + 86_400).toString(36)), 'unsubscribe')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken(secret, createToken(secret, { k: 'unsubscribe', p: 42 }, -1), 'unsubscribe')).toEqual({ ok: false, error: 'expired' });
    for (const garbage of ['garbage', '', '2.', '2.a.b.c.d.e.f', `${t}.x`, t.replace('.', '/'), undefined, 42]) {
      expect(verifyToken(secret, garbage, 'unsubscribe')).toMatchObject({ ok: false });
    }
  });

  it('refuse values that would break the format instead of signing them', () => {
    expect(() => createToken(secret, { k: 'confirm', p: 1, n: 'a.b' }, 60)).toThrow(RangeError);
    expect(() => createToken(secret, { k: 'confirm', p: 1.5 }, 60)).toThrow(RangeError);
  });
});

describe('links signed together', () => {
  it('accept and decline come from one HMAC, each verifying with its own answer', () => {
    const urls = answerUrls(config, 7, 42);
    const accept = verifyToken(secret, tokenOf(urls.accepted), 'answer');
    const decline = verifyToken(secret, tokenOf(urls.declined), 'answer');
    expect(accept.ok && accept.payload).toMatchObject({ k: 'answer', p: 42, i: 7, a: 'accepted' });
    expect(decline.ok && decline.payload).toMatchObject({ k: 'answer', p: 42, i: 7, a: 'declined' });
    expect(accept.ok && decline.ok && accept.payload.e).toBe(decline.ok && decline.payload.e);
  });

  it('one link cannot be turned into another: option, kind, person or introduction changed → refused', () => {
    const accept = tokenOf(answerUrls(config, 7, 42).accepted);
    expect(verifyToken(secret, withField(accept, 4, 'declined'), 'answer')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken(secret, withField(accept, 3, (8).toString(36)), 'answer')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken(secret, withField(accept, 2, (43).toString(36)), 'answer')).toEqual({ ok: false, error: 'tampered' });
    const controls = controlUrls(config, 42);
    const pause = tokenOf(controls.pause1m);
    // A pause link (seen by whoever the email was forwarded to) made into an erase link.
    expect(verifyToken(secret, withField(withField(pause, 1, 'erase'), 4, ''), 'erase')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken(secret, withField(pause, 4, '3m'), 'pause')).toEqual({ ok: false, error: 'tampered' });
    // The group's signatures are different slices: none stands for another.
    const signatures = Object.values(controls).map((url) => tokenOf(url).split('.')[7]);
    expect(new Set(signatures).size).toBe(4);
  });

  it('a link minted alone (the page’s "other answer" button) is the one the email carried', () => {
    const now = Date.UTC(2026, 10, 28, 9, 0, 0);
    const together = signTogether(secret, 'answer', { p: 42, i: 7 }, LINK_TTL_SECONDS.answer, now);
    expect(createToken(secret, { k: 'answer', p: 42, i: 7, a: 'declined' }, LINK_TTL_SECONDS.answer, now)).toBe(together['answer:declined']);
    const controls = signTogether(secret, 'controls', { p: 42 }, LINK_TTL_SECONDS.erase, now);
    expect(createToken(secret, { k: 'erase', p: 42 }, LINK_TTL_SECONDS.erase, now)).toBe(controls['erase:']);
  });

  it('the control links open their own page and expire with the other person-level links', () => {
    const urls = controlUrls(config, 42);
    expect(new URL(urls.pause1m).pathname).toBe('/pause');
    expect(new URL(urls.profile).pathname).toBe('/profil');
    expect(new URL(urls.erase).pathname).toBe('/effacer');
    const pause = verifyToken(secret, tokenOf(urls.pause3m), 'pause');
    expect(pause.ok && pause.payload).toMatchObject({ p: 42, a: '3m' });
    const profile = verifyToken(secret, tokenOf(urls.profile), 'profile');
    expect(profile.ok && profile.payload.a).toBeUndefined();
    const in179Days = Date.now() + 179 * 86_400_000;
    const in181Days = Date.now() + 181 * 86_400_000;
    expect(verifyToken(secret, tokenOf(urls.erase), 'erase', in179Days).ok).toBe(true);
    expect(verifyToken(secret, tokenOf(urls.erase), 'erase', in181Days)).toEqual({ ok: false, error: 'expired' });
  });
});

describe('links sent before v2 (JSON tokens)', () => {
  const e = Math.floor(Date.now() / 1000) + 3600;

  it('still work until they expire', () => {
    const answer = verifyToken(secret, v1Token({ k: 'answer', p: 42, i: 7, a: 'accepted', e }), 'answer');
    expect(answer.ok && answer.payload).toEqual({ k: 'answer', p: 42, i: 7, a: 'accepted', e });
    const confirm = verifyToken(secret, v1Token({ k: 'confirm', p: 42, n: 'abc', e }), 'confirm');
    expect(confirm.ok && confirm.payload.n).toBe('abc');
    expect(verifyToken(secret, v1Token({ k: 'unsubscribe', p: 42, e: e - 7200 }), 'unsubscribe')).toEqual({ ok: false, error: 'expired' });
  });

  it('are refused when altered, signed with another secret or of another kind', () => {
    const t = v1Token({ k: 'unsubscribe', p: 42, e });
    const forged = `${Buffer.from(JSON.stringify({ k: 'unsubscribe', p: 43, e })).toString('base64url')}.${t.split('.')[1]}`;
    expect(verifyToken(secret, forged, 'unsubscribe')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken(secret, v1Token({ k: 'unsubscribe', p: 42, e }, 'another-secret-0123456789'), 'unsubscribe')).toEqual({ ok: false, error: 'tampered' });
    expect(verifyToken(secret, t, 'erase')).toEqual({ ok: false, error: 'tampered' });
  });
});
