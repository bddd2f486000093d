// Rendering personalised proposal emails (HTML + text, every field escaped, every link signed,
// List-Unsubscribe and the per-introduction Reply-To included),
// on one core, against compiling the MJML for each email (mjml2html per email), in the same run.
//
//   node --import tsx bench/render.ts            # 20,000 emails (and 40 with mjml2html)
//   node --import tsx bench/render.ts 50000
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import mjml2html from 'mjml';
import type { Config } from '../src/config.js';
import type { AppContext } from '../src/context.js';
import { composeEmail, defaultFooter } from '../src/mail/outbox.js';
import { replyAddress } from '../src/mail/reply-tag.js';
import { TEMPLATES_DIR, TemplateSet, type TemplateVars } from '../src/mail/templates.js';
import { proposalEmail, proposalLinks, proposalVars, type ProposalFacts } from '../src/round/proposal.js';
import { escapeHtml } from '../src/web/html.js';
import { generateProfiles } from './synthetic.js';

const config = {
  secret: 'bench-secret-0123456789abcdef0123456789',
  publicUrl: 'https://maillage.example.org',
  replyTo: 'inscription@maillage.example.org',
} as Pick<Config, 'secret' | 'publicUrl' | 'replyTo'>;

type MailContext = Pick<AppContext, 'config' | 'templates'>;

function factsFor(count: number): ProposalFacts[] {
  const people = generateProfiles(Math.max(2, count), { seed: 5 });
  return people.map((p, k) => {
    const other = people[(k * 7 + 3) % people.length]!;
    // Some people write markup-looking text, ampersands and quotes: all of it must be escaped.
    const description = k % 10 === 0 ? `${other.description} <b>Contact</b> & "questions" <script>x</script>` : other.description;
    return {
      introductionId: 100_000 + k,
      recipient: { id: p.id, name: `${p.name} Dupont` },
      other: {
        name: `${other.name} Martin`,
        commune: other.commune,
        departement: '26',
        role: other.role,
        categories: other.categories,
        description,
      },
      distanceKm: other.lat === null ? null : 3 + (k % 40),
      explanation: "Vous portez tous les deux un projet d'habitat partagé ; vous parlez de paille et de chantier participatif ; vous êtes à 14 km l'un·e de l'autre.",
      validDays: 7,
    };
  });
}

// What writeProposal does before the INSERT: links, variables, Reply-To, then composeEmail
// (footer, template fill, headers with List-Unsubscribe).
function renderOne(mail: MailContext, facts: ProposalFacts): number {
  const { rendered, headers } = composeEmail(mail, proposalEmail(config, 'personne@example.org', facts));
  return rendered.html.length + rendered.text.length + rendered.subject.length + headers['List-Unsubscribe']!.length + headers['Reply-To']!.length;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 20_000);
  const templates = await TemplateSet.load();
  const mail = { config, templates } as unknown as MailContext;
  const footer = defaultFooter(mail) as unknown as TemplateVars;
  const facts = factsFor(2_000);

  // Warm-up (JIT), then the timed run.
  let bytes = 0;
  for (let k = 0; k < 2_000; k++) bytes += renderOne(mail, facts[k % facts.length]!);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  bytes = 0;
  for (let k = 0; k < count; k++) bytes += renderOne(mail, facts[k % facts.length]!);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const perSecond = (count / ms) * 1000;

  // Where the time goes, stage by stage (CPU µs per email).
  const stage = (f: (k: number) => number): number => {
    let sink = 0;
    const c0 = process.cpuUsage();
    for (let k = 0; k < count; k++) sink += f(k);
    const c = process.cpuUsage(c0);
    if (sink < 0) console.log(sink);
    return (c.user + c.system) / count;
  };
  const linksOf = facts.map((f) => proposalLinks(config, f.introductionId, f.recipient.id));
  const varsOf = facts.map((f, k) => Object.assign({ preview: '' }, footer, proposalVars(f, linksOf[k]!)));
  const stages = {
    'signed links (7 links from 3 HMACs, + List-Unsubscribe)': stage((k) => proposalLinks(config, 100_000 + k, k + 1).accept.length),
    'reply tag (HMAC)': stage((k) => replyAddress(config, 100_000 + k, k + 1).length),
    'variables (names, place, escaped card, shortened text)': stage((k) => Object.keys(proposalVars(facts[k % facts.length]!, linksOf[k % facts.length]!)).length),
    'template fill (HTML + text + subject)': stage((k) => templates.render('proposal', varsOf[k % facts.length]!).html.length),
  };

  // The naive way: compile the whole MJML document for every email.
  const layout = await readFile(path.join(TEMPLATES_DIR, 'layout.mjml'), 'utf8');
  const fragment = await readFile(path.join(TEMPLATES_DIR, 'proposal.mjml'), 'utf8');
  const source = layout.replace('<!-- content -->', fragment);
  const naiveCount = Number(process.env.MJML_EMAILS ?? 100);
  for (let k = 0; k < 3; k++) await mjml2html(source.replace(/\{\{\{?\s*(\w+)\s*\}?\}\}/g, ''), { validationLevel: 'skip' });
  // Interleaved with batches of our own renders, so that both face the same machine load (this
  // machine is shared: measured one after the other, the ratio swings with whatever else runs).
  let naiveMs = 0;
  let oursMs = 0;
  let oursCount = 0;
  for (let k = 0; k < naiveCount; k++) {
    const f = facts[k % facts.length]!;
    const n0 = performance.now();
    const vars: TemplateVars = Object.assign({ preview: '' }, footer, proposalVars(f, proposalLinks(config, f.introductionId, f.recipient.id)));
    const filled = source.replace(/\{\{(\{?)\s*(\w+)\s*\}?\}\}/g, (_, raw: string, key: string) => (raw ? String(vars[key] ?? '') : escapeHtml(String(vars[key] ?? ''))));
    const out = await mjml2html(filled, { validationLevel: 'skip' });
    bytes += out.html.length;
    naiveMs += performance.now() - n0;
    const o0 = performance.now();
    for (let j = 0; j < 250; j++) bytes += renderOne(mail, facts[(k * 250 + j) % facts.length]!);
    oursMs += performance.now() - o0;
    oursCount += 250;
  }
  const naiveMsEach = naiveMs / naiveCount;
  const interleavedRatio = naiveMsEach / (oursMs / oursCount);
  const naivePerSecond = 1000 / naiveMsEach;

  const sample = composeEmail(mail, proposalEmail(config, 'personne@example.org', facts[0]!)).rendered;
  console.log(`\nProposal emails, personalised (7 signed links from 3 HMACs + reply tag + List-Unsubscribe), HTML ${Math.round(sample.html.length / 1024)} KB + text, one core\n`);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`| method | emails | wall | CPU | per email (wall) | emails / s (wall) | emails / CPU-second |`);
  console.log(`|---|---|---|---|---|---|---|`);
  console.log(`| precompiled template (ours) | ${count.toLocaleString('en-US')} | ${(ms / 1000).toFixed(2)} s | ${cpuSeconds.toFixed(2)} s | ${((ms / count) * 1000).toFixed(1)} µs | ${Math.round(perSecond).toLocaleString('en-US')} | ${Math.round(count / cpuSeconds).toLocaleString('en-US')} |`);
  console.log(`| mjml2html per email | ${naiveCount} | ${((naiveMsEach * naiveCount) / 1000).toFixed(2)} s | | ${naiveMsEach.toFixed(1)} ms | ${Math.round(naivePerSecond).toLocaleString('en-US')} | |`);
  console.log(`\n(load average when measured: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores)`);
  console.log(`\nCPU per email, by stage:`);
  for (const [name, us] of Object.entries(stages)) console.log(`  ${name}: ${us.toFixed(1)} µs`);
  console.log(
    `\nspeed-up over mjml2html per email, measured interleaved (${naiveCount} mjml2html, each followed by 250 of ours): ${Math.round(interleavedRatio).toLocaleString('en-US')}× (target ≥ 100×)` +
      `\nthroughput target ≥ 20,000 emails/s on one core: ${perSecond >= 20_000 ? 'met' : 'NOT met'} (${Math.round(perSecond).toLocaleString('en-US')} / s wall)`,
  );
  if (bytes < 0) console.log(bytes);
  // One machine-readable line for bench/run.ts's summary table.
  console.log(`BENCH-SUMMARY ${JSON.stringify({
    bench: 'render', figure: 'personalised proposal emails per second, one core', value: Math.round(perSecond), unit: 'emails/s',
    baseline: 'mjml2html per email', baselineValue: Math.round(naivePerSecond),
    ratio: Math.round(interleavedRatio), ratioLabel: '× faster (interleaved)',
    target: '≥ 20,000 emails/s, ≥ 100× mjml2html', met: perSecond >= 20_000 && interleavedRatio >= 100,
  })}`);
}

await main();
