// `maillage referent add|list|remove`: the operator manages the local référent·es. Adding one
// emails them a confirmation link; nothing is sent to them before they click it.
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { closeContext, createContext } from '../context.js';
import { deleteReferent, findReferentByEmail, getReferent, listReferents } from '../db/referents.js';
import { recordEvent } from '../db/events.js';
import { loadGazetteer } from '../geo/index.js';
import { territoryOf } from '../territory/digest-run.js';
import { addReferent, ReferentInputError } from '../territory/referents.js';
import { territoryLabel } from '../territory/territory.js';

const USAGE = `Usage:
  maillage referent add <email> --name "<Name>" [--departements 26,07] [--communes 26113,Crest] [--epci 200040491]
      adds a référent (or changes the territory of one already known) and emails them a link to confirm;
      the territory needs at least one département, commune (INSEE code or name) or EPCI (SIREN)
  maillage referent list [--json]
  maillage referent remove <email|id>
      deletes the référent (name, address and digest history)
`;

function quietLog() {
  return pino({ level: process.env.LOG_LEVEL ?? 'warn', base: { service: 'maillage' } }, pino.destination(2));
}

function option(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) return args[i + 1] ?? '';
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

const KNOWN_OPTIONS = new Set(['--name', '--departements', '--departement', '--communes', '--commune', '--epci']);

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(USAGE);
    return sub ? 0 : 2;
  }
  if (!['add', 'list', 'remove'].includes(sub)) {
    process.stderr.write(`maillage referent: unknown sub-command "${sub}"\n${USAGE}`);
    return 2;
  }

  if (sub === 'add') {
    const email = rest[0];
    if (!email || email.startsWith('--')) {
      process.stderr.write(`maillage referent add: indiquez l’adresse e-mail du ou de la référent·e\n${USAGE}`);
      return 2;
    }
    const unknown = rest.slice(1).filter((a) => a.startsWith('--') && !KNOWN_OPTIONS.has(a.split('=')[0]!));
    if (unknown.length > 0) {
      process.stderr.write(`maillage referent add: option inconnue ${unknown.join(', ')}\n${USAGE}`);
      return 2;
    }
    const config = loadConfig();
    const ctx = await createContext(config, quietLog());
    try {
      const result = await addReferent(ctx, {
        email,
        name: option(rest, 'name') ?? '',
        departements: option(rest, 'departements') ?? option(rest, 'departement'),
        communes: option(rest, 'communes') ?? option(rest, 'commune'),
        epci: option(rest, 'epci'),
      });
      const r = result.referent;
      process.stdout.write(`${result.created ? 'Référent·e ajouté·e' : 'Référent·e mis·e à jour'} : ${r.name} <${r.email}> (n° ${r.id})\n  Territoire : ${result.territory}\n`);
      process.stdout.write(
        result.confirmationSent
          ? '  Un e-mail lui demande de confirmer : rien ne lui sera envoyé avant son clic.\n  (Il part dès qu’un processus « maillage start » ou « maillage worker » tourne.)\n'
          : '  Déjà actif·ve : le nouveau territoire vaut dès le prochain récapitulatif.\n',
      );
      return 0;
    } catch (err) {
      if (err instanceof ReferentInputError) {
        process.stderr.write(`maillage referent add : rien n’a été enregistré.\n${err.errors.map((e) => `  - ${e}`).join('\n')}\n`);
        return 1;
      }
      throw err;
    } finally {
      await closeContext(ctx);
    }
  }

  if (sub === 'list') {
    const config = loadConfig();
    const ctx = await createContext(config, quietLog());
    try {
      const gaz = loadGazetteer();
      const rows = await listReferents(ctx.sql);
      if (rest.includes('--json')) {
        process.stdout.write(`${JSON.stringify(rows.map((r) => ({
          id: r.id, email: r.email, name: r.name, status: r.status, departements: r.departements, communes: r.commune_codes, epci: r.epci_codes,
          territory: territoryLabel(territoryOf(r), gaz), lastDigestWeek: r.last_digest_week, digestsSent: r.digests_sent,
        })))}\n`);
        return 0;
      }
      if (rows.length === 0) {
        process.stdout.write('Aucun·e référent·e. Ajoutez-en : maillage referent add <email> --name "<Nom>" --departements 26\n');
        return 0;
      }
      const statusFr = { pending: 'à confirmer', active: 'actif·ve', unsubscribed: 'a arrêté' } as const;
      for (const r of rows) {
        process.stdout.write(`n° ${r.id}  ${r.name} <${r.email}>  ${statusFr[r.status]}\n     ${territoryLabel(territoryOf(r), gaz)} · ${r.digests_sent} récapitulatif(s) envoyé(s)\n`);
      }
      return 0;
    } finally {
      await closeContext(ctx);
    }
  }

  const target = rest[0];
  if (!target) {
    process.stderr.write(`maillage referent remove: indiquez l’adresse ou le numéro du ou de la référent·e\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const ctx = await createContext(config, quietLog());
  try {
    const referent = /^\d+$/.test(target) ? await getReferent(ctx.sql, Number(target)) : await findReferentByEmail(ctx.sql, target.trim().toLowerCase());
    if (!referent) {
      process.stderr.write(`maillage referent remove : aucun·e référent·e ne correspond à « ${target} ».\n`);
      return 1;
    }
    await ctx.sql.begin(async (tx) => {
      if (await deleteReferent(tx, referent.id)) await recordEvent(tx, 'referent.removed', null, { referentId: referent.id });
    });
    process.stdout.write(`Référent·e retiré·e : ${referent.name} <${referent.email}>. Son nom, son adresse et l’historique de ses récapitulatifs sont effacés.\n`);
    return 0;
  } finally {
    await closeContext(ctx);
  }
}
