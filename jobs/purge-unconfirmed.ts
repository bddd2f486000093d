// Erases registrations nobody confirmed once their confirmation link has expired: the
// confirmation email promises it, and data of someone who never said yes has no reason to stay.
// The person row stays as an anonymous tombstone (see erasePerson), so counts keep their meaning.
import type { AppContext } from '../src/context.js';
import { erasePerson } from '../src/control.js';
import { JOBS, QUEUES } from '../src/queue/names.js';
import type { JobDefinition } from '../src/queue/registry.js';

async function process(_job: unknown, ctx: AppContext): Promise<number> {
  // One day of grace after the link's expiry, for a click made just before it.
  const stale = await ctx.sql`
    select id from people
    where status = 'pending' and confirmed_at is null
      and created_at < now() - make_interval(days => ${ctx.config.confirmLinkDays + 1})
    order by id limit 500`;
  let erased = 0;
  for (const { id } of stale) {
    const done = await ctx.sql.begin((tx) => erasePerson(tx, id as number, 'purge-unconfirmed'));
    if (done !== null) erased++;
  }
  if (erased > 0) ctx.log.info({ erased }, 'unconfirmed registrations erased');
  return erased;
}

export const purgeUnconfirmedJob: JobDefinition<Record<string, never>> = {
  name: JOBS.purgeUnconfirmed,
  queue: QUEUES.maintenance,
  process,
};
