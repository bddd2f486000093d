// `maillage import`: a partner network's list, line by line, with a report; nobody matched
// without having said yes; importing twice changes nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geocode } from '../../src/geo/index.js';
import { importRecords, parseCsv, parseImportFile } from '../../src/ingest/import.js';
import { Browser, hiddenField, linksIn } from '../helpers/http.js';
import { startTestService, waitFor } from '../helpers/context.js';

const BIN = fileURLToPath(new URL('../../bin/maillage.js', import.meta.url));
type Service = Awaited<ReturnType<typeof startTestService>>;
let service: Service;
let dir: string;

interface OutboxItem { to: string; subject: string; text: string; template: string; headers: Record<string, string> }
async function mailsTo(address: string): Promise<OutboxItem[]> {
  return ((await (await fetch(`${service.url}/outbox.json`)).json()) as OutboxItem[]).filter((m) => m.to === address);
}

async function person(address: string) {
  const rows = await service.ctx.sql`
    select p.*, f.commune, f.departement, f.role, f.categories, f.description, n.slug as network
    from people p left join profiles f on f.person_id = p.id left join networks n on n.id = p.network_id where p.email = ${address}`;
  return rows[0];
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = service.ctx.config;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH!, DATABASE_URL: c.databaseUrl, REDIS_URL: c.redisUrl, QUEUE_PREFIX: c.queuePrefix, LOG_LEVEL: 'warn', SECRET: 'test-secret-0123456789abcdef', PUBLIC_URL: c.publicUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  service = await startTestService();
  dir = mkdtempSync(path.join(tmpdir(), 'maillage-import-'));
});

afterAll(async () => {
  await service?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// A French spreadsheet export: semicolons, windows-1252, French headers, a quoted multi-line field.
const CSV = [
  'Courriel;Prénom;Code postal;Commune;Rôle;Thèmes;Projet',
  'anne.leroy@exemple.fr;Anne;26150;Die;porteur;habitat-partage;"Nous montons un habitat partagé de six foyers près de Die.\nIl reste deux places."',
  'pas-une-adresse;Paul;69001;Lyon;rejoindre;;Je souhaite rejoindre un projet d\'habitat participatif à Lyon.',
  'zoe@exemple.fr;Zoé;;Atlantide;;;Je cherche une ferme à rejoindre, en maraîchage bio, deux jours par semaine.',
  'marc@exemple.fr;Marc;;Roubaix;benevole;réparation, potager;Bénévole au repair café, je répare vélos et grille-pain depuis dix ans.',
].join('\r\n');

describe('maillage import', () => {
  it('reads a French CSV export (semicolons, windows-1252, quoted lines) with line numbers', () => {
    const records = parseImportFile('liste.csv', Buffer.from(CSV, 'latin1'));
    expect(records.map((r) => r.line)).toEqual([2, 4, 5, 6]);
    expect(records[0]!.fields!['Prénom']).toBe('Anne');
    expect(String(records[0]!.fields!['Projet'])).toContain('\nIl reste deux places.');
    expect(parseCsv('email,description\nx@y.fr,"oops\nno end')).toEqual([{ line: 2, fields: null, error: 'a quoted field is never closed' }]);
  });

  it('imports valid lines as pending people invited to confirm, reports the others, and is idempotent', async () => {
    const records = parseImportFile('liste.csv', Buffer.from(CSV, 'latin1'));
    const reports = await importRecords(service.ctx, records, { network: null, consented: false, fileName: 'liste.csv' }, geocode);
    expect(reports.map((r) => r.status)).toEqual(['imported', 'rejected', 'rejected', 'imported']);
    const [, badEmail, badPlace, marc] = reports;
    expect(badEmail).toMatchObject({ line: 4, errors: ['invalid email "pas-une-adresse"'] });
    expect(badPlace).toMatchObject({ line: 5, errors: ['place not found: "Atlantide"'] });
    expect(marc!.warnings).toContain('unknown category "potager" ignored');

    const anne = await person('anne.leroy@exemple.fr');
    expect(anne).toMatchObject({ status: 'pending', source: 'import', commune: 'Die', departement: '26', role: 'porteur', categories: ['habitat-partage'], consent_at: null });
    const m = await person('marc@exemple.fr');
    expect(m.role).toBe('rejoindre');
    expect(m.categories).toEqual(['reparation']);

    const invite = await waitFor(async () => (await mailsTo('anne.leroy@exemple.fr'))[0], 10_000, 'invitation');
    expect(invite.template).toBe('import-invite');
    expect(invite.subject).toBe('Un réseau partenaire vous propose de rejoindre maillage');
    expect(invite.text).toContain('Nous ne ferons rien sans votre accord.');
    expect(invite.text).toContain('Lieu : Die 26150 — Drôme (26)');

    // Saying yes: the existing confirmation page, and the click is the consent.
    const browser = new Browser(service.url!);
    const shown = await browser.get(linksIn(invite.text).find((l) => l.includes('/confirmer?t='))!);
    await browser.post('/confirmer', { t: hiddenField(shown.body, 't') });
    const confirmed = await person('anne.leroy@exemple.fr');
    expect(confirmed.status).toBe('active');
    expect(confirmed.consent_at).toBeInstanceOf(Date);

    const again = await importRecords(service.ctx, records, { network: null, consented: false, fileName: 'liste.csv' }, geocode);
    expect(again.map((r) => r.status)).toEqual(['exists', 'rejected', 'rejected', 'exists']);
    expect(await mailsTo('marc@exemple.fr')).toHaveLength(1);
    expect((await person('anne.leroy@exemple.fr')).status).toBe('active');
  });

  it('--consented: active at once, consent recorded with the file name, welcome email with control links', async () => {
    await service.ctx.sql`insert into networks (slug, name) values ('amap-idf', 'Réseau des AMAP d’Île-de-France')`;
    const jsonl = [
      JSON.stringify({ email: 'Lea@Exemple.fr', name: 'Léa', postcode: '93100', description: 'Je coordonne une AMAP à Montreuil et cherche des familles pour les distributions du jeudi.', role: 'porteur', categories: ['alimentation'] }),
      JSON.stringify({ email: 'sam@exemple.fr', name: 'Sam', commune: 'Ivry-sur-Seine', description: 'Je voudrais rejoindre une AMAP ou une épicerie coopérative près de chez moi.', network: 'inconnu' }),
      '{"email": "casse@exemple.fr", "description": ',
    ].join('\n');
    const records = parseImportFile('amap.jsonl', Buffer.from(jsonl));
    const reports = await importRecords(service.ctx, records, { network: 'amap-idf', consented: true, fileName: '/exports/amap.jsonl' }, geocode);
    expect(reports.map((r) => r.status)).toEqual(['imported', 'imported', 'rejected']);
    expect(reports[1]!.warnings).toContain('network "inconnu" does not exist, imported without a network');
    expect(reports[2]).toMatchObject({ line: 3 });

    const lea = await person('lea@exemple.fr');
    expect(lea).toMatchObject({ status: 'active', network: 'amap-idf', commune: 'Montreuil' });
    expect(lea.consent_at).toBeInstanceOf(Date);
    expect((await person('sam@exemple.fr')).network).toBeNull();
    const events = await service.ctx.sql`select data from events where type = 'registration.imported' and person_id = ${lea.id}`;
    expect(events[0]!.data).toEqual({ network: 'amap-idf', consented: true, file: 'amap.jsonl' });
    const welcome = await waitFor(async () => (await mailsTo('lea@exemple.fr'))[0], 10_000, 'welcome');
    expect(welcome.template).toBe('import-welcome');
    expect(welcome.subject).toBe('Bienvenue sur maillage, de la part de Réseau des AMAP d’Île-de-France');
    expect(welcome.text).toContain('Le réseau « Réseau des AMAP d’Île-de-France » nous a transmis votre inscription.');
    expect(welcome.text).toContain('/desinscription?t=');
    expect(welcome.headers['List-Unsubscribe']).toContain('/desinscription?t=');
  });

  it('the command: report per line, --dry-run writes nothing, an unknown --network is refused', async () => {
    const file = path.join(dir, 'partenaires.csv');
    writeFileSync(file, 'email,name,commune,description\nnoe@exemple.fr,Noé,Figeac,Je cherche des associés pour une ferme en polyculture élevage près de Figeac.\nbad,X,Figeac,Une description assez longue pour passer.\n');
    const dry = await run(['import', file, '--dry-run']);
    expect(dry.stdout).toContain('line 3: rejected — invalid email "bad"');
    expect(dry.stdout).toContain('partenaires.csv: 2 lines — 1 would be imported, 0 already registered, 1 rejected.');
    expect(dry.stdout).toContain('Dry run: nothing was written.');
    expect(dry.code).toBe(1);
    expect(await person('noe@exemple.fr')).toBeUndefined();

    const unknown = await run(['import', file, '--network', 'fermes-lot']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('network "fermes-lot" does not exist');

    const real = await run(['import', file, '--network', 'fermes-lot', '--create-network', 'Fermes du Lot']);
    expect(real.stdout).toContain('Created network "fermes-lot" (Fermes du Lot).');
    expect(real.stdout).toContain('1 imported (each invited to confirm by email), 0 already registered, 1 rejected.');
    expect((await person('noe@exemple.fr')).network).toBe('fermes-lot');
  }, 90_000);
});
