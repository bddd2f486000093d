// The référent·es' pages: confirm being a référent (/referent/confirmer) and stop the digest
// (/referent/desinscription, with RFC 8058 one-click), optionally erasing their name and address.
// GET only shows; the POST of the page's button acts. The signed link is the credential.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { deleteReferent } from '../../db/referents.js';
import { recordEvent } from '../../db/events.js';
import { loadGazetteer } from '../../geo/index.js';
import { territoryOf } from '../../territory/digest-run.js';
import {
  checkReferentConfirmation,
  checkReferentUnsubscribe,
  confirmReferentLink,
  unsubscribeReferentLink,
} from '../../territory/referents.js';
import { territoryLabel } from '../../territory/territory.js';
import { html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';
import { linkErrorPage, tokenFrom } from './answers.js';

function send(res: Response, title: string, body: SafeHtml, status = 200): void {
  res.status(status).type('html').send(page(title, body));
}

function tokenForm(action: string, token: string, label: string, cls = 'big', extra?: SafeHtml): SafeHtml {
  return html`<form method="post" action="${action}"><input type="hidden" name="t" value="${token}">${extra ?? ''}<button type="submit" class="${cls}">${label}</button></form>`;
}

const SUPERSEDED = html`<h1>Ce lien n’est plus valable</h1><p>Un lien plus récent vous a été envoyé : utilisez celui du dernier e-mail reçu de maillage. En cas de doute, répondez simplement à ce message.</p>`;

function confirmedBody(name: string, territory: string): SafeHtml {
  return html`
<h1>Merci, ${name} !</h1>
<p>Vous êtes désormais référent·e maillage pour <strong>${territory}</strong>. Chaque semaine où il se passe quelque chose sur votre territoire, vous recevrez un récapitulatif : les nouvelles personnes inscrites qui ont accepté d’être présentées aux référent·es, les rencontres proposées et acceptées, et les personnes qui attendent encore quelqu’un.</p>
<p>Vous pourrez arrêter à tout moment avec le lien en bas de chaque récapitulatif.</p>`;
}

export function referentRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/referent/confirmer', async (req: Request, res: Response) => {
    const check = await checkReferentConfirmation(ctx, req.query.t);
    if (check.state === 'invalid') {
      if (check.error === 'superseded') return send(res, 'Lien périmé', SUPERSEDED, 400);
      return linkErrorPage(res, check.error);
    }
    const territory = territoryLabel(territoryOf(check.referent), loadGazetteer());
    if (check.state === 'already-confirmed') return send(res, 'Déjà confirmé', confirmedBody(check.referent.name, territory));
    send(res, 'Devenir référent·e', html`
<h1>Bonjour ${check.referent.name}, devenez référent·e maillage</h1>
<p>Votre territoire : <strong>${territory}</strong>.</p>
<p>Une fois par semaine, quand il y a du nouveau, vous recevrez un récapitulatif de ce qui se passe près de chez vous. Vous pourrez arrêter en un clic.</p>
${tokenForm('/referent/confirmer', String(req.query.t), 'Je confirme, j’accepte d’être référent·e')}`);
  });

  router.post('/referent/confirmer', async (req: Request, res: Response) => {
    const result = await confirmReferentLink(ctx, tokenFrom(req));
    if (result.state === 'invalid') {
      if (result.error === 'superseded') return send(res, 'Lien périmé', SUPERSEDED, 400);
      return linkErrorPage(res, result.error);
    }
    const territory = territoryLabel(territoryOf(result.referent), loadGazetteer());
    send(res, 'Référent·e confirmé·e', confirmedBody(result.referent.name, territory));
  });

  router.get('/referent/desinscription', async (req: Request, res: Response) => {
    const check = await checkReferentUnsubscribe(ctx, req.query.t);
    if (check.state === 'invalid') return linkErrorPage(res, check.error);
    const token = String(req.query.t);
    if (check.state === 'already') return send(res, 'Récapitulatif arrêté', stoppedBody(token));
    send(res, 'Ne plus recevoir le récapitulatif', html`
<h1>Ne plus recevoir le récapitulatif de votre territoire</h1>
<p>Vous ne serez plus référent·e maillage et ne recevrez plus aucun récapitulatif. Merci pour le temps donné !</p>
${tokenForm('/referent/desinscription', token, 'Arrêter le récapitulatif')}`);
  });

  // Mail clients POST here with "List-Unsubscribe=One-Click" and the token in the URL.
  router.post('/referent/desinscription', async (req: Request, res: Response) => {
    const token = tokenFrom(req);
    const result = await unsubscribeReferentLink(ctx, token);
    if (result.state === 'invalid') return linkErrorPage(res, result.error);
    send(res, 'Récapitulatif arrêté', stoppedBody(String(token)));
  });

  router.post('/referent/effacer', async (req: Request, res: Response) => {
    const check = await checkReferentUnsubscribe(ctx, tokenFrom(req));
    if (check.state === 'invalid') {
      // Already erased: the link names a référent that no longer exists, which is what was asked.
      if (check.error === 'unknown') return send(res, 'Coordonnées effacées', ERASED_BODY);
      return linkErrorPage(res, check.error);
    }
    await ctx.sql.begin(async (tx) => {
      if (await deleteReferent(tx, check.referent.id)) await recordEvent(tx, 'referent.erased', null, { referentId: check.referent.id });
    });
    send(res, 'Coordonnées effacées', ERASED_BODY);
  });

  return router;
}

const ERASED_BODY = html`<h1>Vos coordonnées ont été effacées</h1><p>maillage ne garde plus ni votre nom ni votre adresse de référent·e. Merci pour votre aide !</p>`;

function stoppedBody(token: string): SafeHtml {
  return html`
<h1>C’est noté : plus de récapitulatif</h1>
<p>Vous ne recevrez plus le récapitulatif de votre territoire. Merci pour le temps donné ! Si l’envie revient, l’équipe de maillage pourra vous inscrire à nouveau.</p>
<p>Vous préférez que nous effacions aussi votre nom et votre adresse ?</p>
${tokenForm('/referent/effacer', token, 'Effacer mes coordonnées', 'secondary')}`;
}
