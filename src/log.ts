// Structured logs. Personal data never goes in a log line: people are named by their internal id.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'maillage' },
    redact: { paths: ['email', 'to', 'from', '*.email', '*.to', '*.from'], censor: '[redacted]' },
  });
}
