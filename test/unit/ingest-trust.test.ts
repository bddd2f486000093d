import { describe, expect, it } from 'vitest';
import { senderTrust, parseAuthenticationResults, organisationalDomain } from '../../src/ingest/trust.js';

const TRUSTED = ['mx1.racines.example'];
const ar = (...values: string[]) => ({ 'authentication-results': values.join('\n') });

describe('senderTrust', () => {
  it('passes on an aligned DKIM signature', () => {
    const t = senderTrust(ar('mx1.racines.example; dkim=pass header.d=gmail.com header.s=20230601 header.b=abc; spf=none'), 'claire@gmail.com', TRUSTED);
    expect(t.verdict).toBe('pass');
    expect(t.detail).toContain('dkim=pass');
  });

  it('passes on DKIM with only header.i, and on a parent or sub-domain (relaxed alignment)', () => {
    expect(senderTrust(ar('mx1.racines.example; dkim=pass header.i=@asso.org'), 'paul@asso.org', TRUSTED).verdict).toBe('pass');
    expect(senderTrust(ar('mx1.racines.example; dkim=pass header.d=mail.asso.org'), 'paul@asso.org', TRUSTED).verdict).toBe('pass');
    expect(senderTrust(ar('mx1.racines.example; dkim=pass header.d=asso.org'), 'paul@lists.asso.org', TRUSTED).verdict).toBe('pass');
  });

  it('does not count a DKIM pass for another domain (an ESP signing with its own key)', () => {
    const t = senderTrust(ar('mx1.racines.example; dkim=pass header.d=sendgrid.net; spf=pass smtp.mailfrom=bounces@sendgrid.net'), 'paul@asso.org', TRUSTED);
    expect(t.verdict).toBe('none');
  });

  it('passes on an aligned SPF, with a full address or a bare domain', () => {
    expect(senderTrust(ar('mx1.racines.example; spf=pass smtp.mailfrom=paul@asso.org'), 'paul@asso.org', TRUSTED).verdict).toBe('pass');
    expect(senderTrust(ar('mx1.racines.example; spf=pass smtp.mailfrom=asso.org'), 'paul@asso.org', TRUSTED).verdict).toBe('pass');
  });

  it('fails on dmarc=fail, whatever else passed', () => {
    const t = senderTrust(ar('mx1.racines.example; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=evil.example; dmarc=fail (p=reject) header.from=impots.gouv.fr'), 'contact@impots.gouv.fr', TRUSTED);
    expect(t.verdict).toBe('fail');
    expect(t.detail).toContain('dmarc=fail');
  });

  it('ignores results from servers we do not trust (anyone can write that header)', () => {
    const forged = ar('evil.example; dkim=pass header.d=asso.org; dmarc=pass header.from=asso.org');
    expect(senderTrust(forged, 'paul@asso.org', TRUSTED)).toMatchObject({ verdict: 'none' });
    const both = ar('mx1.racines.example; dkim=fail header.d=asso.org', 'evil.example; dkim=pass header.d=asso.org');
    expect(senderTrust(both, 'paul@asso.org', TRUSTED).verdict).toBe('none');
  });

  it('reads the folded, commented header our Postfix/OpenDKIM writes', () => {
    const value =
      'mx1.racines.example; dkim=pass (2048-bit key; unprotected) header.d=orange.fr header.i=@orange.fr header.b="Xk3f9aQe"; spf=pass (mx1.racines.example: domain of orange.fr designates 80.12.242.12 as permitted sender) smtp.mailfrom=orange.fr; dmarc=pass (p=none dis=none) header.from=orange.fr';
    expect(senderTrust({ 'authentication-results': value }, 'mathieu@orange.fr', TRUSTED).verdict).toBe('pass');
  });

  it('accepts an array of header values and is case-insensitive on the authserv-id', () => {
    expect(senderTrust({ 'authentication-results': ['MX1.Racines.Example; spf=pass smtp.mailfrom=asso.org'] }, 'PAUL@ASSO.ORG', TRUSTED).verdict).toBe('pass');
  });

  it('says none when there is nothing to go on', () => {
    expect(senderTrust({}, 'paul@asso.org', TRUSTED).verdict).toBe('none');
    expect(senderTrust(ar('mx1.racines.example; none'), 'paul@asso.org', TRUSTED).verdict).toBe('none');
    expect(senderTrust(ar('mx1.racines.example; spf=pass smtp.mailfrom=asso.org'), null, TRUSTED).verdict).toBe('none');
    expect(senderTrust(ar('mx1.racines.example; spf=pass smtp.mailfrom=asso.org'), 'paul@asso.org', []).verdict).toBe('none');
    expect(senderTrust(ar('mx1.racines.example; spf=softfail smtp.mailfrom=asso.org; dkim=neutral'), 'paul@asso.org', TRUSTED).verdict).toBe('none');
  });
});

describe('parseAuthenticationResults', () => {
  it('splits methods, results and properties, skipping comments', () => {
    const h = parseAuthenticationResults('mx.example 1; dkim=pass (good sig) header.d=a.org header.s=s1; spf=fail smtp.mailfrom="x@b.org"');
    expect(h).toEqual({
      authservId: 'mx.example',
      results: [
        { method: 'dkim', result: 'pass', props: { 'header.d': 'a.org', 'header.s': 's1' } },
        { method: 'spf', result: 'fail', props: { 'smtp.mailfrom': 'x@b.org' } },
      ],
    });
  });

  it('returns null for a value with no authserv-id', () => {
    expect(parseAuthenticationResults('dkim=pass header.d=a.org')).toBeNull();
  });
});

describe('organisationalDomain', () => {
  it('knows the two-label suffixes French senders use', () => {
    expect(organisationalDomain('mail.asso.fr')).toBe('mail.asso.fr');
    expect(organisationalDomain('x.mairie.gouv.fr')).toBe('mairie.gouv.fr');
    expect(organisationalDomain('smtp.orange.fr')).toBe('orange.fr');
  });
});
