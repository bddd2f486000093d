// A real SMTP server on 127.0.0.1 that keeps every message it receives: the other end of the
// send job in tests and benchmarks (no mock of nodemailer). Can refuse chosen recipients with a
// 550, as a provider does for an address that does not exist.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** MAIL FROM (the envelope sender: our VERP bounce address). */
  envelopeFrom: string;
  /** RCPT TO, in order. */
  envelopeTo: string[];
  raw: Buffer;
  receivedAt: number;
}

export interface SmtpSink {
  url: string;
  port: number;
  messages: ReceivedMail[];
  /** Recipients refused with "550 5.1.1 user unknown". */
  rejectRecipients: Set<string>;
  /** Parsed copies of every message addressed (envelope) to this recipient. */
  to(address: string): Promise<ParsedMail[]>;
  parse(mail: ReceivedMail): Promise<ParsedMail>;
  waitForCount(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const rejectRecipients = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    maxClients: 200,
    // 127.0.0.1 needs no reverse DNS, and a lookup per connection would dominate the figures.
    disableReverseLookup: true,
    onRcptTo(address, _session, callback) {
      if (rejectRecipients.has(address.address.toLowerCase())) {
        const err = Object.assign(new Error('5.1.1 user unknown'), { responseCode: 550 });
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw: Buffer.concat(chunks),
          receivedAt: Date.now(),
        });
        callback();
      });
    },
  });
  // A client that dies mid-session (a worker killed with SIGKILL) resets its connection: a real
  // mail server logs that and goes on, and so does this one.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    rejectRecipients,
    async to(address: string) {
      const mine = messages.filter((m) => m.envelopeTo.includes(address.toLowerCase()));
      return Promise.all(mine.map((m) => simpleParser(m.raw)));
    },
    parse(mail: ReceivedMail) {
      return simpleParser(mail.raw);
    },
    async waitForCount(n: number, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`SMTP sink: expected ${n} messages, got ${messages.length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
