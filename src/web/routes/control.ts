// Staying in control from any email: /pause (one or three months, or resume), /desinscription
// (with RFC 8058 one-click: a POST with body "List-Unsubscribe=One-Click", no cookie, no CSRF
// token, answered 200), /effacer (erase everything), /profil (update the profile) and /visible
// (agree to be shown to the référent·es of one's territory, for people the form never asked).
// GET only shows; the POST of the page's button acts. The signed link is the credential.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { getPerson, getProfile, type PersonRow } from '../../db/people.js';
import { showToReferents } from '../../control.js';
import { eraseAndConfirm, pauseAndConfirm, pauseEnd, resume, unsubscribe, updateProfileFromLink, type PauseOption } from '../../introductions/controls.js';
import { firstName } from '../../introductions/model.js';
import { frenchFullDate } from '../../introductions/templates.js';
import { eraseUrl, pauseUrl, profileUrl, tokenOf } from '../../mail/links.js';
import { enqueueSend } from '../../mail/outbox.js';
import { verifyToken, type TokenPayload } from '../../mail/tokens.js';
import { displayName } from '../../round/proposal.js';
import { digestEntryHtml } from '../../territory/digest.js';
import { html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';
import { readForm, validateForm, type FieldErrors, type FormValues, type Geocoder } from '../registration-form.js';
import { RADIUS_CHOICES } from '../registration-form.js';
import { withinRateLimit } from '../security.js';
import { linkErrorPage, tokenFrom } from './answers.js';
import { registrationFields } from './register.js';

type Verified = { payload: TokenPayload; person: PersonRow };

/** Verifies the link and loads its person; answers with the error page itself when it fails. */
async function personFromLink(ctx: AppContext, res: Response, token: unknown, kind: string): Promise<Verified | null> {
  const verified = verifyToken(ctx.config.secret, token, kind);
  if (!verified.ok) {
    linkErrorPage(res, verified.error);
    return null;
  }
  const person = await getPerson(ctx.sql, verified.payload.p);
  if (!person) {
    linkErrorPage(res, 'unknown');
    return null;
  }
  return { payload: verified.payload, person };
}

function send(res: Response, title: string, body: SafeHtml, status = 200): void {
  res.status(status).type('html').send(page(title, body));
}

function tokenForm(action: string, token: string, label: string, cls = 'big'): SafeHtml {
  return html`<form method="post" action="${action}"><input type="hidden" name="t" value="${token}"><button type="submit" class="${cls}">${label}</button></form>`;
}

const ERASED = html`<h1>Vos données ont été effacées</h1><p>Il ne reste rien de votre inscription chez maillage. Si l’envie revient, vous pouvez <a href="/">vous inscrire à nouveau</a>.</p>`;

function unsubscribedBody(ctx: AppContext, person: PersonRow): SafeHtml {
  return html`
<h1>Vous êtes désinscrit·e</h1>
<p>Vous ne recevrez plus aucune proposition de maillage. Les propositions en cours ont été refermées, sans que personne ne sache pourquoi.</p>
<p>Vos informations sont gardées au cas où vous voudriez revenir : il suffira de <a href="/">vous inscrire à nouveau</a> avec la même adresse. Vous préférez que nous effacions tout ?</p>
${tokenForm('/effacer', tokenOf(eraseUrl(ctx.config, person.id)), 'Effacer toutes mes données', 'secondary')}`;
}

function isPauseOption(value: unknown): value is PauseOption {
  return value === '1m' || value === '3m';
}

const PAUSE_LABEL: Record<PauseOption, string> = { '1m': 'un mois', '3m': 'trois mois' };

function profileValues(person: PersonRow, profile: Awaited<ReturnType<typeof getProfile>>): FormValues {
  const radius = RADIUS_CHOICES.find((r) => r.km === (profile?.radius_km ?? null))?.value ?? '50';
  const place = profile?.commune ? (profile.postcode ? `${profile.postcode} ${profile.commune}` : profile.commune) : '';
  return {
    name: person.name ?? '',
    email: person.email ?? '',
    place,
    role: profile?.role ?? '',
    categories: profile?.categories ?? [],
    description: profile?.description ?? '',
    radius,
    consent: person.consent_at !== null,
    visibleToReferents: person.visible_to_referents,
    reseau: '',
  };
}

function profilePage(token: string, values: FormValues, errors: FieldErrors): string {
  const list = Object.values(errors);
  return page('Modifier mon profil', html`
<h1>Modifier mon profil</h1>
<p>Changez ce que vous voulez : les prochaines propositions en tiendront compte. Votre adresse e-mail ne peut pas être modifiée ici.</p>
${list.length > 0 ? html`<div class="summary" role="alert" tabindex="-1" id="errors"><p><strong>Quelques informations sont à revoir :</strong></p><ul>${list.map((m) => html`<li>${m}</li>`)}</ul></div>` : ''}
<form method="post" action="/profil" novalidate>
<input type="hidden" name="t" value="${token}">
${registrationFields(values, errors, { emailReadonly: true })}
<button type="submit">Enregistrer mon profil</button>
</form>`);
}

/** The person as the référent·es' digest would list them: the digest's own formatting. */
async function asReferentsSeeThem(ctx: AppContext, person: PersonRow): Promise<{ entry: SafeHtml; placed: boolean }> {
  const profile = await getProfile(ctx.sql, person.id);
  const entry = digestEntryHtml({
    name: person.name, commune: profile?.commune ?? null, departement: profile?.departement ?? null,
    role: profile?.role ?? null, categories: profile?.categories ?? [], description: profile?.description ?? '',
  });
  // A digest covers communes and départements: someone we cannot place is in nobody's territory.
  return { entry: html`<ul class="notice" style="list-style:none;margin:0 0 1rem">${entry}</ul>`, placed: Boolean(profile?.departement) };
}

/** ", Marie" to address the person by name, or nothing when we have none. */
function greetingName(person: PersonRow): string {
  const name = displayName(person.name);
  return name ? `, ${name}` : '';
}

/** The person's profile page, on this host. */
function profilePath(ctx: AppContext, person: PersonRow): string {
  return `/profil?t=${tokenOf(profileUrl(ctx.config, person.id))}`;
}

/** How to take the agreement back: the box of the profile page. */
function changeOfMindToReferents(ctx: AppContext, person: PersonRow): SafeHtml {
  const profile = profilePath(ctx, person);
  return html`<p>Vous changez d’avis ? Décochez la case « J’accepte que les référent·es locaux de mon territoire voient mon prénom, ma commune et mon projet » sur <a href="${profile}">votre profil</a>, à tout moment : vous n’apparaîtrez plus dans les récapitulatifs suivants.</p>`;
}

export function controlRoutes(ctx: AppContext, geocode: Geocoder): Router {
  const router = Router();

  // ---- pause ---------------------------------------------------------------------------------
  router.get('/pause', async (req: Request, res: Response) => {
    const v = await personFromLink(ctx, res, req.query.t, 'pause');
    if (!v) return;
    const { person, payload } = v;
    if (person.status === 'erased') return send(res, 'Données effacées', ERASED);
    if (person.status === 'unsubscribed') return send(res, 'Désinscrit·e', unsubscribedBody(ctx, person));
    const t = String(req.query.t);
    if (payload.a === 'resume') {
      const paused = person.paused_until && person.paused_until > new Date();
      return send(res, 'Reprendre les propositions', paused
        ? html`<h1>Reprendre les propositions</h1><p>Votre pause court jusqu’au ${frenchFullDate(person.paused_until!)}. Un clic pour recevoir à nouveau des propositions dès la semaine prochaine.</p>${tokenForm('/pause', t, 'Reprendre maintenant')}`
        : html`<h1>Vous recevez bien les propositions</h1><p>Aucune pause n’est en cours : vous n’avez rien à faire.</p>`);
    }
    if (!isPauseOption(payload.a)) return linkErrorPage(res, 'tampered');
    const until = pauseEnd(payload.a);
    const other: PauseOption = payload.a === '1m' ? '3m' : '1m';
    send(res, 'Faire une pause', html`
<h1>Faire une pause de ${PAUSE_LABEL[payload.a]}</h1>
<p>Nous ne vous proposerons aucune rencontre jusqu’au ${frenchFullDate(until)}. Vous restez inscrit·e, votre profil est gardé, et les propositions reprendront d’elles-mêmes après cette date.</p>
${tokenForm('/pause', t, `Faire une pause de ${PAUSE_LABEL[payload.a]}`)}
<p class="hint">Vous préférez une autre durée ?</p>
${tokenForm('/pause', tokenOf(pauseUrl(ctx.config, person.id, other)), `Une pause de ${PAUSE_LABEL[other]}`, 'secondary')}`);
  });

  router.post('/pause', async (req: Request, res: Response) => {
    const token = tokenFrom(req);
    const v = await personFromLink(ctx, res, token, 'pause');
    if (!v) return;
    const { person, payload } = v;
    if (person.status === 'erased') return send(res, 'Données effacées', ERASED);
    if (person.status === 'unsubscribed') return send(res, 'Désinscrit·e', unsubscribedBody(ctx, person));
    if (payload.a === 'resume') {
      await ctx.sql.begin((tx) => resume(tx, person.id, 'link'));
      return send(res, 'Propositions reprises', html`<h1>C’est reparti !</h1><p>Vous recevrez à nouveau des propositions de rencontre, dès la prochaine semaine.</p>`);
    }
    if (!isPauseOption(payload.a)) return linkErrorPage(res, 'tampered');
    const until = pauseEnd(payload.a);
    const result = await ctx.sql.begin((tx) => pauseAndConfirm(tx, ctx, person.id, until, 'link'));
    for (const id of result.outboundIds) await enqueueSend(ctx, id);
    send(res, 'Pause enregistrée', html`
<h1>Bonne pause, ${firstName(person.name)} !</h1>
<p>Aucune proposition jusqu’au ${frenchFullDate(until)}. Nous vous avons envoyé un e-mail de confirmation, avec un bouton pour reprendre plus tôt si vous le souhaitez.</p>`);
  });

  // ---- unsubscribe (RFC 8058) -------------------------------------------------------------------
  router.get('/desinscription', async (req: Request, res: Response) => {
    const v = await personFromLink(ctx, res, req.query.t, 'unsubscribe');
    if (!v) return;
    const { person } = v;
    if (person.status === 'erased') return send(res, 'Données effacées', ERASED);
    if (person.status === 'unsubscribed') return send(res, 'Désinscrit·e', unsubscribedBody(ctx, person));
    send(res, 'Se désinscrire', html`
<h1>Se désinscrire de maillage</h1>
<p>Vous ne recevrez plus aucune proposition de rencontre. Les propositions en cours seront refermées, sans que personne ne sache pourquoi.</p>
${tokenForm('/desinscription', String(req.query.t), 'Me désinscrire')}
<p class="hint">Vous avez seulement besoin de souffler un peu ?</p>
${tokenForm('/pause', tokenOf(pauseUrl(ctx.config, person.id, '3m')), 'Faire plutôt une pause de trois mois', 'secondary')}`);
  });

  // Mail providers POST here with "List-Unsubscribe=One-Click" and the token in the URL.
  router.post('/desinscription', async (req: Request, res: Response) => {
    const v = await personFromLink(ctx, res, tokenFrom(req), 'unsubscribe');
    if (!v) return;
    const { person } = v;
    if (person.status === 'erased') return send(res, 'Données effacées', ERASED);
    // RFC 8058 allows the body as urlencoded or multipart/form-data (not parsed here: the token
    // is in the URL, the body only tells us which button it was).
    const oneClick = (req.body as Record<string, unknown> | undefined)?.['List-Unsubscribe'] === 'One-Click' || Boolean(req.is('multipart/form-data'));
    await ctx.sql.begin((tx) => unsubscribe(tx, person.id, oneClick ? 'one-click' : 'link'));
    const updated = (await getPerson(ctx.sql, person.id)) ?? person;
    send(res, 'Désinscrit·e', unsubscribedBody(ctx, updated));
  });

  // ---- erase ------------------------------------------------------------------------------------
  router.get('/effacer', async (req: Request, res: Response) => {
    const v = await personFromLink(ctx, res, req.query.t, 'erase');
    if (!v) return;
    if (v.person.status === 'erased') return send(res, 'Données effacées', ERASED);
    send(res, 'Effacer mes données', html`
<h1>Effacer toutes mes données</h1>
<p>Nous effacerons votre nom, votre adresse e-mail, votre profil et votre description, les messages que vous nous avez envoyés et ceux que nous vous avons écrits. Les propositions en cours seront refermées, sans que personne ne sache pourquoi.</p>
<p>Nous ne gardons que des chiffres anonymes (combien de personnes se sont inscrites, combien de rencontres ont eu lieu). Vous recevrez un dernier e-mail pour confirmer l’effacement.</p>
<p><strong>C’est définitif</strong> : pour revenir, il faudra vous inscrire à nouveau.</p>
${tokenForm('/effacer', String(req.query.t), 'Effacer toutes mes données')}`);
  });

  router.post('/effacer', async (req: Request, res: Response) => {
    const v = await personFromLink(ctx, res, tokenFrom(req), 'erase');
    if (!v) return;
    const result = await ctx.sql.begin((tx) => eraseAndConfirm(tx, ctx, v.person.id, 'link'));
    for (const id of result.outboundIds) await enqueueSend(ctx, id);
    send(res, 'Données effacées', ERASED);
  });

  // ---- profile ----------------------------------------------------------------------------------
  router.get('/profil', async (req: Request, res: Response) => {
    const v = await personFromLink(ctx, res, req.query.t, 'profile');
    if (!v) return;
    const { person } = v;
    if (person.status === 'erased') return send(res, 'Données effacées', ERASED);
    if (person.status === 'unsubscribed') return send(res, 'Désinscrit·e', unsubscribedBody(ctx, person));
    const profile = await getProfile(ctx.sql, person.id);
    res.type('html').send(profilePage(String(req.query.t), profileValues(person, profile), {}));
  });

  router.post('/profil', async (req: Request, res: Response) => {
    const token = tokenFrom(req);
    const v = await personFromLink(ctx, res, token, 'profile');
    if (!v) return;
    const { person } = v;
    if (person.status === 'erased') return send(res, 'Données effacées', ERASED);
    if (person.status === 'unsubscribed') return send(res, 'Désinscrit·e', unsubscribedBody(ctx, person));
    if (!(await withinRateLimit(ctx.redis, `${ctx.config.queuePrefix}:rl:profile:${person.id}`, 30, 3600))) {
      return send(res, 'Un peu de patience', html`<h1>Un peu de patience</h1><p>Votre profil a été modifié de nombreuses fois en peu de temps. Réessayez dans une heure.</p>`, 429);
    }
    // The address is the one the link was sent to, whatever the form says.
    const values = { ...readForm((req.body ?? {}) as Record<string, unknown>), email: person.email ?? '' };
    const result = validateForm(values, geocode);
    if (!result.ok) {
      res.status(422).type('html').send(profilePage(String(token), values, result.errors));
      return;
    }
    await ctx.sql.begin((tx) => updateProfileFromLink(tx, person, result.input));
    send(res, 'Profil enregistré', html`<h1>C’est enregistré !</h1><p>Votre profil est à jour : les prochaines propositions en tiendront compte.</p>`);
  });

  // ---- shown to the référent·es -----------------------------------------------------------------
  // People who registered by email were never asked (the form has a box for it): their
  // acknowledgement, or the page after confirming, invites them here. The page shows exactly
  // what the référent·es would read, and only the button's POST agrees.
  router.get('/visible', async (req: Request, res: Response) => {
    const v = await personFromLink(ctx, res, req.query.t, 'visible');
    if (!v) return;
    const { person } = v;
    if (person.status === 'erased') return linkErrorPage(res, 'unknown');
    if (person.status === 'unsubscribed') return send(res, 'Désinscrit·e', unsubscribedBody(ctx, person));
    const { entry, placed } = await asReferentsSeeThem(ctx, person);
    const hello = greetingName(person);
    if (person.visible_to_referents) {
      return send(res, 'Visible des référent·es', html`
<h1>Vous avez déjà donné votre accord</h1>
<p>Voici ce que les référent·es de votre territoire voient de vous dans leur récapitulatif :</p>
${entry}
${changeOfMindToReferents(ctx, person)}`);
    }
    send(res, 'Vous faire connaître près de chez vous', html`
<h1>Vous faire connaître près de chez vous${hello} ?</h1>
<p>Des référent·es maillage suivent les projets de leur territoire. Chaque semaine, nous leur envoyons un récapitulatif des nouvelles inscriptions et des personnes qui attendent encore une rencontre, pour leur permettre de donner un coup de pouce : un lieu, un contact, une réunion publique…</p>
<p>Si vous êtes d’accord, voici exactement ce qui leur sera présenté :</p>
${entry}
<p>Rien d’autre : ni votre adresse e-mail, ni votre téléphone (s’ils figurent dans votre description, nous les masquons). Si un·e référent·e souhaite vous aider, c’est nous qui faisons le lien, et seulement avec votre accord.</p>
${placed ? '' : html`<p>Nous ne savons pas encore où se trouve votre projet : indiquez votre commune sur <a href="${profilePath(ctx, person)}">votre profil</a>, sans quoi aucun·e référent·e ne pourra vous voir.</p>`}
${tokenForm('/visible', String(req.query.t), 'Oui, je suis d’accord')}
<p class="hint">Sans votre accord, les référent·es savent seulement qu’une personne de plus s’est inscrite, sans rien savoir d’elle. Vous pourrez changer d’avis à tout moment.</p>`);
  });

  router.post('/visible', async (req: Request, res: Response) => {
    const v = await personFromLink(ctx, res, tokenFrom(req), 'visible');
    if (!v) return;
    const { person } = v;
    if (person.status === 'erased') return linkErrorPage(res, 'unknown');
    if (person.status === 'unsubscribed') return send(res, 'Désinscrit·e', unsubscribedBody(ctx, person));
    const shown = await ctx.sql.begin((tx) => showToReferents(tx, person.id, 'link'));
    const { entry } = await asReferentsSeeThem(ctx, person);
    const hello = greetingName(person);
    send(res, 'Visible des référent·es', html`
<h1>${shown ? `Merci${hello}, c’est noté !` : 'Vous aviez déjà donné votre accord'}</h1>
<p>${shown ? 'Les référent·es de votre territoire vous découvriront dans leur prochain récapitulatif, ainsi :' : 'Les référent·es de votre territoire vous voient ainsi dans leur récapitulatif :'}</p>
${entry}
<p>Si un·e référent·e peut vous aider, nous vous demanderons votre accord avant de lui transmettre vos coordonnées.</p>
${changeOfMindToReferents(ctx, person)}`);
  });

  return router;
}
