// Importing people from a partner network's list (JSON Lines or CSV). Nobody is matched
// without having said yes: each imported person is invited to confirm, unless the operator
// states that the list's people already agreed to be introduced (--consented), which is then
// recorded in the event log with the file's name. Idempotent on email: an address already
// known is left exactly as it is, so importing the same file twice changes nothing.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AppContext } from '../context.js';
import { recordEvent } from '../db/events.js';
import { upsertProfile, type ProfileInput } from '../db/people.js';
import { placeWords, type GeoResult } from '../geo/index.js';
import { personalFooter } from '../introductions/templates.js';
import { enqueueSend, writeEmail } from '../mail/outbox.js';
import { analyse } from '../match/text.js';
import { confirmationUrl } from '../registration.js';
import { CATEGORIES, CATEGORY_LABELS, CATEGORY_SHORT_LABELS, ROLES, type Category, type Role } from '../vocabulary.js';
import { radiusFromText, understoodSummary } from './apply.js';
import { detectCategories, detectRole, foldText } from './lexicon.js';
import { escapeHtml } from '../web/html.js';

export interface ImportRecord {
  /** Line of the file the record starts on (1-based; a CSV's header is line 1). */
  line: number;
  fields: Record<string, unknown> | null;
  /** Set when the line could not be read at all (bad JSON, unbalanced quotes). */
  error?: string;
}

export interface ImportCandidate {
  line: number;
  email: string;
  name: string | null;
  description: string;
  place: GeoResult | null;
  role: Role | null;
  categories: Category[];
  networkSlug: string | null;
  radiusKm: number | null;
}

export type LineReport =
  | { line: number; status: 'imported' | 'exists' | 'would-import'; email: string; personId?: number; warnings: string[] }
  | { line: number; status: 'rejected'; errors: string[]; warnings: string[] };

export interface ImportOptions {
  /** Network slug for every line without its own "network" field. */
  network: string | null;
  consented: boolean;
  /** The file's name, recorded with the consent (never its content). */
  fileName: string;
  dryRun?: boolean;
}

export const DESCRIPTION_MIN = 20;
export const DESCRIPTION_MAX = 4000;
const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

// --- reading files ---------------------------------------------------------------------------

/** Decodes a partner's file: UTF-8 (with or without BOM), else windows-1252 (French Excel exports). */
export function decodeText(bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('windows-1252').decode(bytes);
  }
  return text.replace(/^\uFEFF/, '');
}

export function parseJsonLines(text: string): ImportRecord[] {
  const out: ImportRecord[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) out.push({ line: i + 1, fields: null, error: 'not a JSON object' });
      else out.push({ line: i + 1, fields: value as Record<string, unknown> });
    } catch (err) {
      out.push({ line: i + 1, fields: null, error: `invalid JSON (${(err as Error).message.replace(/ in JSON at position \d+.*$/, '')})` });
    }
  });
  return out;
}

/** RFC 4180 CSV; the separator (, ; or tab) is read from the header line. */
export function parseCsv(text: string): ImportRecord[] {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length - 1] as const);
  const sep = counts.sort((a, b) => b[1] - a[1])[0]![0];
  const rows: { line: number; cells: string[]; error?: string }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === sep) {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      line++;
      rowLine = line;
    } else cell += c;
  }
  if (quoted) {
    cells.push(cell);
    rows.push({ line: rowLine, cells, error: 'a quoted field is never closed' });
  } else if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    rows.push({ line: rowLine, cells });
  }
  const [header, ...body] = rows;
  if (!header) return [];
  const names = header.cells.map((h) => h.trim());
  return body
    .filter((r) => r.cells.some((v) => v.trim() !== ''))
    .map((r) => {
      if (r.error) return { line: r.line, fields: null, error: r.error };
      const fields: Record<string, unknown> = {};
      names.forEach((n, i) => {
        if (n) fields[n] = r.cells[i] ?? '';
      });
      return { line: r.line, fields };
    });
}

export function parseImportFile(fileName: string, bytes: Buffer): ImportRecord[] {
  const text = decodeText(bytes);
  if (/\.jsonl$|\.ndjson$|\.json$/i.test(fileName)) return parseJsonLines(text);
  if (/\.csv$|\.tsv$|\.txt$/i.test(fileName)) return parseCsv(text);
  // No telling extension: JSON Lines start with "{".
  return text.trimStart().startsWith('{') ? parseJsonLines(text) : parseCsv(text);
}

// --- validating ------------------------------------------------------------------------------

/** Header names partners actually use, folded, → our field. */
const ALIASES: Record<string, keyof typeof FIELD_NAMES> = {
  email: 'email', 'e-mail': 'email', mail: 'email', courriel: 'email', 'adresse e-mail': 'email', 'adresse mail': 'email', 'adresse email': 'email',
  name: 'name', nom: 'name', prenom: 'name', 'prenom nom': 'name', 'nom prenom': 'name', structure: 'name',
  description: 'description', projet: 'description', 'description du projet': 'description', texte: 'description',
  postcode: 'postcode', 'code postal': 'postcode', cp: 'postcode', codepostal: 'postcode', postal_code: 'postcode',
  commune: 'commune', ville: 'commune', city: 'commune', localite: 'commune', lieu: 'commune', place: 'commune',
  role: 'role', categories: 'categories', category: 'categories', categorie: 'categories', themes: 'categories', theme: 'categories',
  network: 'network', reseau: 'network',
};
const FIELD_NAMES = { email: 1, name: 1, description: 1, postcode: 1, commune: 1, role: 1, categories: 1, network: 1 } as const;

function normaliseFields(fields: Record<string, unknown>): { values: Partial<Record<keyof typeof FIELD_NAMES, unknown>>; unknown: string[] } {
  const values: Partial<Record<keyof typeof FIELD_NAMES, unknown>> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const folded = foldText(key).trim();
    const field = ALIASES[folded] ?? ALIASES[folded.replace(/_/g, ' ')];
    if (field) {
      if (values[field] === undefined || values[field] === '') values[field] = value;
    } else if (value !== '' && value !== null && value !== undefined) unknown.push(key);
  }
  return { values, unknown };
}

function str(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\s+/g, ' ').trim();
  if (typeof value === 'number') return String(value);
  return '';
}

const ROLE_WORDS: Record<string, Role> = {
  porteur: 'porteur', porteuse: 'porteur', 'porteur de projet': 'porteur', 'porteuse de projet': 'porteur', 'porteur·se': 'porteur', carry: 'porteur',
  rejoindre: 'rejoindre', 'rejoindre un projet': 'rejoindre', 'souhaite rejoindre': 'rejoindre', join: 'rejoindre', benevole: 'rejoindre',
  ressource: 'ressource', professionnel: 'ressource', professionnelle: 'ressource', structure: 'ressource', 'personne ressource': 'ressource',
};

function readCategories(value: unknown, warnings: string[]): Category[] {
  const items = Array.isArray(value) ? value.map(str) : str(value).split(/[,;|/]/).map((s) => s.trim());
  const out = new Set<Category>();
  for (const item of items.filter(Boolean)) {
    const f = foldText(item).trim();
    const found = CATEGORIES.find((c) => c === f || foldText(CATEGORY_SHORT_LABELS[c]) === f || foldText(CATEGORY_LABELS[c]) === f)
      ?? detectCategories(f, { folded: true })[0];
    if (found) out.add(found);
    else warnings.push(`unknown category "${item}" ignored`);
  }
  return [...out];
}

/** Checks one record; `geocode` finds the commune (offline gazetteer). */
export function validateRecord(
  record: ImportRecord,
  geocode: (text: string) => GeoResult | null,
): { ok: true; candidate: ImportCandidate; warnings: string[] } | { ok: false; errors: string[]; warnings: string[] } {
  if (!record.fields) return { ok: false, errors: [record.error ?? 'unreadable line'], warnings: [] };
  const errors: string[] = [];
  const warnings: string[] = [];
  const { values, unknown } = normaliseFields(record.fields);
  if (unknown.length) warnings.push(`unknown field${unknown.length > 1 ? 's' : ''} ignored: ${unknown.slice(0, 5).join(', ')}`);

  const email = str(values.email).toLowerCase();
  if (!email) errors.push('no email');
  else if (email.length > 254 || !EMAIL_RE.test(email)) errors.push(`invalid email "${email.slice(0, 80)}"`);

  const name = str(values.name).slice(0, 80) || null;
  if (name && /[<>{}\\]|https?:/i.test(name)) errors.push('name contains a link or < > { } \\');

  let description = typeof values.description === 'string' ? values.description.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim() : '';
  if (description.length < DESCRIPTION_MIN) errors.push(description ? `description too short (${description.length} characters, ${DESCRIPTION_MIN} at least)` : 'no description');
  if (description.length > DESCRIPTION_MAX) {
    warnings.push(`description cut to ${DESCRIPTION_MAX} characters (was ${description.length})`);
    description = `${description.slice(0, DESCRIPTION_MAX).replace(/\s+\S*$/, '')}…`;
  }

  const postcode = str(values.postcode);
  const commune = str(values.commune);
  let place: GeoResult | null = null;
  if (!postcode && !commune) errors.push('no postcode or commune');
  else {
    place = geocode([commune, postcode].filter(Boolean).join(' '));
    if (!place && postcode && commune) place = geocode(postcode) ?? geocode(commune);
    if (!place) errors.push(`place not found: "${[postcode, commune].filter(Boolean).join(' ')}"`);
    else if (postcode && place.postcode && place.postcode !== postcode && commune) warnings.push(`postcode ${postcode} does not match ${place.commune}; kept ${place.commune} ${place.postcode}`);
  }

  const roleText = foldText(str(values.role)).trim();
  let role: Role | null = (ROLES as readonly string[]).includes(roleText) ? (roleText as Role) : ROLE_WORDS[roleText] ?? null;
  if (roleText && !role) warnings.push(`unknown role "${str(values.role)}", read from the description instead`);
  role ??= detectRole(description);

  let categories = values.categories !== undefined && values.categories !== '' ? readCategories(values.categories, warnings) : [];
  if (categories.length === 0) categories = detectCategories(description);

  const networkText = str(values.network).toLowerCase();
  if (networkText && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(networkText)) warnings.push(`network "${networkText}" is not a slug, ignored`);

  if (errors.length > 0) return { ok: false, errors, warnings };
  const radius = radiusFromText(description);
  return {
    ok: true,
    warnings,
    candidate: {
      line: record.line,
      email,
      name,
      description,
      place,
      role,
      categories,
      networkSlug: /^[a-z0-9][a-z0-9-]{0,62}$/.test(networkText) ? networkText : null,
      radiusKm: radius === undefined ? 50 : radius,
    },
  };
}

// --- writing ---------------------------------------------------------------------------------

export async function importRecords(
  ctx: AppContext,
  records: ImportRecord[],
  options: ImportOptions,
  geocode: (text: string) => GeoResult | null,
  onLine?: (report: LineReport) => void,
): Promise<LineReport[]> {
  const reports: LineReport[] = [];
  const networks = new Map<string, { id: number; slug: string; name: string } | null>();
  const networkBySlug = async (slug: string | null) => {
    if (!slug) return null;
    if (!networks.has(slug)) {
      const rows = await ctx.sql<{ id: number; slug: string; name: string }[]>`select id, slug, name from networks where slug = ${slug}`;
      networks.set(slug, rows[0] ?? null);
    }
    return networks.get(slug) ?? null;
  };
  const fileName = path.basename(options.fileName);
  const seen = new Set<string>();

  for (const record of records) {
    const checked = validateRecord(record, geocode);
    let report: LineReport;
    if (!checked.ok) {
      report = { line: record.line, status: 'rejected', errors: checked.errors, warnings: checked.warnings };
    } else {
      const c = checked.candidate;
      const warnings = [...checked.warnings];
      const slug = c.networkSlug ?? options.network;
      const network = await networkBySlug(slug);
      if (slug && !network) warnings.push(`network "${slug}" does not exist, imported without a network`);
      if (seen.has(c.email)) {
        report = { line: c.line, status: 'exists', email: c.email, warnings: [...warnings, 'same email earlier in this file'] };
      } else if (options.dryRun) {
        const exists = await ctx.sql`select 1 from people where email = ${c.email}`;
        report = { line: c.line, status: exists.length ? 'exists' : 'would-import', email: c.email, warnings };
      } else {
        const result = await importOne(ctx, c, network, options.consented, fileName);
        report = { line: c.line, status: result.created ? 'imported' : 'exists', email: c.email, personId: result.personId, warnings };
      }
      seen.add(c.email);
    }
    reports.push(report);
    onLine?.(report);
  }

  if (!options.dryRun) {
    const count = (s: LineReport['status']) => reports.filter((r) => r.status === s).length;
    await recordEvent(ctx.sql, 'import.completed', null, {
      file: fileName, network: options.network, consented: options.consented,
      imported: count('imported'), existing: count('exists'), rejected: count('rejected'),
    });
  }
  return reports;
}

async function importOne(
  ctx: AppContext,
  c: ImportCandidate,
  network: { id: number; slug: string; name: string } | null,
  consented: boolean,
  fileName: string,
): Promise<{ created: boolean; personId: number }> {
  const analysed = analyse(c.description, { ignoreWords: placeWords(c.place?.commune, c.place?.departement) });
  const profile: ProfileInput = {
    role: c.role,
    categories: c.categories,
    description: c.description,
    postcode: c.place?.postcode ?? null,
    commune: c.place?.commune ?? null,
    communeCode: c.place?.communeCode ?? null,
    departement: c.place?.departement ?? null,
    lat: c.place?.lat ?? null,
    lon: c.place?.lon ?? null,
    radiusKm: c.radiusKm,
    terms: analysed.terms,
    termCounts: analysed.counts,
  };
  const nonce = randomBytes(12).toString('base64url');
  const result = await ctx.sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${c.email}))`;
    const existing = await tx<{ id: number }[]>`select id from people where email = ${c.email}`;
    if (existing.length > 0) return { created: false, personId: existing[0]!.id, mailId: null as number | null };
    const inserted = await tx<{ id: number }[]>`
      insert into people (email, name, source, network_id, consent_at, confirm_nonce, status)
      values (${c.email}, ${c.name}, 'import', ${network?.id ?? null}, ${consented ? new Date() : null},
              ${consented ? null : nonce}, ${consented ? 'active' : 'pending'})
      returning id`;
    const personId = inserted[0]!.id;
    await upsertProfile(tx, personId, profile);
    // The consent of a --consented list is the operator's statement about that file: say which.
    await recordEvent(tx, 'registration.imported', personId, { network: network?.slug ?? null, consented, file: fileName });
    const networkName = network?.name ?? 'Un réseau partenaire';
    const networkLabel = network ? `Le réseau « ${network.name} »` : 'Un réseau partenaire de maillage';
    const first = c.name ? c.name.split(/\s+/)[0]! : '';
    const vars = {
      greeting: first && /^\p{Lu}[\p{Ll}'’-]+$/u.test(first) ? `Bonjour ${first}` : c.name ? `Bonjour ${c.name}` : 'Bonjour',
      networkName,
      ...understoodSummary(c.name, profile),
    };
    const mail = consented
      ? await writeEmail(tx, ctx, {
          key: `import-welcome:${personId}`,
          personId,
          to: c.email,
          template: 'import-welcome',
          vars: { ...vars, ...personalFooter(ctx.config, personId), networkSentence: `${networkLabel} nous a transmis votre inscription.`, preview: 'Vous êtes inscrit·e sur maillage' },
        })
      : await writeEmail(tx, ctx, {
          key: `import-invite:${personId}`,
          personId,
          to: c.email,
          template: 'import-invite',
          vars: {
            ...vars,
            networkSentence: `${networkLabel} nous a transmis votre projet, pour vous proposer de rejoindre maillage.`,
            confirmUrl: confirmationUrl(ctx, personId, nonce),
            footerHtml: inviteFooter(networkLabel).html,
            footerText: inviteFooter(networkLabel).text,
            validDays: ctx.config.confirmLinkDays,
            preview: 'Un clic pour accepter, rien à faire pour refuser',
          },
        });
    return { created: true, personId, mailId: mail.created ? mail.id : null };
  });
  if (result.mailId !== null) await enqueueSend(ctx, result.mailId);
  return { created: result.created, personId: result.personId };
}

function inviteFooter(networkLabel: string): { html: string; text: string } {
  const why = `Vous recevez ce message parce que ${networkLabel.charAt(0).toLowerCase()}${networkLabel.slice(1)} nous a transmis votre adresse. Sans réponse de votre part, nous ne vous écrirons plus.`;
  return { html: escapeHtml(why), text: `—\n${why}` };
}
