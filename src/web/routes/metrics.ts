// GET /metrics in the Prometheus text format (version 0.0.4), computed at scrape time from
// PostgreSQL and BullMQ: counts only, never personal data.
//
// Access: with ADMIN_PASSWORD set, HTTP basic auth with that password (any user name), which
// Prometheus' `basic_auth` sends. Without it, open on a development machine (NODE_ENV other than
// production) and absent (404) in production: an operator who has not set a password has not
// chosen to publish counts either.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { adminBasicAuth } from './outbox.js';

type Labels = Record<string, string>;

interface Metric {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels?: Labels; value: number }[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function formatMetrics(metrics: readonly Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = s.labels && Object.keys(s.labels).length > 0
        ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
        : '';
      lines.push(`${m.name}${labels} ${Number.isFinite(s.value) ? s.value : 'NaN'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;

export async function collectMetrics(ctx: AppContext): Promise<Metric[]> {
  const started = performance.now();
  const [inbound, outbound, people, rounds, lastRound, introductions, referents, digests] = await Promise.all([
    // From the append-only event log: survives erasure, so the counter never goes down.
    ctx.sql`select coalesce(data->>'kind', 'unknown') as kind, coalesce(data->>'channel', 'unknown') as channel, count(*)::int as n
            from events where type = 'inbound.processed' group by 1, 2 order by 1, 2`,
    ctx.sql`select status, count(*)::int as n from outbound_messages group by 1 order by 1`,
    ctx.sql`select status, count(*)::int as n from people group by 1 order by 1`,
    ctx.sql`select status, count(*)::int as n from rounds group by 1 order by 1`,
    ctx.sql`select extract(epoch from finished_at - started_at)::float8 as seconds, extract(epoch from finished_at)::float8 as finished,
                   coalesce((report->>'introductions')::int, 0) as introductions, coalesce((report->>'people')::int, 0) as people,
                   coalesce((report->>'unmatched')::int, 0) as unmatched
            from rounds where status = 'done' order by finished_at desc limit 1`,
    ctx.sql`select status, count(*)::int as n from introductions group by 1 order by 1`,
    ctx.sql`select status, count(*)::int as n from referents group by 1 order by 1`,
    ctx.sql`select count(*) filter (where sent)::int as sent, count(*) filter (where not sent)::int as empty from referent_digests`,
  ]);
  const inboundStatus = await ctx.sql`select status, count(*)::int as n from inbound_messages group by 1 order by 1`;
  const queueCounts = await Promise.all(
    Object.values(ctx.queues).map(async (q) => ({ queue: q.name, counts: await q.getJobCounts(...JOB_STATES).catch(() => null) })),
  );
  const last = lastRound[0];
  const metrics: Metric[] = [
    {
      name: 'maillage_inbound_messages_processed_total',
      help: 'Inbound messages processed, by kind (registration, auto_reply, bounce, command, intro_reply, other, loop) and channel.',
      type: 'counter',
      samples: inbound.map((r) => ({ labels: { kind: r.kind as string, channel: r.channel as string }, value: r.n as number })),
    },
    {
      name: 'maillage_inbound_messages',
      help: 'Inbound messages currently stored, by processing status (stored = waiting, failed = kept for the operator).',
      type: 'gauge',
      samples: inboundStatus.map((r) => ({ labels: { status: r.status as string }, value: r.n as number })),
    },
    {
      name: 'maillage_emails',
      help: 'Emails in the outbox, by status (sent, held = kept in the outbox without SMTP, failed, queued, sending, suppressed).',
      type: 'gauge',
      samples: outbound.map((r) => ({ labels: { status: r.status as string }, value: r.n as number })),
    },
    {
      name: 'maillage_people',
      help: 'People by status.',
      type: 'gauge',
      samples: people.map((r) => ({ labels: { status: r.status as string }, value: r.n as number })),
    },
    {
      name: 'maillage_introductions',
      help: 'Introductions by status.',
      type: 'gauge',
      samples: introductions.map((r) => ({ labels: { status: r.status as string }, value: r.n as number })),
    },
    {
      name: 'maillage_rounds',
      help: 'Matching rounds by status.',
      type: 'gauge',
      samples: rounds.map((r) => ({ labels: { status: r.status as string }, value: r.n as number })),
    },
    { name: 'maillage_round_last_duration_seconds', help: 'Duration of the last completed round.', type: 'gauge', samples: last ? [{ value: last.seconds as number }] : [] },
    { name: 'maillage_round_last_finished_timestamp_seconds', help: 'When the last completed round finished (Unix time).', type: 'gauge', samples: last ? [{ value: last.finished as number }] : [] },
    { name: 'maillage_round_last_introductions', help: 'Introductions written by the last completed round.', type: 'gauge', samples: last ? [{ value: last.introductions as number }] : [] },
    { name: 'maillage_round_last_people', help: 'People considered by the last completed round.', type: 'gauge', samples: last ? [{ value: last.people as number }] : [] },
    { name: 'maillage_round_last_unmatched', help: 'People the last completed round found no partner for.', type: 'gauge', samples: last ? [{ value: last.unmatched as number }] : [] },
    {
      name: 'maillage_queue_jobs',
      help: 'BullMQ jobs by queue and state.',
      type: 'gauge',
      samples: queueCounts.flatMap(({ queue, counts }) => (counts ? JOB_STATES.map((state) => ({ labels: { queue, state }, value: counts[state] ?? 0 })) : [])),
    },
    {
      name: 'maillage_referents',
      help: 'Référents by status.',
      type: 'gauge',
      samples: referents.map((r) => ({ labels: { status: r.status as string }, value: r.n as number })),
    },
    {
      name: 'maillage_referent_digests_total',
      help: 'Référent digests looked at, sent or with nothing new (not sent).',
      type: 'counter',
      samples: [{ labels: { outcome: 'sent' }, value: digests[0]!.sent as number }, { labels: { outcome: 'nothing_new' }, value: digests[0]!.empty as number }],
    },
  ];
  metrics.push({ name: 'maillage_metrics_scrape_seconds', help: 'Time taken to compute this page.', type: 'gauge', samples: [{ value: (performance.now() - started) / 1000 }] });
  return metrics;
}

export function metricsRoutes(ctx: AppContext): Router {
  const router = Router();
  const openWithoutPassword = ctx.config.env !== 'production';
  router.get('/metrics', adminBasicAuth(ctx, { openWithoutPassword }), async (_req: Request, res: Response) => {
    const metrics = await collectMetrics(ctx);
    res.set('Cache-Control', 'no-store').type('text/plain; version=0.0.4; charset=utf-8').send(formatMetrics(metrics));
  });
  return router;
}
