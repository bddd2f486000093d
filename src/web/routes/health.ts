// Liveness and readiness, for docker compose and load balancers.
import { Router } from 'express';
import type { AppContext } from '../../context.js';

export function healthRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const timeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000))]);
    const [db, redis] = await Promise.allSettled([timeout(ctx.sql`select 1`), timeout(ctx.redis.ping())]);
    const body = { database: db.status === 'fulfilled' ? 'ok' : 'unreachable', redis: redis.status === 'fulfilled' ? 'ok' : 'unreachable' };
    res.status(db.status === 'fulfilled' && redis.status === 'fulfilled' ? 200 : 503).json(body);
  });
  return router;
}
