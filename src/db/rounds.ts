// Repository: rounds (one weekly matching round each) and the working tables of sharded rounds.
import type { Db, Sql } from './client.js';

export interface RoundRow {
  id: number;
  trigger: 'schedule' | 'manual';
  status: 'running' | 'done' | 'failed';
  mode: 'single' | 'sharded';
  job_id: string | null;
  started_at: Date;
  finished_at: Date | null;
  heartbeat_at: Date;
  fanned_out_at: Date | null;
  error: string | null;
  report: Record<string, unknown> | null;
}

/**
 * A running round whose last sign of life is older than this was interrupted (crash, kill -9,
 * machine restart): the next round marks it failed and goes ahead. Every job working on a round
 * touches its heartbeat far more often than this.
 */
export const ROUND_STALE_SECONDS = 600;

// Serialises "is a round running? then start one" across processes and machines.
const ROUND_LOCK_ID = 7_204_114;
// Held for a whole round by the process running it (see acquireRoundRunLock).
const ROUND_RUN_LOCK_ID = 7_204_115;

export interface RoundRunLock {
  release(): Promise<void>;
}

/**
 * A session advisory lock, held on a reserved connection by the process that runs a round for
 * as long as it runs. When that process dies (crash, kill -9, lost machine) PostgreSQL closes its
 * connection and drops the lock: the next process to get it knows at once that a round still
 * marked running has nobody working on it. Null when another live process holds it.
 */
export async function acquireRoundRunLock(sql: Sql): Promise<RoundRunLock | null> {
  const conn = await sql.reserve();
  try {
    const [row] = await conn`select pg_try_advisory_lock(${ROUND_RUN_LOCK_ID}) as ok`;
    if (!row!.ok) {
      conn.release();
      return null;
    }
  } catch (err) {
    conn.release();
    throw err;
  }
  return {
    async release() {
      await conn`select pg_advisory_unlock(${ROUND_RUN_LOCK_ID})`.catch(() => {});
      conn.release();
    },
  };
}

export type BeginRoundResult =
  | { started: true; round: RoundRow; replaced: number | null }
  /** `running` is the round in the way: still running, or already done by this same job. */
  | { started: false; running: RoundRow };

/**
 * Starts a round unless another one is running. The partial unique index on running rounds is
 * the lock; the advisory lock only makes the check-then-insert race-free. A running round is
 * taken over when it belongs to this very job (a retry after the worker died), when it ran in one
 * process that has stopped (holdsRunLock), or when its heartbeat is stale (sharded rounds).
 */
export async function beginRound(
  sql: Sql,
  input: {
    trigger: RoundRow['trigger'];
    mode: RoundRow['mode'];
    jobId: string | null;
    /** The caller holds the round run lock: a running single-process round has lost its process. */
    holdsRunLock?: boolean;
  },
): Promise<BeginRoundResult> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${ROUND_LOCK_ID})`;
    if (input.jobId !== null) {
      // A retry of a job whose round already committed (it died while fanning out, say) must
      // not run a second round: people would get two proposals in one week.
      const done = await tx<RoundRow[]>`select * from rounds where job_id = ${input.jobId} and status = 'done' limit 1`;
      if (done[0]) return { started: false as const, running: done[0] };
    }
    const running = await tx<RoundRow[]>`select * from rounds where status = 'running' for update`;
    let replaced: number | null = null;
    const current = running[0];
    if (current) {
      const stale = await tx`select ${current.heartbeat_at}::timestamptz < now() - make_interval(secs => ${ROUND_STALE_SECONDS}) as stale`;
      const ours = input.jobId !== null && current.job_id === input.jobId;
      const orphaned = current.mode === 'single' && input.holdsRunLock === true;
      if (!ours && !orphaned && !stale[0]!.stale) return { started: false as const, running: current };
      const why = ours ? 'the job was retried' : orphaned ? 'the process running it stopped' : 'no sign of life';
      await tx`
        update rounds set status = 'failed', finished_at = now(), error = ${`interrupted: ${why}`}
        where id = ${current.id}`;
      replaced = current.id;
    }
    const rows = await tx<RoundRow[]>`
      insert into rounds (trigger, mode, job_id) values (${input.trigger}, ${input.mode}, ${input.jobId})
      returning *`;
    return { started: true as const, round: rows[0]!, replaced };
  });
}

export async function touchRound(db: Db, roundId: number): Promise<void> {
  await db`update rounds set heartbeat_at = now() where id = ${roundId} and status = 'running'`;
}

export async function getRound(db: Db, roundId: number): Promise<RoundRow | undefined> {
  const rows = await db<RoundRow[]>`select * from rounds where id = ${roundId}`;
  return rows[0];
}

export async function latestRounds(db: Db, limit = 10): Promise<RoundRow[]> {
  return db<RoundRow[]>`select * from rounds order by started_at desc, id desc limit ${limit}`;
}

/** Marks the round done with its report (inside the transaction that wrote its introductions). */
export async function finishRound(db: Db, roundId: number, report: Record<string, unknown>): Promise<boolean> {
  const rows = await db`
    update rounds set status = 'done', finished_at = now(), heartbeat_at = now(), report = ${db.json(report as never)}
    where id = ${roundId} and status = 'running'
    returning id`;
  return rows.length > 0;
}

export async function failRound(db: Db, roundId: number, error: string): Promise<void> {
  await db`
    update rounds set status = 'failed', finished_at = now(), error = ${error.slice(0, 1000)}
    where id = ${roundId} and status = 'running'`;
}

export async function markFannedOut(db: Db, roundId: number): Promise<void> {
  await db`update rounds set fanned_out_at = now() where id = ${roundId}`;
}

/** Rounds whose introductions were committed but whose send jobs may not all be queued. */
export async function roundsAwaitingFanOut(db: Db): Promise<number[]> {
  const rows = await db`select id from rounds where status = 'done' and fanned_out_at is null order by id`;
  return rows.map((r) => r.id as number);
}

/** Frees the working tables of a finished round (scored pairs, term statistics). */
export async function clearShardData(db: Db, roundId: number): Promise<void> {
  await db`delete from round_shards where round_id = ${roundId}`;
  await db`delete from round_term_stats where round_id = ${roundId}`;
}
