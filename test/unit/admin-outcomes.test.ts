// The console shows what the intake did with each message in French: every outcome the intake
// can record (read from its source, so a new one without a translation fails here) has one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { outcomeInFrench } from '../../src/web/admin/outcomes.js';

const source = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('outcomeInFrench', () => {
  it('translates every plain outcome the intake records', () => {
    const apply = source('src/ingest/apply.ts');
    const plain = [...apply.matchAll(/done\('([^']+)'/g), ...apply.matchAll(/done\(changed \? '([^']+)' : '([^']+)'/g)].flatMap((m) => m.slice(1));
    // The union type of IntroReplyResult's outcome: `outcome:\n | 'answer-accepted'\n | …;`
    const union = /outcome:\s*((?:\|\s*'[a-z-]+'\s*)+);/.exec(source('src/introductions/reply.ts'))?.[1] ?? '';
    const replies = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]!);
    expect(plain.length).toBeGreaterThan(15);
    expect(replies).toContain('meeting-sent');
    for (const outcome of [...plain, ...replies]) expect(outcomeInFrench(outcome), outcome).not.toBe(outcome);
  });

  it('translates the outcomes built with values, keeping the values', () => {
    expect(outcomeInFrench('paused until 2027-01-31')).toBe('en pause jusqu’au 31/01/2027');
    expect(outcomeInFrench('kept for the operator, acknowledged')).toBe('pour vous, accusé de réception envoyé');
    expect(outcomeInFrench('kept for the operator')).toBe('pour vous');
    expect(outcomeInFrench('kept for the operator: sent to 1000+ recipients, not a reply to us')).toContain('1000 ou plus destinataires');
    expect(outcomeInFrench('kept for the operator: message too large (52428800 bytes), stored truncated, sender told')).toMatch(/^pour vous : message trop lourd \(52\s428\s800 octets\), gardé tronqué, l’expéditeur prévenu$/);
    expect(outcomeInFrench('kept for the operator: no registration at this address (already answered today)')).toBe('pour vous : aucune inscription à cette adresse (déjà répondu aujourd’hui)');
    expect(outcomeInFrench('ignored: the sender failed authentication (dmarc=fail)')).toContain('(dmarc=fail)');
    expect(outcomeInFrench('référent unsubscribed from the digest')).toBe('référent·e désinscrit·e du récapitulatif');
    expect(outcomeInFrench('référent already unsubscribed from the digest (PAUSE: référent·es have no pause)')).toBe(
      'référent·e déjà désinscrit·e du récapitulatif (PAUSE : les référent·es n’ont pas de pause)',
    );
  });

  it('shows an unknown outcome as recorded', () => {
    expect(outcomeInFrench('something new')).toBe('something new');
  });
});
