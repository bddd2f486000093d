// Starts maillage in one process: web server, job workers and schedules. Each part can also
// run alone (`maillage web`, `maillage worker`) to spread the load over several processes.
import type { Server } from 'node:http';
import type { Config } from './config.js';
import { closeContext, createContext, type AppContext } from './context.js';
import { geocode } from './geo/index.js';
import type { Logger } from './log.js';
import { createApp } from './web/app.js';
import { startSmtpListener } from './ingest/sources/smtp.js';
import { declareSchedules, startWorkers, type Workers } from './worker.js';

export interface RunningService {
  ctx: AppContext;
  server: Server | null;
  url: string | null;
  stop(): Promise<void>;
}

export const geocodePlace = (text: string) => geocode(text);

export async function startService(
  config: Config,
  log: Logger,
  parts: { web?: boolean; workers?: boolean; schedules?: boolean } = {},
): Promise<RunningService> {
  const { web = true, workers = true, schedules = workers } = parts;
  const ctx = await createContext(config, log);
  let running: Workers | null = null;
  if (workers) running = startWorkers(ctx);
  if (schedules) await declareSchedules(ctx);
  // The inbound SMTP listener is a network front door like the web server: it runs with it.
  const smtp = web && config.smtpListen ? await startSmtpListener(ctx) : null;
  let server: Server | null = null;
  let url: string | null = null;
  if (web) {
    const app = createApp(ctx, { geocode: geocodePlace });
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.port, () => resolve(s));
      s.once('error', reject);
    });
    const address = server.address();
    url = typeof address === 'object' && address ? `http://localhost:${address.port}` : null;
  }
  let stopping: Promise<void> | null = null;
  return {
    ctx,
    server,
    url,
    stop() {
      stopping ??= (async () => {
        if (server) {
          const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
          server.closeIdleConnections();
          // Requests still running get a moment, then their sockets are closed.
          await Promise.race([closed, new Promise((r) => setTimeout(r, 3_000))]);
          server.closeAllConnections();
        }
        await smtp?.close();
        if (running) await running.close();
        await closeContext(ctx);
      })();
      return stopping;
    },
  };
}
