// The console's pages, rendered on the server from plain data. Every value goes through the
// `html` template (escaped); charts are inline SVG (charts.ts).
import type { NetworkStats } from '../../db/networks.js';
import type { ReferentListRow } from '../../db/referents.js';
import type { RoundRow } from '../../db/rounds.js';
import { UNMATCHED_LABELS, type UnmatchedReason } from '../../match/index.js';
import type {
  DepartementCount,
  FailedOutbound,
  FunnelWeek,
  InboundForOperator,
  PersonForConsole,
  Totals,
} from '../../territory/stats.js';
import { isRole, ROLE_LABELS } from '../../vocabulary.js';
import { html, type SafeHtml } from '../html.js';
import { franceMap, FUNNEL_SERIES, funnelChart, type MapPoint } from './charts.js';
import { outcomeInFrench } from './outcomes.js';

const fr = new Intl.NumberFormat('fr-FR');
const when = (d: Date | null | undefined) =>
  d ? d.toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' }) : '—';
const day = (d: Date | null | undefined) => (d ? d.toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' }) : '—');

export const STATUS_LABELS: Record<PersonForConsole['status'], string> = {
  pending: 'à confirmer',
  active: 'inscription active',
  unsubscribed: 'désinscription',
  erased: 'données effacées',
};

function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

// ---- login ------------------------------------------------------------------------------------

export function loginBody(csrf: string, next: string, message?: string): SafeHtml {
  return html`
<h1>Console de maillage</h1>
<p>Cet espace est réservé à l’équipe qui fait fonctionner maillage.</p>
${message ? html`<p class="alert" role="alert">${message}</p>` : ''}
<form method="post" action="/admin/connexion">
${csrfField(csrf)}
<input type="hidden" name="suite" value="${next}">
<label for="password">Mot de passe</label>
<input type="password" id="password" name="password" autocomplete="current-password" required autofocus>
<p><button type="submit">Entrer</button></p>
</form>`;
}

export const DISABLED_BODY = html`
<h1>La console est désactivée</h1>
<p>Aucun mot de passe n’est configuré pour la console de maillage. Pour l’activer, définissez la variable d’environnement <code>ADMIN_PASSWORD</code> (une longue phrase de passe) puis redémarrez maillage.</p>
<p class="hint">Avec <code>npm run demo</code>, un mot de passe est créé pour vous et affiché au démarrage.</p>`;

// ---- overview ---------------------------------------------------------------------------------

export function overviewBody(data: {
  totals: Totals;
  funnel: FunnelWeek[];
  rounds: RoundRow[];
  needsHuman: { inbound: number; outbound: number };
}): SafeHtml {
  const t = data.totals;
  const waiting = data.needsHuman.inbound + data.needsHuman.outbound;
  const cards: [string, number][] = [
    ['personnes inscrites', t.people],
    ['inscriptions actives', t.active],
    ['à confirmer', t.pending],
    ['en pause', t.paused],
    ['désinscriptions', t.unsubscribed],
    ['effacements', t.erased],
    ['rencontres proposées', t.introductions],
    ['mises en relation', t.meetings],
  ];
  return html`
<h1>Vue d’ensemble</h1>
${waiting > 0
    ? html`<p class="alert"><a href="/admin/messages"><strong>${fr.format(waiting)} message${waiting > 1 ? 's' : ''} à traiter</strong></a> : ${fr.format(data.needsHuman.inbound)} reçu${data.needsHuman.inbound > 1 ? 's' : ''}, ${fr.format(data.needsHuman.outbound)} envoi${data.needsHuman.outbound > 1 ? 's' : ''} en échec.</p>`
    : html`<p class="notice">Aucun message n’attend de réponse humaine.</p>`}
<div class="cards">${cards.map(([label, n]) => html`<div class="card"><b>${fr.format(n)}</b>${label}</div>`)}</div>

<h2>Le parcours, semaine par semaine</h2>
${funnelChart(data.funnel)}
<details><summary>Les chiffres du graphique</summary>
<table><thead><tr><th>Semaine du</th>${FUNNEL_SERIES.map((s) => html`<th class="n">${s.label}</th>`)}</tr></thead><tbody>
${data.funnel.map((w) => html`<tr><td>${day(new Date(`${w.week}T12:00:00Z`))}</td>${FUNNEL_SERIES.map((s) => html`<td class="n">${fr.format(w[s.key])}</td>`)}</tr>`)}
</tbody></table></details>

<h2>Derniers tours de mise en relation</h2>
${roundsTable(data.rounds)}`;
}

const ROUND_STATUS: Record<RoundRow['status'], string> = { running: 'en cours', done: 'terminé', failed: 'échec' };

function mainReason(report: Record<string, unknown> | null): string {
  const byReason = (report?.byReason ?? {}) as Record<string, number>;
  const top = Object.entries(byReason).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])[0];
  if (!top) return '—';
  const label = UNMATCHED_LABELS[top[0] as UnmatchedReason];
  return `${fr.format(top[1])} : ${label ?? top[0]}`;
}

export function roundsTable(rounds: readonly RoundRow[]): SafeHtml {
  if (rounds.length === 0) return html`<p class="notice">Aucun tour pour l’instant. Le prochain aura lieu à l’heure prévue (ROUND_CRON), ou lancez-en un avec <code>npx maillage match</code>.</p>`;
  return html`<table><thead><tr><th>N°</th><th>Début</th><th>État</th><th class="n">Personnes</th><th class="n">Éligibles</th><th class="n">Rencontres</th><th class="n">Sans proposition</th><th class="n">Durée</th><th>Principale raison sans proposition</th></tr></thead><tbody>
${rounds.map((r) => {
    const report = r.report ?? {};
    const num = (k: string) => (typeof report[k] === 'number' ? fr.format(report[k] as number) : '—');
    const seconds = r.finished_at ? ((r.finished_at.getTime() - r.started_at.getTime()) / 1000).toLocaleString('fr-FR', { maximumFractionDigits: 1 }) + ' s' : '—';
    return html`<tr><td>${r.id}</td><td>${when(r.started_at)}<br><span class="hint">${r.trigger === 'manual' ? 'lancé à la main' : 'planifié'}</span></td><td>${ROUND_STATUS[r.status]}${r.error ? html`<br><span class="hint">${r.error}</span>` : ''}</td><td class="n">${num('people')}</td><td class="n">${num('eligible')}</td><td class="n">${num('introductions')}</td><td class="n">${num('unmatched')}</td><td class="n">${seconds}</td><td>${mainReason(r.report)}</td></tr>`;
  })}
</tbody></table>`;
}

// ---- people -----------------------------------------------------------------------------------

export function peopleBody(query: string, people: readonly PersonForConsole[]): SafeHtml {
  return html`
<h1>Personnes</h1>
<form method="get" action="/admin/personnes" role="search">
<label for="q">Chercher par adresse, nom ou numéro</label>
<div class="actions"><input type="search" id="q" name="q" value="${query}"><button type="submit">Chercher</button></div>
</form>
<h2>${query ? `Résultats pour « ${query} »` : 'Dernières inscriptions'}</h2>
${people.length === 0 ? html`<p class="notice">Personne ne correspond.</p>` : html`
<table><thead><tr><th>N°</th><th>Nom</th><th>Adresse</th><th>État</th><th>Lieu</th><th>Réseau</th><th>Inscription</th><th class="n">Rencontres</th></tr></thead><tbody>
${people.map((p) => html`<tr><td><a href="/admin/personnes/${p.id}">${p.id}</a></td><td><a href="/admin/personnes/${p.id}">${p.name ?? '—'}</a></td><td>${p.email ?? '—'}</td><td>${personState(p)}</td><td>${place(p)}</td><td>${p.network ?? '—'}</td><td>${day(p.created_at)}</td><td class="n">${p.meetings} / ${p.introductions}</td></tr>`)}
</tbody></table>`}`;
}

function place(p: Pick<PersonForConsole, 'commune' | 'departement'>): string {
  return p.commune ? `${p.commune}${p.departement ? ` (${p.departement})` : ''}` : '—';
}

function personState(p: PersonForConsole): string {
  const paused = p.status === 'active' && p.paused_until && p.paused_until > new Date() ? ` · en pause jusqu’au ${day(p.paused_until)}` : '';
  const bounced = p.bounced_at ? ' · adresse en erreur' : '';
  return `${STATUS_LABELS[p.status]}${paused}${bounced}`;
}

export const DONE_MESSAGES: Record<string, string> = {
  pause: 'C’est fait : la personne est en pause, et nous lui avons écrit pour le confirmer (avec un bouton pour reprendre plus tôt).',
  reprise: 'C’est fait : la pause est levée, la personne recevra de nouveau des propositions.',
  'pas-en-pause': 'Cette personne n’était pas en pause : rien n’a changé.',
  confirmation: 'C’est fait : un nouveau lien de confirmation vient de partir (les anciens liens ne marchent plus).',
  'deja-confirmee': 'Cette inscription est déjà confirmée : aucun e-mail n’a été envoyé.',
  desinscrite: 'Cette personne s’est désinscrite : nous ne lui écrivons plus, aucun e-mail n’a été envoyé. Elle peut se réinscrire elle-même.',
  effacement: 'C’est fait : toutes les données de cette personne ont été effacées, et un dernier e-mail lui confirme l’effacement.',
  'deja-effacee': 'Cette personne a déjà été effacée : il n’y a plus rien à faire.',
  'confirmer-effacement': 'Pour effacer, cochez la case qui confirme que la personne l’a demandé.',
  'pause-impossible': 'Impossible de mettre en pause une personne désinscrite ou effacée : rien n’a changé.',
};

export function personBody(p: PersonForConsole, csrf: string, done?: string): SafeHtml {
  const message = done ? DONE_MESSAGES[done] : undefined;
  if (p.status === 'erased') {
    return html`
<p><a href="/admin/personnes">← Personnes</a></p>
<h1>Personne n° ${p.id}</h1>
${message ? html`<p class="notice" role="status">${message}</p>` : ''}
<p class="notice">Les données de cette personne ont été effacées. Il ne reste qu’une trace anonyme (son numéro, ses dates, ${p.introductions} rencontre${p.introductions > 1 ? 's' : ''} proposée${p.introductions > 1 ? 's' : ''}) pour que les chiffres restent justes. Il n’y a plus rien à faire.</p>`;
  }
  const paused = p.paused_until && p.paused_until > new Date();
  const role = p.role && isRole(p.role) ? ROLE_LABELS[p.role] : null;
  return html`
<p><a href="/admin/personnes">← Personnes</a></p>
<h1>${p.name ?? 'Sans nom'} <span class="tag">n° ${p.id}</span></h1>
${message ? html`<p class="notice" role="status">${message}</p>` : ''}
<table>
<tr><th>Adresse</th><td>${p.email ?? '—'}</td></tr>
<tr><th>État</th><td>${personState(p)}</td></tr>
<tr><th>Lieu</th><td>${place(p)}</td></tr>
<tr><th>Rôle</th><td>${role ?? '—'}</td></tr>
<tr><th>Arrivée par</th><td>${SOURCE_LABELS[p.source] ?? p.source}${p.network ? ` · réseau ${p.network}` : ''}</td></tr>
<tr><th>Visible des référent·es</th><td>${p.visible_to_referents ? 'oui' : 'non'}</td></tr>
<tr><th>Inscription</th><td>${when(p.created_at)}${p.confirmed_at ? ` · confirmée le ${day(p.confirmed_at)}` : ''}</td></tr>
<tr><th>Rencontres</th><td>${p.introductions} proposée${p.introductions > 1 ? 's' : ''}, ${p.meetings} mise${p.meetings > 1 ? 's' : ''} en relation</td></tr>
</table>
${p.description ? html`<h2>Sa description</h2><pre>${p.description}</pre>` : ''}
<h2>Actions</h2>
<div class="actions">
${p.status === 'pending' ? html`<form method="post" action="/admin/personnes/${p.id}/confirmation">${csrfField(csrf)}<button type="submit">Renvoyer le lien de confirmation</button></form>` : ''}
${p.status === 'active' || p.status === 'pending'
    ? paused
      ? html`<form method="post" action="/admin/personnes/${p.id}/reprendre">${csrfField(csrf)}<button type="submit" class="secondary">Lever la pause</button></form>`
      : html`<form method="post" action="/admin/personnes/${p.id}/pause">${csrfField(csrf)}<input type="hidden" name="duree" value="1m"><button type="submit" class="secondary">Pause d’un mois</button></form>
<form method="post" action="/admin/personnes/${p.id}/pause">${csrfField(csrf)}<input type="hidden" name="duree" value="3m"><button type="submit" class="secondary">Pause de trois mois</button></form>`
    : ''}
</div>
<h2>Effacer cette personne</h2>
<p>À faire quand la personne le demande (par e-mail, par téléphone…). Son nom, son adresse, son profil et tous ses messages seront effacés ; elle recevra un dernier e-mail qui le confirme. C’est définitif.</p>
<form method="post" action="/admin/personnes/${p.id}/effacer">${csrfField(csrf)}
<label class="hint" style="font-weight:400"><input type="checkbox" name="confirmer" value="oui" required> La personne a demandé l’effacement de ses données.</label>
<p><button type="submit" class="danger">Effacer toutes ses données</button></p>
</form>`;
}

const SOURCE_LABELS: Record<string, string> = { form: 'le formulaire', email: 'e-mail', import: 'import d’une liste', admin: 'l’équipe' };

// ---- territory --------------------------------------------------------------------------------

export function territoryBody(rows: readonly (DepartementCount & { name: string | null })[], points: readonly MapPoint[]): SafeHtml {
  const total = rows.reduce((s, r) => s + r.active + r.pending, 0);
  const overseas = rows.filter((r) => r.departement.length === 3);
  const unknown = rows.find((r) => r.departement === '');
  return html`
<h1>Territoire</h1>
<p>${fr.format(total)} personne${total > 1 ? 's' : ''} inscrite${total > 1 ? 's' : ''} (actives ou à confirmer), par département. Le cercle grandit avec le nombre de personnes.</p>
<div class="two">
<div>${franceMap(points)}
${overseas.length > 0 ? html`<p class="hint">Outre-mer : ${overseas.map((r) => `${r.name ?? r.departement} (${r.departement}) : ${r.active + r.pending}`).join(' · ')}</p>` : ''}
${unknown ? html`<p class="hint">Sans lieu connu : ${unknown.active + unknown.pending}</p>` : ''}
</div>
<div>
<table><thead><tr><th>Département</th><th class="n">Actives</th><th class="n">À confirmer</th></tr></thead><tbody>
${rows.filter((r) => r.departement !== '').map((r) => html`<tr><td>${r.name ?? r.departement} (${r.departement})</td><td class="n">${fr.format(r.active)}</td><td class="n">${fr.format(r.pending)}</td></tr>`)}
</tbody></table>
</div>
</div>`;
}

// ---- messages that need a human ---------------------------------------------------------------

const KIND_LABELS: Record<string, string> = {
  registration: 'inscription', auto_reply: 'réponse automatique', bounce: 'rebond', command: 'commande',
  intro_reply: 'réponse à une proposition', other: 'autre message', loop: 'boucle',
};

export function messagesBody(inbound: readonly InboundForOperator[], outbound: readonly FailedOutbound[], csrf: string, done?: string): SafeHtml {
  return html`
<h1>Messages à traiter</h1>
${done === 'traite' ? html`<p class="notice" role="status">C’est noté : le message ne figure plus dans la liste.</p>` : ''}
<h2>Reçus, à lire par quelqu’un (${inbound.length})</h2>
<p class="hint">Questions, réponses qui ne disent ni oui ni non, messages illisibles ou trop gros : aucune règle n’a pu agir. Répondez depuis votre messagerie, puis marquez-les comme traités.</p>
${inbound.length === 0 ? html`<p class="notice">Rien à lire.</p>` : html`
<table><thead><tr><th>Reçu le</th><th>De</th><th>Type</th><th>Ce qui a été fait</th><th></th></tr></thead><tbody>
${inbound.map((m) => html`<tr><td>${when(m.received_at)}</td><td>${m.from_address ?? '—'}${m.person_id ? html`<br><a href="/admin/personnes/${m.person_id}">fiche n° ${m.person_id}</a>` : ''}</td><td>${m.kind ? KIND_LABELS[m.kind] ?? m.kind : m.status === 'failed' ? 'illisible' : '—'}</td><td>${m.outcome ? outcomeInFrench(m.outcome) : m.error ?? m.reason ?? '—'}</td><td><div class="actions"><a href="/admin/messages/${m.id}">Lire</a><form method="post" action="/admin/messages/entrant/${m.id}/traite">${csrfField(csrf)}<button type="submit" class="secondary">Traité</button></form></div></td></tr>`)}
</tbody></table>`}
<h2>Envois en échec (${outbound.length})</h2>
<p class="hint">Le serveur d’envoi a refusé ces messages, ou n’a pas répondu. Les échecs passagers sont réessayés automatiquement ; une adresse refusée définitivement ne reçoit plus rien.</p>
${outbound.length === 0 ? html`<p class="notice">Aucun envoi en échec.</p>` : html`
<table><thead><tr><th>Écrit le</th><th>À</th><th>Objet</th><th>Erreur</th><th class="n">Essais</th><th></th></tr></thead><tbody>
${outbound.map((m) => html`<tr><td>${when(m.created_at)}</td><td>${m.to_address}</td><td><a href="/outbox/${m.id}">${m.subject}</a></td><td>${m.last_error ?? '—'}</td><td class="n">${m.attempts}</td><td><form method="post" action="/admin/messages/sortant/${m.id}/traite">${csrfField(csrf)}<button type="submit" class="secondary">Traité</button></form></td></tr>`)}
</tbody></table>`}`;
}

export function messageBody(m: { id: number; from_address: string | null; received_at: Date; kind: string | null; outcome: string | null; subject: string; text: string }): SafeHtml {
  return html`
<p><a href="/admin/messages">← Messages à traiter</a></p>
<h1>${m.subject || '(sans objet)'}</h1>
<table>
<tr><th>De</th><td>${m.from_address ?? '—'}</td></tr>
<tr><th>Reçu le</th><td>${when(m.received_at)}</td></tr>
<tr><th>Type</th><td>${m.kind ? KIND_LABELS[m.kind] ?? m.kind : '—'}</td></tr>
<tr><th>Ce qui a été fait</th><td>${m.outcome ? outcomeInFrench(m.outcome) : '—'}</td></tr>
</table>
<pre>${m.text || '(message vide ou illisible)'}</pre>`;
}

// ---- networks and référents -------------------------------------------------------------------

export function networksBody(data: {
  networks: readonly NetworkStats[];
  referents: readonly (ReferentListRow & { territory: string })[];
  publicUrl: string;
  replyTo: string;
  csrf: string;
  message?: string;
  error?: string;
}): SafeHtml {
  const [local, domain] = data.replyTo.split('@');
  return html`
<h1>Réseaux partenaires</h1>
<p>Les personnes venues par le lien d’inscription d’un réseau, ou qui répondent à son bulletin (adresse de réponse avec le réseau après un « + »), sont rattachées à ce réseau. La mise en relation, elle, se fait entre tous les réseaux.</p>
${data.message ? html`<p class="notice" role="status">${data.message}</p>` : ''}
${data.error ? html`<p class="alert" role="alert">${data.error}</p>` : ''}
${data.networks.length === 0 ? html`<p class="notice">Aucun réseau pour l’instant.</p>` : html`
<table><thead><tr><th>Réseau</th><th>Lien d’inscription · adresse de réponse</th><th class="n">Personnes venues</th><th class="n">Actives</th><th class="n">Ont reçu une proposition</th><th class="n">Ont rencontré quelqu’un</th></tr></thead><tbody>
${data.networks.map((n) => html`<tr><td><strong>${n.name}</strong><br><span class="hint">${n.slug}</span></td><td>${data.publicUrl}/?reseau=${n.slug}<br>${local}+${n.slug}@${domain}</td><td class="n">${fr.format(n.brought)}</td><td class="n">${fr.format(n.active)}</td><td class="n">${fr.format(n.proposed)}</td><td class="n">${fr.format(n.met)}</td></tr>`)}
</tbody></table>`}
<h2>Ajouter un réseau</h2>
<form method="post" action="/admin/reseaux">${csrfField(data.csrf)}
<label for="name">Nom</label><input type="text" id="name" name="name" maxlength="120" required>
<label for="slug">Identifiant court <span class="hint">lettres minuscules, chiffres et tirets, par exemple <code>repair-cafes-44</code></span></label><input type="text" id="slug" name="slug" maxlength="63" pattern="[a-z0-9][a-z0-9\\-]*" required>
<p><button type="submit">Ajouter le réseau</button></p>
</form>

<h1 style="margin-top:2.4rem">Référent·es locaux</h1>
<p>Chaque semaine où il se passe quelque chose sur leur territoire, les référent·es reçoivent un récapitulatif : nouvelles personnes (seulement celles qui l’ont accepté), rencontres proposées et acceptées, personnes toujours sans proposition après trois tours. On les ajoute avec <code>npx maillage referent add</code> ; ils confirment par e-mail.</p>
${data.referents.length === 0 ? html`<p class="notice">Aucun·e référent·e pour l’instant.</p>` : html`
<table><thead><tr><th>Nom</th><th>Adresse</th><th>État</th><th>Territoire</th><th>Dernier récapitulatif</th><th class="n">Envoyés</th></tr></thead><tbody>
${data.referents.map((r) => html`<tr><td>${r.name}</td><td>${r.email}</td><td>${REFERENT_STATUS[r.status]}</td><td>${r.territory}</td><td>${r.last_digest_at ? day(r.last_digest_at) : r.last_digest_week ? `rien de neuf (${r.last_digest_week})` : '—'}</td><td class="n">${r.digests_sent}</td></tr>`)}
</tbody></table>`}`;
}

const REFERENT_STATUS: Record<ReferentListRow['status'], string> = { pending: 'à confirmer', active: 'actif·ve', unsubscribed: 'a arrêté' };
