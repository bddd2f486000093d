// The embedded outbox: with no SMTP server configured, every email is kept and readable here
// as its recipient would see it. With SMTP_URL set it is closed unless the admin password is
// given; when ADMIN_PASSWORD is set it always asks for it.
import { timingSafeEqual, createHash } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { getOutbound, listOutbox, type OutboundRow } from '../../db/outbound.js';
import { hasAdminSession } from '../admin/session.js';
import { html } from '../html.js';
import { page } from '../layout.js';

const STATUS_LABELS: Record<OutboundRow['status'], string> = {
  queued: 'en attente', sending: 'en cours d’envoi', sent: 'envoyé', held: 'gardé ici', failed: 'échec', suppressed: 'non envoyé (adresse bloquée)',
};

function sameSecret(a: string, b: string): boolean {
  // Hash both sides so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function adminBasicAuth(ctx: AppContext, { openWithoutPassword }: { openWithoutPassword: boolean }) {
  return (req: Request, res: Response, next: NextFunction) => {
    const password = ctx.config.adminPassword;
    if (!password) {
      if (openWithoutPassword) return next();
      res.status(404).type('html').send(page('Page introuvable', html`<h1>Page introuvable</h1>`));
      return;
    }
    // Logged in to the console (/admin): the same password was given, no second prompt.
    if (hasAdminSession(req, ctx.config)) return next();
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8').split(':').slice(1).join(':') : '';
    if (given && sameSecret(given, password)) return next();
    res.status(401).set('WWW-Authenticate', 'Basic realm="maillage", charset="UTF-8"').type('html')
      .send(page('Accès réservé', html`<h1>Accès réservé</h1><p>Cette page est réservée à l’équipe qui fait fonctionner maillage.</p>`));
  };
}

export function outboxRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use(['/outbox', '/outbox.json'], adminBasicAuth(ctx, { openWithoutPassword: !ctx.config.smtpUrl }));

  router.get('/outbox.json', async (_req, res) => {
    const rows = await listOutbox(ctx.sql, 500);
    res.json(rows.map((r) => ({
      id: r.id, to: r.to_address, subject: r.subject, text: r.text_body, html: r.html,
      headers: { ...r.headers, 'Message-ID': r.message_id }, status: r.status, template: r.template, createdAt: r.created_at,
    })));
  });

  router.get('/outbox', async (_req, res) => {
    const rows = await listOutbox(ctx.sql, 200);
    res.type('html').send(page('Boîte d’envoi', html`
<h1>Boîte d’envoi</h1>
<p>${ctx.config.smtpUrl ? 'Les e-mails envoyés par maillage.' : 'Aucun serveur SMTP n’est configuré (SMTP_URL) : les e-mails sont gardés ici au lieu d’être envoyés. Cliquez sur un message pour le lire tel que son destinataire le verrait.'}</p>
${rows.length === 0 ? html`<p class="notice">Aucun message pour l’instant.</p>` : html`
<table><thead><tr><th>Date</th><th>Destinataire</th><th>Objet</th><th>État</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${r.created_at.toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })}</td><td>${r.to_address}</td><td><a href="/outbox/${r.id}">${r.subject}</a></td><td>${STATUS_LABELS[r.status]}</td></tr>`)}
</tbody></table>`}`));
  });

  // The email's HTML runs in a sandbox (no scripts, no forms), but a page its buttons open
  // (target="_blank", as MJML writes them) must escape it, as from a mail client: a confirmation
  // or answer page opened inside the sandbox could not POST its button.
  router.get('/outbox/:id', async (req, res) => {
    const row = await getOutbound(ctx.sql, Number(req.params.id) || 0);
    if (!row) {
      res.status(404).type('html').send(page('Message introuvable', html`<h1>Message introuvable</h1><p><a href="/outbox">Retour à la boîte d’envoi</a></p>`));
      return;
    }
    res.type('html').send(page(row.subject, html`
<p><a href="/outbox">← Boîte d’envoi</a></p>
<h1>${row.subject}</h1>
<table>
<tr><th>À</th><td>${row.to_address}</td></tr>
<tr><th>Date</th><td>${row.created_at.toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })}</td></tr>
<tr><th>État</th><td>${STATUS_LABELS[row.status]}</td></tr>
${Object.entries(row.headers).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}
</table>
<h2>Version HTML</h2>
<iframe src="/outbox/${row.id}/html" title="Contenu du message" sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation" style="width:100%;height:70vh;border:1px solid #ccc;border-radius:8px"></iframe>
<h2>Version texte</h2>
<pre style="white-space:pre-wrap">${row.text_body}</pre>`));
  });

  router.get('/outbox/:id/html', async (req, res) => {
    const row = await getOutbound(ctx.sql, Number(req.params.id) || 0);
    if (!row) {
      res.status(404).end();
      return;
    }
    // Links open in the whole window, as they would from a mail client.
    res.set('Content-Security-Policy', "default-src 'none'; img-src data: https:; style-src 'unsafe-inline'; frame-ancestors 'self'");
    res.type('html').send(row.html.replace(/<head>/i, '<head><base target="_top">'));
  });

  return router;
}
