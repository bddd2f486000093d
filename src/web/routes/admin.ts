// The operator's console at /admin: login (ADMIN_PASSWORD, rate-limited per IP, constant-time
// check), a signed session cookie (HttpOnly, SameSite=Strict, Secure over https), and pages that
// only read; every action is a POST with a CSRF token. Bull-board (the queues) sits at
// /admin/queues behind the same session. Without ADMIN_PASSWORD every /admin page says the
// console is disabled and how to turn it on.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { simpleParser } from 'mailparser';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { latestRounds } from '../../db/rounds.js';
import { listNetworkStats, NETWORK_SLUG, upsertNetwork } from '../../db/networks.js';
import { listReferents } from '../../db/referents.js';
import { loadGazetteer } from '../../geo/index.js';
import { territoryOf } from '../../territory/digest-run.js';
import {
  countNeedsHuman,
  failedOutbound,
  funnelByWeek,
  getInboundRaw,
  getPersonForConsole,
  inboundForOperator,
  markInboundHandled,
  markOutboundHandled,
  peopleByDepartement,
  searchPeople,
  totals,
} from '../../territory/stats.js';
import { territoryLabel } from '../../territory/territory.js';
import { eraseFromConsole, pauseFromConsole, resendConfirmation, resumeFromConsole } from '../admin/actions.js';
import { departementCodes, type MapPoint } from '../admin/charts.js';
import { adminPage } from '../admin/layout.js';
import {
  DISABLED_BODY,
  loginBody,
  messageBody,
  messagesBody,
  networksBody,
  overviewBody,
  peopleBody,
  personBody,
  territoryBody,
} from '../admin/pages.js';
import { clearSessionCookie, hasAdminSession, samePassword, setSessionCookie } from '../admin/session.js';
import { html } from '../html.js';
import { checkCsrf, issueCsrf, withinRateLimit } from '../security.js';

/** Login attempts allowed per IP address and window: enough for typos, far too few to guess. */
export const LOGIN_LIMIT = { attempts: 10, windowSeconds: 15 * 60 } as const;

function field(req: Request, name: string): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

/** Only our own console paths are followed after login: never an open redirect. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/admin(?:[/?][^\s\\]*)?$/.test(value) && !value.startsWith('//') ? value : '/admin';
}

function personId(req: Request): number {
  const n = Number(req.params.id);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

export function adminRoutes(ctx: AppContext): Router {
  const router = Router();
  const secure = ctx.config.publicUrl.startsWith('https:');
  const csrf = (req: Request, res: Response) => issueCsrf(req, res, ctx.config.secret, secure);
  const send = (res: Response, title: string, body: ReturnType<typeof html>, options: { current?: string; csrf?: string; status?: number } = {}) => {
    res.status(options.status ?? 200).set('Cache-Control', 'no-store').type('html').send(adminPage(title, body, options));
  };

  router.use('/admin', (req: Request, res: Response, next: NextFunction) => {
    if (ctx.config.adminPassword) return next();
    send(res, 'Console désactivée', DISABLED_BODY, { status: 404 });
  });

  // ---- login / logout ---------------------------------------------------------------------------
  router.get('/admin/connexion', (req, res) => {
    if (hasAdminSession(req, ctx.config)) return res.redirect(303, safeNext(req.query.suite));
    send(res, 'Connexion', loginBody(csrf(req, res), safeNext(req.query.suite)));
  });

  router.post('/admin/connexion', async (req, res) => {
    const token = csrf(req, res);
    const next = safeNext(field(req, 'suite'));
    const allowed = await withinRateLimit(ctx.redis, `${ctx.config.queuePrefix}:rl:admin-login:${req.ip}`, LOGIN_LIMIT.attempts, LOGIN_LIMIT.windowSeconds);
    if (!allowed) {
      ctx.log.warn({ reqId: res.get('X-Request-Id') }, 'console login rate-limited');
      res.set('Retry-After', String(LOGIN_LIMIT.windowSeconds));
      return send(res, 'Trop de tentatives', loginBody(token, next, 'Trop de tentatives de connexion depuis votre adresse. Attendez un quart d’heure avant de réessayer.'), { status: 429 });
    }
    if (!checkCsrf(req, ctx.config.secret, field(req, 'csrf'))) {
      return send(res, 'Connexion', loginBody(token, next, 'La page était ouverte depuis longtemps, ou les cookies sont bloqués. Réessayez.'), { status: 403 });
    }
    if (!samePassword(field(req, 'password'), ctx.config.adminPassword!)) {
      ctx.log.info({ reqId: res.get('X-Request-Id') }, 'console login refused');
      return send(res, 'Connexion', loginBody(token, next, 'Ce mot de passe n’est pas le bon.'), { status: 401 });
    }
    setSessionCookie(res, ctx.config);
    res.redirect(303, next);
  });

  router.post('/admin/deconnexion', (req, res) => {
    if (checkCsrf(req, ctx.config.secret, field(req, 'csrf'))) clearSessionCookie(res, ctx.config);
    res.redirect(303, '/admin/connexion');
  });

  // ---- everything below needs a session -------------------------------------------------------
  router.use('/admin', (req: Request, res: Response, next: NextFunction) => {
    if (hasAdminSession(req, ctx.config)) return next();
    if (req.method === 'GET' || req.method === 'HEAD') {
      return res.redirect(303, `/admin/connexion?suite=${encodeURIComponent(req.originalUrl.slice(0, 300))}`);
    }
    send(res, 'Connexion requise', html`<h1>Connexion requise</h1><p>Votre session a expiré. <a href="/admin/connexion">Connectez-vous</a> puis recommencez.</p>`, { status: 401 });
  });

  // Bull-board: its own React page and JSON API, behind the session above.
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({
    queues: Object.values(ctx.queues).map((q) => new BullMQAdapter(q)),
    // @bull-board/express pins its own copy of @bull-board/api (9.10.1 beside our 9.10.2): same
    // shape at run time, but TypeScript sees two declarations of the adapter's private fields.
    serverAdapter: board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'maillage' } },
  });
  router.use('/admin/queues', board.getRouter());

  /** Actions: the CSRF token first, then the work. */
  const action = (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    if (!checkCsrf(req, ctx.config.secret, field(req, 'csrf'))) {
      return send(res, 'Action refusée', html`<h1>Action refusée</h1><p>Par sécurité, cette action n’a pas été faite : la page était ouverte depuis longtemps, ou les cookies sont bloqués. <a href="/admin">Rechargez la console</a> et recommencez.</p>`, { status: 403, csrf: csrf(req, res) });
    }
    await handler(req, res);
  };

  router.get('/admin', async (req, res) => {
    const [t, funnel, rounds, needsHuman] = await Promise.all([
      totals(ctx.sql), funnelByWeek(ctx.sql, ctx.config.roundTz, 12), latestRounds(ctx.sql, 8), countNeedsHuman(ctx.sql),
    ]);
    send(res, 'Vue d’ensemble', overviewBody({ totals: t, funnel, rounds, needsHuman }), { current: '/admin', csrf: csrf(req, res) });
  });

  router.get('/admin/personnes', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 200) : '';
    const people = await searchPeople(ctx.sql, q, q ? 100 : 30);
    send(res, 'Personnes', peopleBody(q, people), { current: '/admin/personnes', csrf: csrf(req, res) });
  });

  router.get('/admin/personnes/:id', async (req, res) => {
    const person = await getPersonForConsole(ctx.sql, personId(req));
    const token = csrf(req, res);
    if (!person) return send(res, 'Personne introuvable', html`<h1>Personne introuvable</h1><p><a href="/admin/personnes">Retour à la liste</a></p>`, { status: 404, csrf: token, current: '/admin/personnes' });
    const done = typeof req.query.fait === 'string' ? req.query.fait : undefined;
    send(res, person.name ?? `Personne n° ${person.id}`, personBody(person, token, done), { current: '/admin/personnes', csrf: token });
  });

  const afterAction = (res: Response, id: number, result: string) => {
    if (result === 'inconnue') return res.redirect(303, `/admin/personnes/${id}`);
    res.redirect(303, `/admin/personnes/${id}?fait=${encodeURIComponent(result)}`);
  };

  router.post('/admin/personnes/:id/pause', action(async (req, res) => {
    const option = field(req, 'duree') === '3m' ? '3m' : '1m';
    afterAction(res, personId(req), await pauseFromConsole(ctx, personId(req), option));
  }));
  router.post('/admin/personnes/:id/reprendre', action(async (req, res) => {
    afterAction(res, personId(req), await resumeFromConsole(ctx, personId(req)));
  }));
  router.post('/admin/personnes/:id/confirmation', action(async (req, res) => {
    afterAction(res, personId(req), await resendConfirmation(ctx, personId(req)));
  }));
  router.post('/admin/personnes/:id/effacer', action(async (req, res) => {
    const id = personId(req);
    const person = await getPersonForConsole(ctx.sql, id);
    if (person?.status === 'erased') return afterAction(res, id, 'deja-effacee');
    if (field(req, 'confirmer') !== 'oui') return afterAction(res, id, 'confirmer-effacement');
    afterAction(res, id, await eraseFromConsole(ctx, id));
  }));

  router.get('/admin/territoire', async (req, res) => {
    const gaz = loadGazetteer();
    const rows = await peopleByDepartement(ctx.sql);
    const counts = new Map(rows.map((r) => [r.departement, r.active + r.pending]));
    const points: MapPoint[] = [];
    for (const code of departementCodes()) {
      const info = gaz.departement(code);
      if (info) points.push({ code, name: info.name, lat: info.lat, lon: info.lon, count: counts.get(code) ?? 0 });
    }
    const named = rows.map((r) => ({ ...r, name: r.departement ? gaz.departement(r.departement)?.name ?? null : null }));
    send(res, 'Territoire', territoryBody(named, points), { current: '/admin/territoire', csrf: csrf(req, res) });
  });

  router.get('/admin/messages', async (req, res) => {
    const [inbound, outbound] = await Promise.all([inboundForOperator(ctx.sql), failedOutbound(ctx.sql)]);
    const done = typeof req.query.fait === 'string' ? req.query.fait : undefined;
    send(res, 'Messages à traiter', messagesBody(inbound, outbound, csrf(req, res), done), { current: '/admin/messages', csrf: csrf(req, res) });
  });

  router.get('/admin/messages/:id', async (req, res) => {
    const row = await getInboundRaw(ctx.sql, personId(req));
    const token = csrf(req, res);
    if (!row) return send(res, 'Message introuvable', html`<h1>Message introuvable</h1><p>Il a peut-être été effacé avec les données de son auteur·e. <a href="/admin/messages">Retour</a></p>`, { status: 404, csrf: token, current: '/admin/messages' });
    let subject = '';
    let text = '';
    try {
      const parsed = await simpleParser(row.raw, { skipImageLinks: true, skipTextToHtml: true });
      subject = parsed.subject ?? '';
      text = (parsed.text ?? '').slice(0, 100_000);
    } catch {
      // An unparseable message is shown as its raw beginning: nothing is hidden from the operator.
      text = row.raw.subarray(0, 20_000).toString('utf8');
    }
    send(res, subject || 'Message', messageBody({ ...row, subject, text }), { current: '/admin/messages', csrf: token });
  });

  router.post('/admin/messages/entrant/:id/traite', action(async (req, res) => {
    await markInboundHandled(ctx.sql, personId(req));
    res.redirect(303, '/admin/messages?fait=traite');
  }));
  router.post('/admin/messages/sortant/:id/traite', action(async (req, res) => {
    await markOutboundHandled(ctx.sql, personId(req));
    res.redirect(303, '/admin/messages?fait=traite');
  }));

  const networksPage = async (req: Request, res: Response, extra: { message?: string; error?: string; status?: number } = {}) => {
    const gaz = loadGazetteer();
    const [networks, referents] = await Promise.all([listNetworkStats(ctx.sql), listReferents(ctx.sql)]);
    const token = csrf(req, res);
    send(res, 'Réseaux et référent·es', networksBody({
      networks,
      referents: referents.map((r) => ({ ...r, territory: territoryLabel(territoryOf(r), gaz) })),
      publicUrl: ctx.config.publicUrl,
      replyTo: ctx.config.replyTo,
      csrf: token,
      message: extra.message,
      error: extra.error,
    }), { current: '/admin/reseaux', csrf: token, status: extra.status });
  };

  router.get('/admin/reseaux', async (req, res) => {
    const done = req.query.fait === 'reseau' ? 'Le réseau est enregistré.' : undefined;
    await networksPage(req, res, { message: done });
  });

  router.post('/admin/reseaux', action(async (req, res) => {
    const slug = field(req, 'slug').trim().toLowerCase();
    const name = field(req, 'name').replace(/\s+/g, ' ').trim();
    if (!NETWORK_SLUG.test(slug) || !name || name.length > 120) {
      return networksPage(req, res, { error: 'Indiquez un nom, et un identifiant court fait de lettres minuscules, de chiffres et de tirets (par exemple repair-cafes-44).', status: 422 });
    }
    await upsertNetwork(ctx.sql, slug, name);
    res.redirect(303, '/admin/reseaux?fait=reseau');
  }));

  return router;
}
