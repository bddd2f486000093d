// `maillage demo` (`npm run demo`): a newcomer's first look. Loads ~60 fictional people over five
// départements, runs a round at once, answers a few proposals as those people would, writes a
// référente's digest, starts the service (web + workers) and prints where to click.
//
// It never touches the operator's data: it uses its own database (the configured one's name with
// "_demo") and its own queue prefix, refuses to run with SMTP_URL set (the fictional addresses are
// on exemple.org: mail must stay in the outbox) or in production, and is idempotent: running it
// again adds nobody and runs no second round (`--fresh` starts over from an empty database).
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../config.js';
import type { AppContext } from '../context.js';
import { dropDatabase, ensureDatabase } from '../db/client.js';
import { recordEvent } from '../db/events.js';
import { upsertNetwork } from '../db/networks.js';
import { upsertProfile } from '../db/people.js';
import { geocode } from '../geo/index.js';
import { recordAnswer } from '../introductions/answers.js';
import { ingestRaw } from '../ingest/store.js';
import { createLogger } from '../log.js';
import { answerUrl } from '../mail/links.js';
import { createRedis } from '../queue/connection.js';
import { profileFromInput } from '../registration.js';
import { runWeeklyRound } from '../round/run.js';
import { startService, type RunningService } from '../service.js';
import { sendReferentDigest } from '../territory/digest-run.js';
import { DEMO_NETWORKS, DEMO_PEOPLE, DEMO_REFERENT } from './demo-people.js';

const USAGE = `Usage: maillage demo [--fresh] [--no-serve]

  Loads ~60 fictional people (addresses @exemple.org) into a separate database (<your database>_demo),
  runs a matching round, and serves maillage so you can read the proposals in the outbox, click the
  one-click answers, read the meeting emails and open the operator's console.

  --fresh      drop the demo database and its queues first, and start over
  --no-serve   prepare everything, print the links, and exit instead of serving
`;

const DAY = 86_400_000;

/** "Marie Dupont" → "marie.dupont@exemple.org": fictional, on a domain reserved for examples. */
export function demoEmail(name: string): string {
  const local = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '.')
    .replace(/^\.|\.$/g, '');
  return `${local}@exemple.org`;
}

/** The demo's own database: the configured one's name with "_demo", on the same server. */
export function demoDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'maillage';
  url.pathname = `/${name.endsWith('_demo') ? name : `${name}_demo`}`;
  return url.toString();
}

export interface DemoLoad {
  people: number;
  created: number;
  referentId: number;
}

/**
 * Writes the fictional people, networks and référente. Idempotent: an address already present is
 * left as it is. Registration dates are spread over the last nine weeks so that the console's
 * funnel and the référente's "new this week" look like a service that has been running a while.
 */
export async function loadDemoData(ctx: Pick<AppContext, 'sql'>, now = new Date()): Promise<DemoLoad> {
  return ctx.sql.begin(async (tx) => {
    const networks = new Map<string, number>();
    for (const n of DEMO_NETWORKS) networks.set(n.slug, (await upsertNetwork(tx, n.slug, n.name)).network.id);
    let created = 0;
    for (const [i, p] of DEMO_PEOPLE.entries()) {
      const place = geocode(p.place);
      if (!place) throw new Error(`demo: no commune found for "${p.place}"`);
      const daysAgo = (i % 9) * 7 + ((i * 3) % 7);
      const registered = new Date(now.getTime() - daysAgo * DAY - 3_600_000);
      const confirmed = new Date(Math.min(now.getTime() - 60_000, registered.getTime() + 5 * 3_600_000));
      const rows = await tx`
        insert into people (email, name, source, network_id, consent_at, visible_to_referents, status, confirmed_at, waiting_since, created_at, updated_at)
        values (${demoEmail(p.name)}, ${p.name}, ${i % 3 === 0 ? 'email' : 'form'}, ${p.network ? networks.get(p.network)! : null},
                ${registered}, ${p.visible}, 'active', ${confirmed}, ${confirmed}, ${registered}, ${confirmed})
        on conflict (email) do nothing
        returning id`;
      if (rows.length === 0) continue;
      created++;
      await upsertProfile(tx, rows[0]!.id as number, profileFromInput({
        role: p.role,
        categories: p.categories,
        description: p.description,
        radiusKm: p.radiusKm,
        place: { postcode: place.postcode, commune: place.commune, communeCode: place.communeCode, departement: place.departement, lat: place.lat, lon: place.lon },
      }));
    }
    const referent = await tx`
      insert into referents (email, name, status, departements, confirmed_at)
      values (${DEMO_REFERENT.email}, ${DEMO_REFERENT.name}, 'active', ${[...DEMO_REFERENT.departements]}, ${now})
      on conflict (email) do update set name = excluded.name
      returning id`;
    if (created > 0) await recordEvent(tx, 'demo.loaded', null, { people: created });
    const [count] = await tx`select count(*)::int as n from people where email like '%@exemple.org'`;
    return { people: count!.n as number, created, referentId: referent[0]!.id as number };
  });
}

/** A question only a human can answer, through the real intake: the console's "À traiter" list. */
function demoQuestion(config: Pick<Config, 'replyTo'>): Buffer {
  return Buffer.from([
    'From: Bernard Petit <bernard.petit@exemple.org>',
    `To: ${config.replyTo}`,
    'Subject: Question sur le service',
    'Message-ID: <demo-question-1@exemple.org>',
    'Date: Mon, 02 Nov 2026 10:12:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Bonjour,',
    '',
    'Est-ce que le service est gratuit pour une association ? Et est-ce que vous pouvez venir le présenter',
    'à notre assemblée générale en janvier ?',
    '',
    'Merci, Bernard',
    '',
  ].join('\r\n'), 'utf8');
}

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

interface DemoStory {
  roundId: number | null;
  introductions: number;
  /** Both said yes: the meeting email is in the outbox. */
  met: { introductionId: number; meetingOutboxId: number | null }[];
  /** One side said yes: the other side's proposal is waiting for a click. */
  waiting: { introductionId: number; personId: number; name: string; proposalOutboxId: number | null } | null;
}

/** The round (once), the proposals in the outbox, and a few answers given as those people would. */
async function playRound(ctx: AppContext): Promise<DemoStory> {
  let [round] = await ctx.sql`select id from rounds where status = 'done' order by id limit 1`;
  if (!round) {
    const result = await runWeeklyRound(ctx, { trigger: 'manual', jobId: null });
    if (result.status === 'skipped' || result.status === 'sharded') {
      await waitUntil(async () => (await ctx.sql`select 1 from rounds where status = 'done'`).length > 0, 120_000);
    }
    [round] = await ctx.sql`select id from rounds where status = 'done' order by id limit 1`;
  }
  if (!round) return { roundId: null, introductions: 0, met: [], waiting: null };
  const roundId = round.id as number;
  const intros = await ctx.sql`
    select id, person_a, person_b, status from introductions where round_id = ${roundId} order by score desc, id`;
  // The proposals must be written before anyone answers (an answered proposal is not written).
  await waitUntil(async () => {
    const [n] = await ctx.sql`select count(*)::int as n from outbound_messages where template = 'proposal'`;
    return (n!.n as number) >= 2 * intros.filter((i) => i.status === 'proposed' || i.status === 'accepted').length;
  }, 60_000);

  const met: DemoStory['met'] = [];
  for (const intro of intros.slice(0, 2)) {
    for (const personId of [intro.person_a, intro.person_b] as number[]) {
      await recordAnswer(ctx, { introductionId: intro.id as number, personId, answer: 'accepted', source: 'link' });
    }
    met.push({ introductionId: intro.id as number, meetingOutboxId: null });
  }
  let waiting: DemoStory['waiting'] = null;
  const third = intros[2];
  if (third) {
    await recordAnswer(ctx, { introductionId: third.id as number, personId: third.person_a as number, answer: 'accepted', source: 'link' });
    const [b] = await ctx.sql`select name from people where id = ${third.person_b}`;
    waiting = { introductionId: third.id as number, personId: third.person_b as number, name: (b?.name as string) ?? '', proposalOutboxId: null };
  }
  await waitUntil(async () => {
    const [n] = await ctx.sql`select count(*)::int as n from outbound_messages where template = 'meeting' and status <> 'queued'`;
    return (n!.n as number) >= met.length;
  }, 30_000);
  for (const m of met) {
    const [row] = await ctx.sql`select id from outbound_messages where idempotency_key = ${`meeting:${m.introductionId}`}`;
    m.meetingOutboxId = (row?.id as number | undefined) ?? null;
  }
  if (waiting) {
    const [row] = await ctx.sql`select id from outbound_messages where idempotency_key = ${`proposal:${waiting.introductionId}:${waiting.personId}`}`;
    waiting.proposalOutboxId = (row?.id as number | undefined) ?? null;
  }
  return { roundId, introductions: intros.length, met, waiting };
}

function firstWord(name: string): string {
  return name.split(' ')[0] ?? name;
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = args.filter((a) => a !== '--fresh' && a !== '--no-serve');
  if (unknown.length > 0) {
    process.stderr.write(`maillage demo: unknown option ${unknown.join(' ')}\n${USAGE}`);
    return 2;
  }
  const env = { ...process.env };
  if (env.SMTP_URL?.trim()) {
    process.stderr.write('maillage demo : SMTP_URL est défini. La démo écrit à des adresses fictives (@exemple.org) : lancez-la sans SMTP_URL, les e-mails restent alors dans la boîte d’envoi.\n');
    return 1;
  }
  if (env.NODE_ENV === 'production') {
    process.stderr.write('maillage demo : refusé en production (NODE_ENV=production). La démo est faite pour une machine de découverte ou de développement.\n');
    return 1;
  }
  const base = loadConfig(env);
  const generated = !env.ADMIN_PASSWORD;
  const password = env.ADMIN_PASSWORD || `demo-${randomBytes(6).toString('base64url')}`;
  const config = loadConfig({
    ...env,
    DATABASE_URL: demoDatabaseUrl(base.databaseUrl),
    QUEUE_PREFIX: base.queuePrefix.endsWith('-demo') ? base.queuePrefix : `${base.queuePrefix}-demo`,
    ADMIN_PASSWORD: password,
    // The demo prints what matters; request and job logs would bury it.
    LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
  });
  const log = createLogger(config.logLevel);

  if (args.includes('--fresh')) {
    await dropDatabase(config.databaseUrl);
    const redis = createRedis(config.redisUrl, 'queue');
    try {
      const keys = await redis.keys(`${config.queuePrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  }
  await ensureDatabase(config.databaseUrl);

  process.stdout.write('Préparation de la démo de maillage…\n');
  let service: RunningService;
  try {
    service = await startService(config, log, { web: true, workers: true, schedules: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`maillage demo : le port ${config.port} est déjà pris (un autre maillage tourne peut-être). Choisissez-en un autre : PORT=${config.port + 1} npm run demo\n`);
      return 1;
    }
    throw err;
  }
  // Links in emails point where this server really listens (PORT=0 picks a free port).
  if (!env.PUBLIC_URL && service.url) (config as { publicUrl: string }).publicUrl = service.url;
  const ctx = service.ctx;
  let stopped: Promise<void> | null = null;
  try {
    const loaded = await loadDemoData(ctx);
    await ingestRaw(ctx, demoQuestion(config), { channel: 'cli' });
    const story = await playRound(ctx);
    await sendReferentDigest(ctx, loaded.referentId);
    await waitUntil(async () => (await ctx.sql`select 1 from outbound_messages where status = 'queued' limit 1`).length === 0, 15_000);

    const url = config.publicUrl;
    const [counts] = await ctx.sql`
      select (select count(*)::int from outbound_messages) as emails,
             (select count(*)::int from outbound_messages where template = 'proposal') as proposals,
             (select count(distinct departement)::int from profiles) as departements`;
    const [digest] = await ctx.sql`select id from outbound_messages where template = 'referent-digest' order by id desc limit 1`;
    const lines = [
      '',
      `maillage — la démo est prête${args.includes('--no-serve') ? '' : ` : ${url}`}`,
      '',
      `  ${loaded.people} personnes fictives dans ${counts!.departements} départements${loaded.created === 0 ? ' (déjà chargées : rien n’a été ajouté)' : ''}.`,
      story.roundId !== null
        ? `  Tour de mise en relation n° ${story.roundId} : ${story.introductions} rencontres proposées, ${counts!.proposals} e-mails de proposition.`
        : '  Aucun tour n’a pu être fait (voir les journaux).',
      '',
      `  Boîte d’envoi, tous les e-mails (${counts!.emails}) :   ${url}/outbox`,
    ];
    if (story.waiting) {
      lines.push(
        `  Une proposition qui attend la réponse de ${firstWord(story.waiting.name)} :   ${url}/outbox/${story.waiting.proposalOutboxId ?? ''}`,
        `  Sa réponse en un clic (« Oui ») — l’autre personne a déjà dit oui :`,
        `      ${answerUrl(config, story.waiting.introductionId, story.waiting.personId, 'accepted')}`,
      );
    }
    for (const m of story.met) {
      if (m.meetingOutboxId !== null) lines.push(`  Un e-mail de mise en relation (les deux ont dit oui) :   ${url}/outbox/${m.meetingOutboxId}`);
    }
    if (digest) lines.push(`  Le récapitulatif de la référente Drôme-Ardèche :   ${url}/outbox/${digest.id}`);
    lines.push(
      '',
      `  Console de l’équipe :   ${url}/admin`,
      `      mot de passe : ${password}${generated ? '   (créé pour cette démo ; ADMIN_PASSWORD pour choisir le vôtre)' : '   (ADMIN_PASSWORD)'}`,
      `  Files de tâches :   ${url}/admin/queues     Métriques :   ${url}/metrics`,
      `  Formulaire d’inscription :   ${url}/`,
      '',
      `  Base de données de la démo : ${new URL(config.databaseUrl).pathname.slice(1)} (vos données ne sont pas touchées ; « npm run demo -- --fresh » pour repartir de zéro).`,
      args.includes('--no-serve') ? '  (--no-serve : le serveur s’arrête ; relancez « npm run demo » pour ouvrir ces liens.)' : '  Ctrl+C pour arrêter.',
      '',
    );
    // The signal handlers are in place before the lines that say the demo is ready (see runService).
    if (!args.includes('--no-serve')) {
      stopped = new Promise<void>((resolve) => {
        const shutdown = () => {
          setTimeout(() => process.exit(1), 9_000).unref();
          service.stop().then(resolve, () => resolve());
        };
        process.once('SIGTERM', shutdown);
        process.once('SIGINT', shutdown);
      });
    }
    process.stdout.write(lines.join('\n'));
  } catch (err) {
    await service.stop().catch(() => {});
    throw err;
  }

  if (args.includes('--no-serve')) {
    await service.stop();
    return 0;
  }
  await stopped;
  process.stdout.write('Démo arrêtée.\n');
  return 0;
}
