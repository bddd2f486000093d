// `maillage match [--dry-run] [--json] [--limit N]`: runs a round now, exactly as the weekly
// scheduler would (same lock, same code, same emails), or with --dry-run shows what it would
// propose and writes nothing. Prints the round report; --json for tools.
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { closeContext, createContext, type AppContext } from '../context.js';
import { getRound, latestRounds, type RoundRow } from '../db/rounds.js';
import { JOBS, QUEUES } from '../queue/names.js';
import { formatPairs, formatReport, type PersonLabel } from '../round/report.js';
import { previewRound, runWeeklyRound, type StoredRoundReport } from '../round/run.js';
import { startWorkers } from '../worker.js';

const USAGE = `Usage: maillage match [--dry-run] [--json] [--limit N]
       maillage match --last [--json]

  --dry-run   show the pairs the next round would propose; write and send nothing
  --json      print JSON (the report, and with --dry-run the pairs with scores and reasons)
  --limit N   show at most N pairs (default 20 in the table, all in JSON); never changes the round
  --last      show the report of the latest round (scheduled or not); run nothing
`;

interface Options {
  last: boolean;
  dryRun: boolean;
  json: boolean;
  limit: number | null;
}

function parseArgs(args: string[]): Options | string {
  const options: Options = { last: false, dryRun: false, json: false, limit: null };
  for (let k = 0; k < args.length; k++) {
    const arg = args[k]!;
    if (arg === '--dry-run' || arg === '-n') options.dryRun = true;
    else if (arg === '--last') options.last = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--limit' || arg.startsWith('--limit=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++k];
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) return `--limit expects a whole number, got ${JSON.stringify(value ?? '')}`;
      options.limit = n;
    } else if (arg === '--help' || arg === '-h') return '';
    else return `unknown option ${JSON.stringify(arg)}`;
  }
  return options;
}

async function labelsFor(ctx: AppContext, ids: number[]): Promise<Map<number, PersonLabel>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.sql`
    select p.id, p.name, f.commune, f.departement
    from people p left join profiles f on f.person_id = p.id
    where p.id = any(${ctx.sql.array(ids)}::bigint[])`;
  return new Map(rows.map((r) => [r.id as number, { name: r.name as string | null, commune: r.commune as string | null, departement: r.departement as string | null }]));
}

/** A sharded round is run through the queue, this process lending a hand as one more worker. */
async function runThroughQueue(ctx: AppContext): Promise<RoundRow> {
  const workers = startWorkers(ctx, { queues: [QUEUES.round] });
  try {
    const jobId = `manual-${Date.now()}`;
    await ctx.queues.round.add(JOBS.weeklyRound, { trigger: 'manual' }, { jobId, removeOnComplete: { age: 30 * 24 * 3600 }, removeOnFail: { age: 30 * 24 * 3600 } });
    let roundId: number | null = null;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      if (roundId === null) {
        const [row] = await ctx.sql`select id from rounds where job_id = ${jobId}`;
        const job = await ctx.queues.round.getJob(jobId);
        if (job && (await job.isFailed())) throw new Error(job.failedReason || 'the round job failed');
        if (job && (await job.isCompleted()) && !row) throw new Error(`no round was started: ${JSON.stringify(job.returnvalue)}`);
        roundId = (row?.id as number | undefined) ?? null;
        continue;
      }
      const round = await getRound(ctx.sql, roundId);
      if (round && round.status !== 'running') return round;
    }
  } finally {
    await workers.close();
  }
}

export async function run(args: string[]): Promise<number> {
  const options = parseArgs(args);
  if (typeof options === 'string') {
    if (options) process.stderr.write(`maillage match: ${options}\n`);
    process.stderr.write(USAGE);
    return options ? 2 : 0;
  }
  const config = loadConfig();
  // Logs go to stderr: stdout carries the report (or JSON for tools).
  const log = pino(
    { level: process.env.LOG_LEVEL ?? 'warn', base: { service: 'maillage' }, redact: { paths: ['email', 'to', 'from'], censor: '[redacted]' } },
    pino.destination(2),
  );
  const ctx = await createContext(config, log);
  try {
    if (options.last) {
      const [round] = await latestRounds(ctx.sql, 1);
      if (!round) {
        process.stdout.write(options.json ? 'null\n' : "Aucun tour n'a encore eu lieu.\n");
        return 0;
      }
      if (options.json) process.stdout.write(`${JSON.stringify({ id: round.id, status: round.status, startedAt: round.started_at, finishedAt: round.finished_at, error: round.error, report: round.report })}\n`);
      else if (round.status === 'done' && round.report) process.stdout.write(`${formatReport(round.report as unknown as StoredRoundReport, { finishedAt: round.finished_at })}\n`);
      else process.stdout.write(`Tour n° ${round.id} : ${round.status === 'running' ? 'en cours' : `échoué (${round.error ?? 'erreur inconnue'})`}, commencé le ${round.started_at.toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })}.\n`);
      return 0;
    }
    if (options.dryRun) {
      const { plan, report } = await previewRound(ctx);
      const limit = options.limit ?? (options.json ? plan.pairs.length : 20);
      const shown = [...plan.pairs].sort((x, y) => y.score - x.score || x.a - y.a || x.b - y.b).slice(0, limit);
      const labels = await labelsFor(ctx, [...new Set(shown.flatMap((p) => [p.a, p.b]))]);
      if (options.json) {
        const person = (id: number) => ({ id, name: labels.get(id)?.name ?? null, commune: labels.get(id)?.commune ?? null });
        process.stdout.write(
          `${JSON.stringify({
            dryRun: true,
            report,
            pairs: shown.map((p) => ({
              a: person(p.a),
              b: person(p.b),
              score: p.score,
              distanceKm: p.distanceKm,
              components: p.components,
              sharedWords: p.sharedWords,
              explanation: p.explanation,
            })),
            unmatched: plan.unmatched.map((u) => ({ id: u.id, reason: u.reason })),
          })}\n`,
        );
      } else {
        process.stdout.write(`${formatReport(report, { dryRun: true })}\n\n${formatPairs(plan.pairs, labels, limit)}\n`);
      }
      return 0;
    }

    let report: StoredRoundReport;
    let finishedAt: Date | null = null;
    if (config.roundShards > 1) {
      const round = await runThroughQueue(ctx);
      if (round.status !== 'done') throw new Error(`round ${round.id} failed: ${round.error ?? 'unknown error'}`);
      report = round.report as unknown as StoredRoundReport;
      finishedAt = round.finished_at;
    } else {
      const result = await runWeeklyRound(ctx, { trigger: 'manual', jobId: null });
      if (result.status === 'skipped') {
        const round = result.roundId === null ? undefined : await getRound(ctx.sql, result.roundId);
        const since = round ? `, commencé le ${round.started_at.toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })}` : '';
        const message = `Un tour est déjà en cours${round ? ` (n° ${round.id}${since})` : ''}. Réessayez quand il sera terminé.`;
        if (options.json) process.stdout.write(`${JSON.stringify({ status: 'skipped', reason: result.reason, roundId: result.roundId })}\n`);
        else process.stderr.write(`${message}\n`);
        return 1;
      }
      if (result.status !== 'done') throw new Error('unexpected round state');
      report = result.report;
      finishedAt = new Date();
    }
    if (options.json) process.stdout.write(`${JSON.stringify({ status: 'done', report })}\n`);
    else process.stdout.write(`${formatReport(report, { finishedAt })}\n\nLes propositions sont dans la file d'envoi : tout processus « maillage start » ou « maillage worker » les écrit et les envoie.\n`);
    return 0;
  } finally {
    await closeContext(ctx);
  }
}
