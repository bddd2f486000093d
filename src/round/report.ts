// The round report as the operator reads it (CLI, logs): French, plain text, counts and reasons.
import type { PlannedPair } from '../match/index.js';
import { UNMATCHED_LABELS, UNMATCHED_REASONS } from '../match/index.js';
import type { StoredRoundReport } from './run.js';

const fr = new Intl.NumberFormat('fr-FR');
const fr1 = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
const fr2 = new Intl.NumberFormat('fr-FR', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function seconds(ms: number | undefined): string {
  return `${fr1.format((ms ?? 0) / 1000)} s`;
}

export function formatReport(report: StoredRoundReport, options: { dryRun?: boolean; finishedAt?: Date | null } = {}): string {
  const lines: string[] = [];
  const when = options.finishedAt
    ? ` — ${options.finishedAt.toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' })}`
    : '';
  const title = report.roundId !== null ? `Tour de mise en relation n° ${report.roundId}` : 'Aperçu du prochain tour de mise en relation';
  lines.push(`${title} (${report.trigger === 'manual' ? 'lancé à la main' : 'planifié'}, ${report.mode === 'sharded' ? `réparti en ${report.shards?.length ?? '?'} morceaux` : 'un seul processus'})${when}`);
  if (options.dryRun) lines.push("Aperçu seulement : rien n'a été enregistré ni envoyé.");
  lines.push('');
  lines.push(`Personnes disponibles cette semaine : ${fr.format(report.people)}`);
  lines.push(`  dont avec une description et un lieu (ou « n'importe où ») : ${fr.format(report.eligible)}`);
  lines.push(
    `Rencontres proposées : ${fr.format(report.introductions)} (${fr.format(report.peopleProposed)} personnes, au plus ${report.settings.maxPerPerson} par personne)`,
  );
  if (report.skippedAtWrite > 0) {
    lines.push(`  ${fr.format(report.skippedAtWrite)} rencontre(s) écartée(s) à l'écriture : l'une des deux personnes n'était plus disponible.`);
  }
  lines.push(`Sans proposition cette fois : ${fr.format(report.unmatched)}`);
  const reasons = UNMATCHED_REASONS.filter((r) => (report.byReason[r] ?? 0) > 0).sort((x, y) => report.byReason[y] - report.byReason[x]);
  for (const reason of reasons) {
    lines.push(`  ${fr.format(report.byReason[reason]).padStart(8)}  ${UNMATCHED_LABELS[reason]} [${reason}]`);
  }
  lines.push('');
  if (report.scores) {
    lines.push(
      `Scores des rencontres (seuil ${fr2.format(report.settings.minScore)}) : min ${fr2.format(report.scores.min)} · médiane ${fr2.format(report.scores.median)} · max ${fr2.format(report.scores.max)}`,
    );
    const top = Math.max(1, ...report.scoreHistogram.map((b) => b.count));
    for (const bin of report.scoreHistogram) {
      if (bin.count === 0 && bin.from < report.settings.minScore - 0.1) continue;
      const bar = '█'.repeat(Math.round((bin.count / top) * 30));
      lines.push(`  ${fr1.format(bin.from).padStart(3)}–${fr1.format(bin.to).padEnd(3)} ${bar} ${fr.format(bin.count)}`);
    }
  } else {
    lines.push('Aucune rencontre proposée.');
  }
  if (report.medianDistanceKm !== null) lines.push(`Distance médiane entre deux personnes présentées : ${fr1.format(report.medianDistanceKm)} km`);
  if (report.medianWaitDays.matched !== null || report.medianWaitDays.unmatched !== null) {
    const w = (d: number | null) => (d === null ? '—' : `${fr.format(Math.round(d))} j`);
    lines.push(`Attente médiane depuis la dernière proposition : ${w(report.medianWaitDays.matched)} (présentées) · ${w(report.medianWaitDays.unmatched)} (sans proposition)`);
  }
  const t = report.timingsMs;
  lines.push(
    `Durée : chargement ${seconds(t.load)} · calcul ${seconds(t.total)} (candidats ${seconds(t.candidates)}, choix ${seconds(t.select)}, explications ${seconds(t.explain)})${
      options.dryRun ? '' : ` · écriture ${seconds(t.write)}`
    }`,
  );
  if (report.shards && report.shards.length > 0) {
    for (const s of report.shards) {
      const where = s.host ? ` — ${s.host}, processus ${s.pid}` : '';
      lines.push(`  morceau ${s.shard} : ${fr.format(s.owned)} personnes (${fr.format(s.loaded)} chargées avec la bordure), ${fr.format(s.pairs)} paires candidates, ${seconds(s.ms)}${where}`);
    }
  }
  for (const warning of report.warnings) lines.push(`Attention : ${warning}`);
  return lines.join('\n');
}

export interface PersonLabel {
  name: string | null;
  commune: string | null;
  departement: string | null;
}

function who(id: number, label: PersonLabel | undefined): string {
  const name = label?.name?.trim() || 'sans nom';
  const place = label?.commune ? `${label.commune}${label.departement ? `, ${label.departement}` : ''}` : 'lieu inconnu';
  return `${name} (${place}) #${id}`;
}

function km(d: number | null): string {
  if (d === null) return 'partout';
  if (d < 1) return '<1 km';
  return `${Math.round(d)} km`;
}

/** The pairs a round proposes, best first, as a readable table. */
export function formatPairs(pairs: readonly PlannedPair[], labels: ReadonlyMap<number, PersonLabel>, limit: number): string {
  const shown = [...pairs].sort((x, y) => y.score - x.score || x.a - y.a || x.b - y.b).slice(0, limit);
  const lines = [`Rencontres proposées (${fr.format(shown.length)} sur ${fr.format(pairs.length)}, meilleurs scores d'abord) :`, ''];
  const width = Math.min(48, shown.reduce((w, p) => Math.max(w, who(p.a, labels.get(p.a)).length), 12));
  lines.push(`${'score'.padEnd(6)} ${'distance'.padEnd(8)} ${'personne'.padEnd(width)}   personne`);
  for (const p of shown) {
    lines.push(`${fr2.format(p.score).padEnd(6)} ${km(p.distanceKm).padEnd(8)} ${who(p.a, labels.get(p.a)).padEnd(width)} ↔ ${who(p.b, labels.get(p.b))}`);
    lines.push(`${' '.repeat(16)}${p.explanation}`);
  }
  return lines.join('\n');
}
