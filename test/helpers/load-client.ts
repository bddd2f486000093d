// The load generator, run as a child process by test/helpers/load.ts (never imported): the
// server under test keeps its own process and event loop, as it would in production.
//
// It runs autocannon with `overallRate`. autocannon's rate limit is per connection and per
// second: at each one-second tick every connection sends its share back to back, then waits.
// Started at once, the whole second's requests would hit the server in one burst; so the rate is
// split over `instances` autocannon runs started 1/instances of a second apart, which spreads the
// bursts over the second (with one connection per run, 40 × 25 requests/s, arrivals come close to
// independent people clicking). Each response's latency is collected from autocannon's 'response'
// events and the percentiles computed here over every request: autocannon's own histogram
// "corrects" coordinated omission with an expected interval of ceil(1 / per-connection rate) =
// 1 ms, which adds synthetic samples and lowers the percentiles.
import autocannon from 'autocannon';

export interface LoadRequest {
  method: 'GET' | 'POST' | 'HEAD';
  path: string;
  /** application/x-www-form-urlencoded body, for POST */
  body?: string;
}

export interface LoadJob {
  /** http://127.0.0.1:port */
  url: string;
  /** requests per second, all connections together */
  rate: number;
  seconds: number;
  connections: number;
  instances: number;
  /** taken in turn by every connection of every instance, so the load spreads over them all */
  requests: LoadRequest[];
}

export interface LoadResult {
  requests: number;
  /** completed responses per second of the run */
  achievedRate: number;
  statuses: Record<string, number>;
  non2xx: number;
  /** connection errors and timeouts */
  errors: number;
  timeouts: number;
  /** CPU time the load generator itself used (it shares the machine with the server) */
  clientCpuMs: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const cpu0 = process.cpuUsage();
  let next = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const instances = Math.max(1, Math.min(job.instances, job.connections, job.rate));
  const runs: Promise<autocannon.Result>[] = [];
  for (let k = 0; k < instances; k++) {
    if (k > 0) await new Promise((r) => setTimeout(r, 1000 / instances));
    runs.push(new Promise((resolve, reject) => {
      const instance = autocannon(
        {
          url: job.url,
          duration: job.seconds,
          connections: Math.floor(job.connections / instances) + (k < job.connections % instances ? 1 : 0),
          overallRate: Math.floor(job.rate / instances) + (k < job.rate % instances ? 1 : 0),
          timeout: 10,
          ignoreCoordinatedOmission: true,
          requests: [{
            setupRequest: (req) => {
              const r = job.requests[next++ % job.requests.length]!;
              return {
                ...req,
                method: r.method,
                path: r.path,
                body: r.body ?? '',
                headers: (r.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) as Record<string, string>,
              };
            },
          }],
        },
        (err, result) => (err ? reject(err) : resolve(result)),
      );
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        latencies.push(responseTime);
        statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      });
    }));
  }
  const results = await Promise.all(runs);
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(latencies).sort();
  const sum = latencies.reduce((s, v) => s + v, 0);
  return {
    requests: latencies.length,
    achievedRate: latencies.length / job.seconds,
    statuses,
    non2xx: Object.entries(statuses).filter(([code]) => !code.startsWith('2')).reduce((s, [, n]) => s + n, 0),
    errors: results.reduce((s, r) => s + r.errors, 0),
    timeouts: results.reduce((s, r) => s + r.timeouts, 0),
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
      mean: latencies.length ? sum / latencies.length : Number.NaN,
    },
  };
}

// Forked with an IPC channel: one job in, one result out.
if (process.send) {
  process.once('message', (job: LoadJob) => {
    runLoad(job).then(
      (result) => process.send!({ result }, () => process.exit(0)),
      (err: Error) => process.send!({ error: err.stack ?? err.message }, () => process.exit(1)),
    );
  });
}
