// `maillage <command>`: the operator's entry point.
import { ConfigError, loadConfig } from './config.js';
import { connect, ensureDatabase, describeConnectionError, ServiceUnreachableError } from './db/client.js';
import { migrate } from './db/migrate.js';
import { createLogger } from './log.js';
import { startService } from './service.js';

const HELP = `maillage — introductions between people who carry ecological collective projects

Usage: maillage <command> [options]

  start                 web server + workers + weekly schedule, in one process (default)
  web                   the web server only
  worker                the job workers and schedules only
  migrate               apply database migrations (also done at every start)
  parse <file.eml> [--json]      show how an email is understood (no database needed)
  geocode "<text>" [--json]      find the commune in a text (offline)
  ingest <file.eml|dir|file.mbox> [--wait]   feed saved emails through the intake
  import <file.jsonl|file.csv> [--network <slug>] [--consented]   load a partner network's list
  match [--dry-run] [--json] [--limit N]   run the weekly round now (--dry-run: preview, writes nothing)
  demo [--fresh] [--no-serve]   fictional people, a round, and links to click (own database)
  network add <slug> "<Name>" | list      partner networks, their form link and reply address
  referent add <email> --name "<Name>" --departements 26,07 | list | remove <email|id>   local référent·es
  help                  this text

Configuration comes from environment variables: see .env.example.`;

type Command = (args: string[]) => Promise<number>;

async function runService(parts: { web: boolean; workers: boolean }): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const service = await startService(config, log, parts);
  // The signal handlers are in place before the process says it is ready: a supervisor (or a
  // test) that stops it the moment it reads "prêt" must get a clean stop, not a kill.
  const stopped = new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'stopping');
      // A second signal, or a stop that hangs, ends the process anyway.
      setTimeout(() => process.exit(1), 9_000).unref();
      service.stop().then(resolve, (err) => {
        log.error({ err: (err as Error).message }, 'error while stopping');
        resolve();
      });
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
  log.info({ url: service.url ?? undefined, outbox: config.smtpUrl ? undefined : `${config.publicUrl}/outbox` }, 'maillage is running');
  if (service.url) {
    process.stdout.write(`\nmaillage est prêt : ${config.publicUrl}\n`);
    if (!config.smtpUrl) process.stdout.write(`Aucun SMTP configuré : les e-mails sont gardés dans ${config.publicUrl}/outbox\n\n`);
  }
  await stopped;
  return 0;
}

const COMMANDS: Record<string, Command> = {
  start: () => runService({ web: true, workers: true }),
  web: () => runService({ web: true, workers: false }),
  worker: () => runService({ web: false, workers: true }),
  migrate: async () => {
    const config = loadConfig();
    await ensureDatabase(config.databaseUrl);
    const sql = connect(config.databaseUrl, { max: 1 });
    try {
      const applied = await migrate(sql).catch((err) => {
        throw describeConnectionError(err, config.databaseUrl);
      });
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n');
    } finally {
      await sql.end({ timeout: 2 });
    }
    return 0;
  },
  parse: async (args) => (await import('./cli/parse.js')).run(args),
  geocode: async (args) => (await import('./cli/geocode.js')).run(args),
  ingest: async (args) => (await import('./cli/ingest.js')).run(args),
  import: async (args) => (await import('./cli/import.js')).run(args),
  match: async (args) => (await import('./cli/match.js')).run(args),
  demo: async (args) => (await import('./cli/demo.js')).run(args),
  network: async (args) => (await import('./cli/network.js')).run(args),
  referent: async (args) => (await import('./cli/referent.js')).run(args),
  help: async () => {
    process.stdout.write(`${HELP}\n`);
    return 0;
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name = 'start', ...args] = argv;
  const command = COMMANDS[name === '--help' || name === '-h' ? 'help' : name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}". Run "maillage help" for the list.\n`);
    return 2;
  }
  try {
    return await command(args);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ServiceUnreachableError) {
      process.stderr.write(`maillage: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
