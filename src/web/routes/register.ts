// The home page with the registration form, and the double opt-in confirmation pages.
// GET pages only show; every change happens on POST (link scanners fetch every GET).
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { REFERENT_INVITATION } from '../../control.js';
import type { PersonRow } from '../../db/people.js';
import { tokenOf, visibleUrl } from '../../mail/links.js';
import { checkConfirmation, confirmRegistration, registerFromForm } from '../../registration.js';
import { CATEGORIES, CATEGORY_LABELS, ROLE_CHOICES, ROLES } from '../../vocabulary.js';
import { html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';
import { LIMITS, RADIUS_CHOICES, readForm, validateForm, type FieldErrors, type FormValues, type Geocoder } from '../registration-form.js';
import { checkCsrf, issueCsrf, withinRateLimit } from '../security.js';

const EMPTY: FormValues = {
  name: '', email: '', place: '', role: '', categories: [], description: '', radius: '50',
  consent: false, visibleToReferents: false, reseau: '',
};

const FIELD_ORDER: (keyof FormValues)[] = ['name', 'email', 'place', 'role', 'description', 'radius', 'consent'];

function fieldError(errors: FieldErrors, field: keyof FormValues): SafeHtml {
  const message = errors[field];
  return message ? html`<p class="error" id="${field}-error">${message}</p>` : html``;
}

function describedBy(errors: FieldErrors, field: keyof FormValues, hint = false): SafeHtml {
  const ids = [hint ? `${field}-hint` : '', errors[field] ? `${field}-error` : ''].filter(Boolean).join(' ');
  return ids ? html` aria-describedby="${ids}"` : html``;
}

function invalid(errors: FieldErrors, field: keyof FormValues): SafeHtml {
  return errors[field] ? html` aria-invalid="true" class="invalid"` : html``;
}

/**
 * The profile fields of the registration form, shared with the profile page (/profil), so
 * that both ask the same questions with the same labels, hints and error messages.
 */
export function registrationFields(values: FormValues, errors: FieldErrors, options: { emailReadonly?: boolean } = {}): SafeHtml {
  return html`
<label for="name">Votre prénom (ou le nom de votre structure)</label>
<input type="text" id="name" name="name" value="${values.name}" maxlength="${LIMITS.name}" autocomplete="given-name" required${describedBy(errors, 'name')}${invalid(errors, 'name')}>
${fieldError(errors, 'name')}

<label for="email">Votre adresse e-mail <span class="hint" id="email-hint">Elle n’est jamais montrée à quelqu’un sans votre accord.</span></label>
<input type="email" id="email" name="email" value="${values.email}" maxlength="${LIMITS.email}" autocomplete="email" required${options.emailReadonly ? html` readonly` : ''}${describedBy(errors, 'email', true)}${invalid(errors, 'email')}>
${fieldError(errors, 'email')}

<label for="place">Votre commune ou code postal <span class="hint" id="place-hint">Là où se trouve votre projet, ou là où vous vivez.</span></label>
<input type="text" id="place" name="place" value="${values.place}" maxlength="${LIMITS.place}" autocomplete="address-level2" required${describedBy(errors, 'place', true)}${invalid(errors, 'place')}>
${fieldError(errors, 'place')}

<fieldset${describedBy(errors, 'role')}>
<legend>Vous…</legend>
${ROLES.map((r) => html`<label class="choice"><input type="radio" id="role-${r}" name="role" value="${r}"${values.role === r ? html` checked` : ''}> ${ROLE_CHOICES[r]}</label>`)}
${fieldError(errors, 'role')}
</fieldset>

<fieldset>
<legend>De quel type de projet s’agit-il ? <span class="hint">Facultatif, plusieurs choix possibles.</span></legend>
<div class="cats">
${CATEGORIES.map((c) => html`<label class="choice"><input type="checkbox" name="categories" value="${c}"${values.categories.includes(c) ? html` checked` : ''}> ${CATEGORY_LABELS[c]}</label>`)}
</div>
</fieldset>

<label for="description">Votre projet, ou ce que vous cherchez, en quelques phrases <span class="hint" id="description-hint">Avec vos mots : ce que vous faites, où vous en êtes, qui vous cherchez. C’est ce texte que liront les personnes qu’on vous présentera.</span></label>
<textarea id="description" name="description" maxlength="${LIMITS.descriptionMax}" required${describedBy(errors, 'description', true)}${invalid(errors, 'description')}>${values.description}</textarea>
${fieldError(errors, 'description')}

<label for="radius">Jusqu’où iriez-vous pour ce projet ?</label>
<select id="radius" name="radius"${describedBy(errors, 'radius')}>
${RADIUS_CHOICES.map((r) => html`<option value="${r.value}"${values.radius === r.value ? html` selected` : ''}>${r.label}</option>`)}
</select>
${fieldError(errors, 'radius')}

<fieldset>
<legend>Votre accord</legend>
<label class="choice"><input type="checkbox" id="consent" name="consent" value="oui"${values.consent ? html` checked` : ''}${describedBy(errors, 'consent')}> J’accepte que maillage me présente, par e-mail, des personnes qui partagent mes envies. Mes coordonnées ne seront transmises qu’aux personnes que j’accepte de rencontrer.</label>
${fieldError(errors, 'consent')}
<label class="choice"><input type="checkbox" name="visibleToReferents" value="oui"${values.visibleToReferents ? html` checked` : ''}> J’accepte que les référent·es locaux de mon territoire voient mon prénom, ma commune et mon projet, pour m’aider à trouver du monde.</label>
</fieldset>`;
}

export function renderHome(values: FormValues, errors: FieldErrors, csrf: string, notice?: string): string {
  const errorList = FIELD_ORDER.filter((f) => errors[f]);
  const body = html`
<h1>Trouvez les personnes qui feront vivre votre projet</h1>
<p>Vous portez un projet collectif écologique — un éco-lieu, un habitat partagé, un fablab, un repair café, une ferme coopérative, l’achat d’un hameau à plusieurs… — ou vous aimeriez en rejoindre un ? Décrivez-le en quelques phrases.</p>
<p>Chaque semaine, maillage vous présente <strong>une personne</strong> proche de vous et de vos envies, et vous explique pourquoi. Si vous acceptez tous les deux, nous vous mettons en relation ; sinon, personne n’en saura rien. Vous pouvez faire une pause ou tout effacer à tout moment.</p>
<p class="notice">Vous avez reçu notre bulletin ? Vous pouvez aussi simplement <strong>y répondre par e-mail</strong> en décrivant votre projet.</p>

<h2>S’inscrire</h2>
${notice ? html`<div class="summary" role="alert"><p>${notice}</p></div>` : ''}
${errorList.length > 0 ? html`<div class="summary" role="alert" tabindex="-1" id="errors"><p><strong>Quelques informations sont à revoir :</strong></p><ul>${errorList.map((f) => html`<li><a href="#${f === 'role' ? 'role-porteur' : f}">${errors[f]!}</a></li>`)}</ul></div>` : ''}
<form method="post" action="/inscription" novalidate>
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="reseau" value="${values.reseau}">
<div class="hp" aria-hidden="true"><label for="website">Ne pas remplir</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>

${registrationFields(values, errors)}

<button type="submit">M’inscrire</button>
<p class="hint">Vous recevrez un e-mail pour confirmer votre adresse. Vous pourrez ensuite faire une pause, vous désinscrire ou effacer toutes vos données en un clic.</p>
</form>`;
  return page('Inscription', body);
}

function checkEmailPage(email: string): string {
  return page('Vérifiez votre boîte mail', html`
<h1>Plus qu’une étape : vérifiez votre boîte mail</h1>
<p>Nous venons d’envoyer un message à <strong>${email}</strong>. Cliquez sur le bouton « Confirmer mon inscription » qu’il contient.</p>
<p>Rien reçu d’ici quelques minutes ? Regardez dans les indésirables, ou <a href="/">recommencez l’inscription</a> en vérifiant l’adresse.</p>`);
}

/** "dans 10 minutes", "dans une heure", "dans 2 heures". */
function inFrench(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60 || minutes % 60 !== 0) return `dans ${minutes} minute${minutes > 1 ? 's' : ''}`;
  return minutes === 60 ? 'dans une heure' : `dans ${minutes / 60} heures`;
}

function tooManyPage(retryAfterSeconds: number): string {
  return page('Trop de tentatives', html`
<h1>Un peu de patience</h1>
<p>Nous avons reçu beaucoup d’inscriptions depuis votre connexion ou pour cette adresse en peu de temps. Réessayez ${inFrench(retryAfterSeconds)} ; si le problème persiste, répondez à notre bulletin par e-mail.</p>`);
}

const INVALID_LINK_MESSAGES: Record<string, { title: string; text: string }> = {
  expired: { title: 'Ce lien a expiré', text: 'Pour votre sécurité, les liens de confirmation ne sont valables que quelques jours. Inscrivez-vous à nouveau : cela ne prend qu’une minute, et vous recevrez un nouveau lien.' },
  superseded: { title: 'Ce lien n’est plus valable', text: 'Un lien plus récent vous a été envoyé : utilisez celui du dernier e-mail reçu. Vous pouvez aussi vous inscrire à nouveau.' },
  tampered: { title: 'Ce lien est incomplet ou abîmé', text: 'Le lien a peut-être été coupé par votre messagerie. Copiez-le en entier depuis l’e-mail, ou inscrivez-vous à nouveau.' },
  malformed: { title: 'Ce lien est incomplet ou abîmé', text: 'Le lien a peut-être été coupé par votre messagerie. Copiez-le en entier depuis l’e-mail, ou inscrivez-vous à nouveau.' },
  unknown: { title: 'Ce lien ne correspond à aucune inscription', text: 'L’inscription a peut-être été effacée. Vous pouvez vous inscrire à nouveau.' },
};

/** 410 Gone for a link whose time is over (the text says what to do); 400 for a damaged or stale one. */
function invalidLinkStatus(error: string): number {
  return error === 'expired' ? 410 : 400;
}

function invalidLinkPage(error: string): string {
  const m = INVALID_LINK_MESSAGES[error] ?? INVALID_LINK_MESSAGES.malformed!;
  return page(m.title, html`<h1>${m.title}</h1><p>${m.text}</p><p><a class="button" href="/">Revenir à l’inscription</a></p>`);
}

/**
 * Once registered, someone the form never asked (a reply to the bulletin, an import) is invited
 * to let the référent·es of their territory see them: a link to the page that shows what they
 * would see (/visible), where only the button agrees. The confirmation request itself does not
 * carry it: one step at a time.
 */
function referentInvitation(ctx: AppContext, person: PersonRow): SafeHtml {
  if (person.source === 'form' || person.visible_to_referents) return html``;
  const link = `/visible?t=${tokenOf(visibleUrl(ctx.config, person.id))}`;
  const { intro, text, link: label } = REFERENT_INVITATION;
  return html`<p class="notice"><strong>${intro}</strong> ${text} : <a href="${link}">${label}</a>.</p>`;
}

export function registerRoutes(ctx: AppContext, geocode: Geocoder): Router {
  const router = Router();
  const secure = ctx.config.publicUrl.startsWith('https:');

  router.get('/', (req: Request, res: Response) => {
    const csrf = issueCsrf(req, res, ctx.config.secret, secure);
    const reseau = typeof req.query.reseau === 'string' ? req.query.reseau.toLowerCase().slice(0, 63) : '';
    res.type('html').send(renderHome({ ...EMPTY, reseau }, {}, csrf));
  });

  router.post('/inscription', async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const values = readForm(body);
    const csrf = issueCsrf(req, res, ctx.config.secret, secure);
    if (!checkCsrf(req, ctx.config.secret, body.csrf)) {
      const notice = 'Par sécurité, nous n’avons pas pu accepter cet envoi : la page était peut-être ouverte depuis longtemps, ou les cookies sont bloqués. Vos réponses sont toujours là : renvoyez le formulaire.';
      res.status(403).type('html').send(renderHome(values, {}, csrf, notice));
      return;
    }
    if (typeof body.website === 'string' && body.website !== '') {
      // A bot filled the hidden field: answer as if all went well and keep nothing.
      res.type('html').send(checkEmailPage(values.email));
      return;
    }
    // Before validation (geocoding) and any database work: a flood costs one Redis round trip a post.
    const { perIp, windowSeconds } = ctx.config.formLimit;
    const ipOk = await withinRateLimit(ctx.redis, `${ctx.config.queuePrefix}:rl:form-ip:${req.ip}`, perIp, windowSeconds);
    if (!ipOk) {
      res.status(429).set('Retry-After', String(windowSeconds)).type('html').send(tooManyPage(windowSeconds));
      return;
    }
    const result = validateForm(values, geocode);
    if (!result.ok) {
      res.status(422).type('html').send(renderHome(values, result.errors, csrf));
      return;
    }
    // At most a few confirmation emails an hour to one address: the form is no way to spam someone.
    // Keyed by a hash: a Redis key must not keep the address for an hour after an erasure.
    const emailKey = createHash('sha256').update(result.input.email).digest('hex');
    const emailOk = await withinRateLimit(ctx.redis, `${ctx.config.queuePrefix}:rl:form-email:${emailKey}`, 5, 3600);
    if (!emailOk) {
      res.status(429).set('Retry-After', '3600').type('html').send(tooManyPage(3600));
      return;
    }
    await registerFromForm(ctx, result.input);
    res.type('html').send(checkEmailPage(result.input.email));
  });

  router.get('/confirmer', async (req: Request, res: Response) => {
    const token = req.query.t;
    const check = await checkConfirmation(ctx, token);
    if (check.state === 'invalid') {
      res.status(invalidLinkStatus(check.error)).type('html').send(invalidLinkPage(check.error));
      return;
    }
    if (check.state === 'already-confirmed') {
      res.type('html').send(page('Inscription déjà confirmée', html`<h1>Votre inscription est déjà confirmée</h1><p>Merci ${check.person.name ?? ''} ! Vous n’avez rien d’autre à faire : nous vous écrirons dès que nous aurons une rencontre à vous proposer.</p>`));
      return;
    }
    const title = check.isUpdate ? 'Confirmer la mise à jour de votre profil' : 'Confirmer mon inscription';
    res.type('html').send(page(title, html`
<h1>${check.isUpdate ? 'Confirmez la mise à jour de votre profil' : `Bonjour ${check.person.name ?? ''}, confirmez votre inscription`}</h1>
<p>${check.isUpdate ? 'Un clic pour enregistrer la nouvelle description de votre projet.' : 'Un clic pour confirmer votre adresse e-mail et commencer à recevoir des propositions de rencontre.'}</p>
<form method="post" action="/confirmer">
<input type="hidden" name="t" value="${String(token)}">
<button type="submit" class="big">${title}</button>
</form>`));
  });

  router.post('/confirmer', async (req: Request, res: Response) => {
    const token = (req.body as Record<string, unknown> | undefined)?.t;
    const result = await confirmRegistration(ctx, token);
    if (result.state === 'invalid') {
      res.status(invalidLinkStatus(result.error)).type('html').send(invalidLinkPage(result.error));
      return;
    }
    if (result.state === 'already-confirmed') {
      res.type('html').send(page('Inscription déjà confirmée', html`<h1>Votre inscription est déjà confirmée</h1><p>Merci ! Vous n’avez rien d’autre à faire.</p>`));
      return;
    }
    res.type('html').send(page('Inscription confirmée', html`
<h1>${result.isUpdate ? 'C’est enregistré !' : `Bienvenue, ${result.person.name ?? ''} !`}</h1>
<p>${result.isUpdate ? 'Votre profil est à jour : les prochaines propositions en tiendront compte.' : 'Votre inscription est confirmée. Chaque semaine, nous cherchons la personne avec qui vous auriez le plus à partager, et nous vous écrivons quand nous la trouvons.'}</p>
<p>Vos coordonnées ne seront transmises qu’aux personnes que vous accepterez de rencontrer.</p>
${result.isUpdate ? '' : referentInvitation(ctx, result.person)}`));
  });

  return router;
}
