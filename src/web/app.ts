// The express application: pages, one-click links, webhooks, outbox, health.
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../context.js';
import { html } from './html.js';
import { page } from './layout.js';
import type { Geocoder } from './registration-form.js';
import { healthRoutes } from './routes/health.js';
import { inboundRoutes } from './routes/inbound.js';
import { outboxRoutes } from './routes/outbox.js';
import { registerRoutes } from './routes/register.js';
import { answerRoutes } from './routes/answers.js';
import { controlRoutes } from './routes/control.js';
import { adminRoutes } from './routes/admin.js';
import { metricsRoutes } from './routes/metrics.js';
import { referentRoutes } from './routes/referents.js';

export function createApp(ctx: AppContext, options: { geocode: Geocoder }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const id = (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || randomUUID();
    res.set('X-Request-Id', id);
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'no-referrer');
    res.set('X-Frame-Options', 'SAMEORIGIN');
    if (!res.get('Content-Security-Policy')) {
      res.set('Content-Security-Policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; form-action 'self'; frame-ancestors 'self'");
    }
    const started = Date.now();
    // One structured line per request, tied to its id. The matched route pattern is logged, not
    // the path: tokens live in query strings, and an unmatched path could hold anything typed.
    const log = ctx.log.child({ reqId: id });
    res.locals.log = log;
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : res.statusCode === 404 ? '(no route)' : req.path.replace(/[^/]*@[^/]*/g, '…').slice(0, 80);
      const quiet = req.path === '/healthz' || req.path === '/readyz' || req.path === '/metrics' || req.path.startsWith('/admin/queues/static');
      log[quiet ? 'debug' : 'info']({ method: req.method, route, status: res.statusCode, ms: Date.now() - started }, 'request');
    });
    next();
  });
  // Raw MIME webhook before the form parser: it reads the body as bytes, whatever its type.
  app.use(inboundRoutes(ctx));
  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }));

  app.use(healthRoutes(ctx));
  app.use(registerRoutes(ctx, options.geocode));
  app.use(outboxRoutes(ctx));
  app.use(answerRoutes(ctx));
  app.use(controlRoutes(ctx, options.geocode));
  app.use(referentRoutes(ctx));
  app.use(adminRoutes(ctx));
  app.use(metricsRoutes(ctx));

  app.use((_req: Request, res: Response) => {
    res.status(404).type('html').send(page('Page introuvable', html`<h1>Page introuvable</h1><p><a href="/">Revenir à l’accueil</a></p>`));
  });

  // Last resort: a clear page, never a stack trace.
  app.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status >= 500) ctx.log.error({ err: err.message, stack: err.stack, path: req.path }, 'request failed');
    const message = status === 413
      ? 'Ce que vous avez envoyé est trop volumineux. Raccourcissez votre texte et réessayez.'
      : status < 500
        ? 'Cette demande n’a pas pu être comprise. Revenez à la page précédente et réessayez.'
        : 'Un problème est survenu de notre côté. Rien n’est perdu : réessayez dans quelques minutes.';
    if (res.headersSent) return;
    res.status(status).type('html').send(page('Oups', html`<h1>Oups</h1><p>${message}</p><p><a href="/">Revenir à l’accueil</a></p>`));
  });
  return app;
}
