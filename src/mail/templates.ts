// Email templates: templates/<name>.mjml (a fragment placed inside templates/layout.mjml) and
// templates/<name>.txt (first line "Subject: …"). MJML is compiled once at start (~5 ms each);
// filling a compiled template per recipient is a join over precomputed parts (~µs).
//   {{name}}   escaped for HTML (raw in the text version)
//   {{{name}}} inserted as is (HTML the caller built and escaped itself)
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import mjml2html from 'mjml';
import { escapeHtml } from '../web/html.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

type Part = string | { key: string; raw: boolean };
interface Compiled {
  subject: Part[];
  html: Part[];
  text: Part[];
}

export type TemplateVars = Record<string, string | number | null | undefined>;

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const PLACEHOLDER = /\{\{(\{?)\s*([A-Za-z0-9_]+)\s*\}?\}\}/g;

function splitParts(source: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    if (m.index! > last) parts.push(source.slice(last, m.index));
    parts.push({ key: m[2]!, raw: m[1] === '{' });
    last = m.index! + m[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  return parts;
}

function fill(parts: Part[], vars: TemplateVars, escape: boolean, template: string): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = vars[part.key];
    if (value === undefined) throw new Error(`Template ${template}: missing value for "${part.key}"`);
    const s = value === null ? '' : String(value);
    out += escape && !part.raw ? escapeHtml(s) : s;
  }
  return out;
}

/**
 * MJML indents its output for people to read; a quarter of each email is that indentation, sent,
 * stored in the outbox and logged with every message. A line break with the spaces around it is
 * one line break: the same whitespace to an HTML renderer (no template uses <pre> or a
 * white-space style), and the MSO conditional comments keep their lines.
 */
function withoutIndentation(html: string): string {
  return html.replace(/[ \t]*\n\s*/g, '\n');
}

export class TemplateSet {
  private constructor(private readonly compiled: Map<string, Compiled>) {}

  static async load(dir = TEMPLATES_DIR): Promise<TemplateSet> {
    const layout = await readFile(path.join(dir, 'layout.mjml'), 'utf8');
    const names = (await readdir(dir)).filter((f) => f.endsWith('.mjml') && f !== 'layout.mjml').map((f) => f.slice(0, -5));
    const compiled = new Map<string, Compiled>();
    for (const name of names.sort()) {
      const fragment = await readFile(path.join(dir, `${name}.mjml`), 'utf8');
      const textSource = await readFile(path.join(dir, `${name}.txt`), 'utf8').catch(() => {
        throw new Error(`Template ${name}: templates/${name}.txt (plain-text version) is missing`);
      });
      const subjectMatch = /^Subject:\s*(.+)\r?\n\r?\n?/.exec(textSource);
      if (!subjectMatch) throw new Error(`Template ${name}: ${name}.txt must start with a "Subject: …" line`);
      const result = await mjml2html(layout.replace('<!-- content -->', fragment), { validationLevel: 'strict' });
      if (result.errors.length > 0) {
        throw new Error(`Template ${name}: ${result.errors.map((e) => e.formattedMessage).join('; ')}`);
      }
      compiled.set(name, {
        subject: splitParts(subjectMatch[1]!.trim()),
        html: splitParts(withoutIndentation(result.html)),
        text: splitParts(textSource.slice(subjectMatch[0].length)),
      });
    }
    return new TemplateSet(compiled);
  }

  has(name: string): boolean {
    return this.compiled.has(name);
  }

  render(name: string, vars: TemplateVars): RenderedEmail {
    const t = this.compiled.get(name);
    if (!t) throw new Error(`Unknown email template "${name}"`);
    return {
      // Subjects are header text, never HTML: no escaping, but no line breaks either.
      subject: fill(t.subject, vars, false, name).replace(/[\r\n]+/g, ' '),
      html: fill(t.html, vars, true, name),
      text: fill(t.text, vars, false, name),
    };
  }
}
