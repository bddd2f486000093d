// The pages behind the Accept / Decline buttons of a proposal (/reponse) and behind the
// follow-up answers (/suite). GET only shows what a click would do, with one large button;
// only the POST of that button records (mail scanners fetch every GET, and HEAD).
// No cookie, no CSRF token: the signed link itself is the proof, and phones often open mail
// links in a browser with no cookies at all.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { answerFromLink, checkAnswerLink, type AnswerResult, type AnswerView } from '../../introductions/answers.js';
import { checkFollowupLink, recordFollowup, type FollowupAnswer } from '../../introductions/followup.js';
import type { AnswerValue } from '../../introductions/model.js';
import { frenchDate } from '../../introductions/templates.js';
import { answerUrl, tokenOf } from '../../mail/links.js';
import { html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';

export const LINK_ERRORS: Record<string, { status: number; title: string; text: string }> = {
  // 410 Gone: the link was good, its time is over (tampered or cut links stay 400).
  expired: { status: 410, title: 'Ce lien a expiré', text: 'Pour votre sécurité, nos liens ne restent valables qu’un temps. Utilisez le lien d’un e-mail plus récent de maillage, ou répondez simplement à l’e-mail qui contenait ce lien, en quelques mots (« oui », « non », « pause », « stop »…) : nous nous en occupons.' },
  tampered: { status: 400, title: 'Ce lien est incomplet ou abîmé', text: 'Le lien a peut-être été coupé par votre messagerie. Copiez-le en entier depuis l’e-mail, ou répondez simplement à cet e-mail.' },
  malformed: { status: 400, title: 'Ce lien est incomplet ou abîmé', text: 'Le lien a peut-être été coupé par votre messagerie. Copiez-le en entier depuis l’e-mail, ou répondez simplement à cet e-mail.' },
  unknown: { status: 404, title: 'Ce lien ne correspond plus à rien', text: 'La proposition ou l’inscription qu’il concerne n’existe plus (elle a peut-être été effacée).' },
};

export function linkErrorPage(res: Response, error: string): void {
  const m = LINK_ERRORS[error] ?? LINK_ERRORS.malformed!;
  res.status(m.status).type('html').send(page(m.title, html`<h1>${m.title}</h1><p>${m.text}</p><p><a href="/">Revenir à l’accueil de maillage</a></p>`));
}

/** The token a form posts back: from the body (our forms) or the query string. */
export function tokenFrom(req: Request): unknown {
  const body = req.body as Record<string, unknown> | undefined;
  return body?.t ?? req.query.t;
}

function answerForm(token: string, label: string, secondary = false): SafeHtml {
  return html`<form method="post" action="/reponse"><input type="hidden" name="t" value="${token}"><button type="submit" class="${secondary ? 'secondary' : 'big'}">${label}</button></form>`;
}

function otherWho(view: AnswerView): string {
  return view.otherPlace ? `${view.otherName} (${view.otherPlace})` : view.otherName;
}

/** The button offering the other answer, with a fresh link for it. */
function changeOfMind(ctx: AppContext, view: AnswerView, now: AnswerValue): SafeHtml {
  if (view.situation !== 'open') return html``;
  const other: AnswerValue = now === 'accepted' ? 'declined' : 'accepted';
  const token = tokenOf(answerUrl(ctx.config, view.introductionId, view.personId, other));
  return html`
<p class="hint">Vous pouvez changer d’avis jusqu’au ${frenchDate(view.deadline)}.</p>
${answerForm(token, other === 'accepted' ? 'Finalement, oui : mettez-nous en relation' : 'Finalement, non merci', true)}`;
}

function closedPage(view: AnswerView): string {
  return page('Proposition close', html`
<h1>Cette proposition est close</h1>
<p>Le délai pour répondre à la proposition de rencontrer ${view.otherName} est passé, et vous n’avez pas été mis en relation cette fois-ci.</p>
<p>Vous n’avez rien à faire : votre prochaine proposition arrivera comme d’habitude.</p>`);
}

function metPage(view: AnswerView): string {
  return page('Déjà en relation', html`
<h1>Vous êtes déjà en relation avec ${view.otherName}</h1>
<p>Vous avez tous les deux accepté : nous vous avons envoyé un e-mail à tous les deux, intitulé « Vous avez tous les deux accepté : voici vos coordonnées ». Répondez-y à tous pour faire connaissance.</p>
<p>Vous ne le trouvez pas ? Regardez dans les indésirables.</p>`);
}

function recordedPage(ctx: AppContext, result: Extract<AnswerResult, { state: 'recorded' | 'unchanged' }>): string {
  const { view, answer } = result;
  const again = result.state === 'unchanged';
  if (answer === 'accepted' && result.state === 'recorded' && result.meeting) {
    return page('Vous êtes en relation', html`
<h1>C’est fait : vous avez tous les deux accepté !</h1>
<p>Un e-mail vient de partir vers vous deux, avec vos coordonnées. <strong>Répondez à tous</strong> pour faire connaissance avec ${view.otherName}.</p>
<p>Belle rencontre !</p>`);
  }
  if (answer === 'accepted') {
    return page('Réponse enregistrée', html`
<h1>${again ? 'Vous aviez déjà accepté' : 'Merci, c’est noté !'}</h1>
<p>Vous acceptez de rencontrer ${otherWho(view)}. Si ${view.otherName} accepte aussi, vous recevrez tous les deux un e-mail avec vos coordonnées.</p>
<p>Sinon, vous n’aurez rien à faire : votre prochaine proposition arrivera comme d’habitude.</p>
${changeOfMind(ctx, view, 'accepted')}`);
  }
  return page('Réponse enregistrée', html`
<h1>${again ? 'Vous aviez déjà décliné' : 'C’est noté, merci'}</h1>
<p>Vous ne serez pas mis en relation avec ${view.otherName}, qui ne sera pas informé·e de votre réponse.</p>
<p>Votre prochaine proposition arrivera comme d’habitude.</p>
${changeOfMind(ctx, view, 'declined')}`);
}

const FOLLOWUP_LABELS: Record<FollowupAnswer, { title: string; button: string; done: string }> = {
  met: { title: 'Vous avez pu échanger', button: 'Oui, nous avons échangé', done: 'Merci ! Nous sommes ravis que la rencontre ait eu lieu.' },
  'not-yet': { title: 'Pas encore', button: 'Pas encore', done: 'Merci ! Il n’est jamais trop tard : l’e-mail de mise en relation est toujours dans votre boîte.' },
  no: { title: 'Ça ne s’est pas fait', button: 'Non, ça ne s’est pas fait', done: 'Merci de nous l’avoir dit : cela nous aide à mieux choisir les prochaines rencontres.' },
};

export function answerRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/reponse', async (req: Request, res: Response) => {
    const token = req.query.t;
    const check = await checkAnswerLink(ctx, token);
    if (check.state === 'invalid') return linkErrorPage(res, check.error);
    const { view, answer } = check;
    if (view.situation === 'met') return void res.type('html').send(metPage(view));
    if (view.situation === 'closed') return void res.type('html').send(closedPage(view));
    if (view.current === answer) {
      return void res.type('html').send(recordedPage(ctx, { state: 'unchanged', answer, view }));
    }
    const t = String(token);
    const otherToken = tokenOf(answerUrl(ctx.config, view.introductionId, view.personId, answer === 'accepted' ? 'declined' : 'accepted'));
    const body = answer === 'accepted'
      ? html`
<h1>Vous acceptez de rencontrer ${view.otherName}</h1>
<p>${otherWho(view)}. Si ${view.otherName} accepte aussi, nous vous enverrons un e-mail à tous les deux avec vos adresses, pour que vous puissiez faire connaissance. Sinon, personne ne saura rien de votre réponse.</p>
${answerForm(t, 'Oui, mettez-nous en relation')}
<p class="hint">Vous préférez ne pas donner suite ?</p>
${answerForm(otherToken, 'Non merci', true)}`
      : html`
<h1>Vous préférez ne pas rencontrer ${view.otherName}</h1>
<p>C’est tout à fait possible : ${view.otherName} ne sera pas informé·e de votre réponse, et votre prochaine proposition arrivera comme d’habitude.</p>
${answerForm(t, 'Confirmer : non merci')}
<p class="hint">Finalement, vous aimeriez faire connaissance ?</p>
${answerForm(otherToken, 'Oui, mettez-nous en relation', true)}`;
    res.type('html').send(page(answer === 'accepted' ? 'Confirmer la rencontre' : 'Décliner la proposition', body));
  });

  router.post('/reponse', async (req: Request, res: Response) => {
    const result = await answerFromLink(ctx, tokenFrom(req));
    if (result.state === 'invalid') return linkErrorPage(res, result.error);
    if (result.state === 'unknown') return linkErrorPage(res, 'unknown');
    if (result.state === 'met') return void res.type('html').send(metPage(result.view));
    if (result.state === 'closed') return void res.type('html').send(closedPage(result.view));
    res.type('html').send(recordedPage(ctx, result));
  });

  router.get('/suite', async (req: Request, res: Response) => {
    const check = await checkFollowupLink(ctx, req.query.t);
    if (check.state === 'invalid') return linkErrorPage(res, check.error);
    const labels = FOLLOWUP_LABELS[check.answer];
    res.type('html').send(page('Avez-vous pu échanger ?', html`
<h1>Avez-vous pu échanger avec ${check.otherName} ?</h1>
<p>Votre réponse nous aide à proposer de meilleures rencontres. ${check.otherName} ne la verra pas.</p>
<form method="post" action="/suite"><input type="hidden" name="t" value="${String(req.query.t)}"><button type="submit" class="big">${labels.button}</button></form>`));
  });

  router.post('/suite', async (req: Request, res: Response) => {
    const result = await recordFollowup(ctx, tokenFrom(req));
    if (result.state === 'invalid') return linkErrorPage(res, result.error);
    const labels = FOLLOWUP_LABELS[result.answer];
    res.type('html').send(page('Merci', html`<h1>${labels.title}</h1><p>${labels.done}</p>`));
  });

  return router;
}
