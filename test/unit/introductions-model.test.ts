// Pure pieces of the answer side: who may still answer, how the other person is named, how a
// description is cut, and the DKIM settings that must come together or not at all.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { firstName, isAnswerable, shorten, type IntroductionRow } from '../../src/introductions/model.js';
import { understandAnswer } from '../../src/introductions/understand-answer.js';
import { splitRecipients } from '../../jobs/send-email.js';

const DAY = 86_400_000;
function intro(status: IntroductionRow['status'], ageDays: number): IntroductionRow {
  return {
    id: 1, round_id: null, person_a: 1, person_b: 2, score: 0.4, distance_km: 10, explanation: '', shared_words: [],
    status, answer_a: null, answer_b: null, answered_a_at: null, answered_b_at: null, reminded_at: null, closed_at: null,
    created_at: new Date(Date.now() - ageDays * DAY), followup_sent_at: null,
  };
}

describe('answer window', () => {
  const config = { proposalExpiryDays: 7 };
  it('takes answers, and changes of mind, until the meeting or day 7', () => {
    expect(isAnswerable(intro('proposed', 1), config)).toBe(true);
    expect(isAnswerable(intro('declined', 6.9), config)).toBe(true);
    expect(isAnswerable(intro('proposed', 7.1), config)).toBe(false);
    expect(isAnswerable(intro('accepted', 1), config)).toBe(false);
    expect(isAnswerable(intro('expired', 1), config)).toBe(false);
  });
});

describe('naming the other person', () => {
  it('uses a first name for a person, the whole name for a structure', () => {
    expect(firstName('Marie Dupont')).toBe('Marie');
    expect(firstName('marie')).toBe('Marie');
    expect(firstName('Association Les Jardins de Die')).toBe('Association Les Jardins de Die');
    expect(firstName(null)).toBe('une personne inscrite');
    expect(firstName('')).toBe('une personne inscrite');
  });
});

describe('shortening a description', () => {
  it('keeps short texts whole and cuts long ones between words', () => {
    expect(shorten('Un projet court.')).toBe('Un projet court.');
    const long = 'Nous cherchons des foyers pour un habitat partagé. '.repeat(30);
    const cut = shorten(long, 200);
    expect(cut.length).toBeLessThanOrEqual(205);
    expect(cut.endsWith('[…]') || cut.endsWith('…')).toBe(true);
    expect(cut).not.toMatch(/\s\S{1,3}…$/);
  });
});

describe('recipients of one message', () => {
  it('splits the meeting email’s address list', () => {
    expect(splitRecipients('a@x.fr, b@y.fr')).toEqual(['a@x.fr', 'b@y.fr']);
    expect(splitRecipients('a@x.fr')).toEqual(['a@x.fr']);
  });
});

describe('DKIM settings', () => {
  const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  it('is off when nothing is set, on when all three are', () => {
    expect(loadConfig({}).dkim).toBeNull();
    const config = loadConfig({ DKIM_DOMAIN: 'Maillage.Example.org', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: pem.replace(/\n/g, '\\n') });
    expect(config.dkim).toEqual({ domainName: 'maillage.example.org', keySelector: 's1', privateKey: pem });
  });
  it('refuses half a configuration or a key that is not one, naming the variable', () => {
    expect(() => loadConfig({ DKIM_DOMAIN: 'maillage.example.org' })).toThrow(ConfigError);
    expect(() => loadConfig({ DKIM_DOMAIN: 'maillage.example.org' })).toThrow(/DKIM_SELECTOR/);
    expect(() => loadConfig({ DKIM_DOMAIN: 'x.org', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: 'not a key' })).toThrow(/DKIM_PRIVATE_KEY/);
    expect(() => loadConfig({ DKIM_DOMAIN: 'x.org', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY_FILE: '/nonexistent/key.pem' })).toThrow(/DKIM_PRIVATE_KEY_FILE/);
  });
  it('reads the expiry settings', () => {
    const config = loadConfig({ PROPOSAL_EXPIRY_DAYS: '10', REMINDER_AFTER_DAYS: '0', FOLLOWUP_AFTER_DAYS: '0' });
    expect(config).toMatchObject({ proposalExpiryDays: 10, reminderAfterDays: 0, followupAfterDays: 0 });
  });
});

describe('the classifier never crashes on generated input', () => {
  it('handles any string', async () => {
    const fc = await import('fast-check');
    fc.assert(fc.property(fc.string({ maxLength: 500 }), (text) => {
      const result = understandAnswer(text);
      return result === null || result === 'accept' || result === 'decline';
    }), { numRuns: 2000 });
  });
});
