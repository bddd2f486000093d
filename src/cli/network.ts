// `maillage network add <slug> "<Name>"` and `maillage network list [--json]`: the partner
// networks whose bulletin or form brings people in, with what each brought.
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { closeContext, createContext } from '../context.js';
import { listNetworkStats, NETWORK_SLUG, upsertNetwork } from '../db/networks.js';

const USAGE = `Usage:
  maillage network add <slug> "<Name>"   create a network (or rename it), print its form link and reply address
  maillage network list [--json]          every network, with the people it brought and how many met someone

  <slug>: lower-case letters, digits and hyphens, e.g. repair-cafes-44
`;

function quietLog() {
  return pino({ level: process.env.LOG_LEVEL ?? 'warn', base: { service: 'maillage' } }, pino.destination(2));
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(USAGE);
    return sub ? 0 : 2;
  }
  if (sub !== 'add' && sub !== 'list') {
    process.stderr.write(`maillage network: unknown sub-command "${sub}"\n${USAGE}`);
    return 2;
  }
  if (sub === 'add') {
    const slug = (rest[0] ?? '').trim().toLowerCase();
    const name = rest.slice(1).join(' ').replace(/\s+/g, ' ').trim();
    if (!NETWORK_SLUG.test(slug)) {
      process.stderr.write(`maillage network add: identifiant invalide ${JSON.stringify(rest[0] ?? '')} (lettres minuscules, chiffres et tirets, par exemple repair-cafes-44)\n`);
      return 2;
    }
    if (!name || name.length > 120) {
      process.stderr.write('maillage network add: indiquez le nom du réseau, par exemple "Repair cafés de Loire-Atlantique"\n');
      return 2;
    }
    const config = loadConfig();
    const ctx = await createContext(config, quietLog());
    try {
      const { network, created } = await upsertNetwork(ctx.sql, slug, name);
      const [local, domain] = config.replyTo.split('@');
      process.stdout.write(
        `${created ? 'Réseau créé' : 'Réseau mis à jour'} : ${network.name} (${network.slug})\n` +
          `  Lien d’inscription à partager : ${config.publicUrl}/?reseau=${network.slug}\n` +
          `  Adresse de réponse de son bulletin : ${local}+${network.slug}@${domain}\n`,
      );
      return 0;
    } finally {
      await closeContext(ctx);
    }
  }
  const json = rest.includes('--json');
  const config = loadConfig();
  const ctx = await createContext(config, quietLog());
  try {
    const networks = await listNetworkStats(ctx.sql);
    if (json) {
      process.stdout.write(`${JSON.stringify(networks.map((n) => ({ slug: n.slug, name: n.name, brought: n.brought, active: n.active, proposed: n.proposed, met: n.met })))}\n`);
      return 0;
    }
    if (networks.length === 0) {
      process.stdout.write('Aucun réseau. Ajoutez-en un : maillage network add <slug> "<Nom>"\n');
      return 0;
    }
    const width = Math.max(6, ...networks.map((n) => n.slug.length));
    process.stdout.write(`${'réseau'.padEnd(width)}  venues  actives  proposées  rencontré  nom\n`);
    for (const n of networks) {
      process.stdout.write(
        `${n.slug.padEnd(width)}  ${String(n.brought).padStart(6)}  ${String(n.active).padStart(7)}  ${String(n.proposed).padStart(9)}  ${String(n.met).padStart(9)}  ${n.name}\n`,
      );
    }
    return 0;
  } finally {
    await closeContext(ctx);
  }
}
