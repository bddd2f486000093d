// The part of autocannon's API the load client uses (the package ships no types, and
// @types/autocannon is not installed).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface RequestParams {
      method?: string;
      path?: string;
      body?: string | Buffer;
      headers?: Record<string, string>;
      [key: string]: unknown;
    }
    interface Request extends RequestParams {
      setupRequest?: (req: RequestParams, context: Record<string, unknown>) => RequestParams | null;
    }
    interface Options {
      url: string;
      duration?: number;
      connections?: number;
      overallRate?: number;
      connectionRate?: number;
      timeout?: number;
      ignoreCoordinatedOmission?: boolean;
      requests?: Request[];
    }
    interface Result {
      errors: number;
      timeouts: number;
      non2xx: number;
      requests: { total: number; average: number };
    }
    interface Instance extends EventEmitter {
      on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
      stop(): void;
    }
  }

  function autocannon(options: autocannon.Options, callback: (err: Error | null, result: autocannon.Result) => void): autocannon.Instance;
  export default autocannon;
}
