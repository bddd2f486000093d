// Reply text → the person's own words. People answer the bulletin from every client there is,
// and each one marks the quoted bulletin differently; French clients in particular wrap Gmail's
// "Le …, X <x@y> a écrit :" over two or three lines, which email-reply-parser 2.3.7 misses. So
// the French (and English) markers are recognised here line by line, and email-reply-parser is
// only asked about replies where none of ours matched (it knows German, Polish, Japanese…).
import EmailReplyParser from 'email-reply-parser';

export interface TrimResult {
  /** What the person wrote, quote and signature removed; '' when nothing is left. */
  body: string;
  /** Sign-off, name/phone/address block, mobile footer; null when none was found. */
  signature: string | null;
  /** The quoted or forwarded text, null when there was none. */
  quoted: string | null;
  /** True when the quoted part is a forwarded message (the person's text is above it). */
  forwarded: boolean;
  /** Which rules fired, for debugging and the trim benchmark ("gmail-attribution", "sign-off"…). */
  markers: string[];
}

// ---------------------------------------------------------------------------------------------
// Markers. All regexes run on one line at a time, already stripped of leading spaces, "*" (bold
// from HTML conversion) and invisible characters.

/** Separator lines introducing an original or forwarded message. */
const SEPARATOR_RE =
  /^[-_=~*\s]*(?:mail original|mail d'origine|message d'origine|message original|original message|message initial|message transféré|message transfere|message transmis|forwarded message|message réexpédié|début du message réexpédié|début du message transféré|begin forwarded message|weitergeleitete nachricht|ursprüngliche nachricht)[-_=~*\s:]*$/i;
const FORWARD_WORDS_RE = /transf[ée]r[ée]|transmis|forwarded|r[ée]exp[ée]di[ée]|weitergeleitet/i;
/** Yahoo puts the whole forwarded header on one line after its separator. */
const INLINE_SEPARATOR_RE = /^[-_=\s]{3,}(?:message transmis|message transféré|forwarded message|message d'origine|original message)[-_=\s]{3,}\S/i;

/** Start of an attribution line: "Le …", "On …", "- Le …", "Am …", "El …". */
const ATTRIBUTION_START_RE = /^(?:-\s*)?(?:le|on|el|il|am|em|op|den|dnia|w dniu|in data)\s/i;
/** End of a complete attribution, after joining its wrapped lines. */
const ATTRIBUTION_END_RE = /(?:a\s+écrit|a\s+ecrit|écrit|wrote|escribió|ha scritto|schrieb|escreveu|schreef|skrev|napisał|pisze|kirjoitti)\s*:?\s*-*$/i;
/** "Marie Dupont <marie@x.fr> a écrit :" without a date (Thunderbird, some webmails). */
const NAME_ATTRIBUTION_RE = /^.{1,160}(?:@|&lt;|<|»|").{0,160}\s(?:a\s+écrit|a\s+ecrit|wrote)\s*:\s*$/i;
/** German, Dutch, Nordic clients put the verb before the name: "Am …, 12:46 schrieb "X" <x@y>:". */
const VERB_FIRST_ATTRIBUTION_RE = /\d.*\b(?:schrieb|schreef|skrev|kirjoitti|napisał|pisze|a écrit)\b.*:\s*$/i;
/**
 * Any language: a dated line with "<address>" that ends with a colon ("ср, 30 апр. 2025 г. в
 * 15:19, X <x@y>:", "Dne 28/10/2021 12:46, X <x@y> napsal(a):").
 */
const DATED_ADDRESS_ATTRIBUTION_RE = /\d{1,4}[/.:-]\d{1,2}.*<[^<>\s]+@[^<>\s]+>[^<>]{0,40}:\s*$/;
/** Orange / Wanadoo webmail: "Message du 12/09/24 10:15" (older versions: "Message du : …"). */
const ORANGE_HEADER_RE = /^message du\s*:?\s*\d{1,2}\/\d{1,2}\/\d{2,4}/i;
/** A header line in any language: a short label, a colon, a value ("Od:", "Lähettäjä:", "发件人:"). */
const GENERIC_HEADER_LINE_RE = /^[^\s:<>@][^:<>@]{0,30}?\s?[:：]\s*\S/u;
/** A rule or a "----- <words> -----" line that may stand above a header block. */
const RULE_LINE_RE = /^(?:[-_=~*]{3,}.*[-_=~*]{3,}|[-_=~*]{3,}|.{0,60}[-_=~*]{3,}\s*:?)\s*$/u;
/** Yahoo in other languages: separator and the whole header on one line. */
const GENERIC_INLINE_SEPARATOR_RE = /^\s*-{3,}\s*[^-\n]{3,60}?\s*-{3,}\s*\S.*<[^<>\s]+@[^<>\s]+>/u;

/** First line of an Outlook-style header block. */
const FROM_HEADER_RE = /^(?:de|from|von|da|van|exp[ée]diteur)\s*:\s*\S/i;
/** The other lines such a block has. */
const HEADER_FIELD_RE =
  /^(?:envoy[ée](?: le| par)?|sent|date|à|a|to|pour|objet|sujet|subject|cc|copie(?: à)?|répondre à|reply-to|betreff|an|gesendet|importance)\s*:/i;
const UNDERSCORE_RULE_RE = /^_{10,}\s*$/;

// Signatures.
const DASH_SEPARATOR_RE = /^(?:--|—|–|-{3,4}|_{2,4})\s*$/;
const MOBILE_FOOTER_RE =
  /^(?:gesendet von (?:outlook|meinem)|von meinem \S+ gesendet|inviato da|enviado desde|verzonden (?:vanaf|met)|verstuurd vanaf|skickat från|sendt fra|envoy[ée] (?:de|depuis|à partir de|a partir de) (?:mon|ma|l'|un|une|yahoo|outlook|courrier|mail)|envoy[ée] depuis\b|(?:obtenir|télécharger|telecharger) outlook pour|get outlook for|sent from my|sent from (?:outlook|yahoo|mail for)|envoyé avec\b|sent with\b|garanti sans virus|virus-free\.|ce (?:message|courriel|e-mail|mail) (?:et (?:toutes )?ses pièces jointes )?(?:(?:est|sont) (?:strictement )?(?:confidentiel|personnel|destiné|établi)|peu(?:t|vent) contenir|a été (?:vérifié|analysé|scanné))|(?:🌱|🌍|🌿)?\s*(?:pensez|merci de penser) (?:à|a) l'environnement|p\s?(?:pensez|think)\b)/i;
/** A line that is only a sign-off (possibly followed by a short name: "Belle journée, Marie"). */
const SIGN_OFF_RE =
  /^(?:(?:très |bien |tr[eè]s bien )?cordialement|cdlt|cdt|bien (?:à|a) (?:vous|toi|tous|toutes|vous tous)|bien amicalement|amicalement|amitiés|bien sinc[eè]rement|sinc[eè]rement|(?:sinc[eè]res |meilleures |mes )?salutations(?: (?:distinguées|cordiales|écologiques|militantes|solidaires))?|belle (?:journée|soirée|semaine|fin de journée|continuation)|bonne (?:journée|soirée|semaine|fin de journée|continuation)|(?:à|a) (?:bientôt|bientot|très vite|tres vite|plus)|au plaisir(?: de vous lire| d'échanger| de vous rencontrer)?|bises|bisous|chaleureusement|solidairement|écologiquement|ecologiquement|fraternellement|en vous remerciant(?: par avance| d'avance)?|(?:un grand )?merci(?: beaucoup| encore| d'avance| par avance| à vous| pour tout| pour votre (?:travail|initiative|bulletin))?|dans l'attente de (?:vous lire|votre réponse|votre retour)|best(?: regards| wishes)?|(?:kind |warm )?regards|cheers|thanks|thank you)(?:\s+(?:et|and|&)\s+[^,.!]{2,30})?\s*[,.!…:;)]*\s*(?:[,-]\s*[\p{L}][\p{L}' .-]{0,40})?\s*$/iu;
const PHONE_RE = /(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}\b/;
const URL_OR_EMAIL_RE = /(?:https?:\/\/|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.]+\b/i;
const STREET_RE = /\b\d{1,4}\s?(?:bis|ter)?,?\s(?:rue|avenue|av\.|bd|boulevard|chemin|route|impasse|allée|place|lieu-dit|ld|hameau|quai|cours)\b/i;
const POSTCODE_LINE_RE = /^\s*\d{5}\s+\p{Lu}/u;

const erp = new EmailReplyParser();
/** email-reply-parser took minutes on a 750 kB reply: above this, our own markers only. */
const ERP_MAX_CHARS = 20_000;

/** Removes quoted text and signatures from a reply; see TrimResult. Pure, never throws. */
export function trimReply(text: string): TrimResult {
  const markers: string[] = [];
  const lines = normalise(text).split('\n');

  let cut = findQuoteStart(lines, 0, markers);
  let bodyLines: string[];
  let quotedLines: string[] = [];
  let forwarded = false;

  if (cut) {
    forwarded = cut.forwarded;
    bodyLines = lines.slice(0, cut.index);
    quotedLines = lines.slice(cut.index);
    // Bottom-posting and inline answers: nothing above the attribution, and the quote is
    // marked with ">". The person's words are then the unquoted lines below it.
    if (!forwarded && isBlank(bodyLines.filter((l) => !isQuoteLine(l))) && cut.kind === 'attribution') {
      const after = lines.slice(cut.index + cut.length);
      const firstContent = after.find((l) => l.trim() !== '');
      if (firstContent !== undefined && isQuoteLine(firstContent)) {
        const own = after.filter((l) => !isQuoteLine(l));
        const next = findQuoteStart(own, 0, markers);
        const ownBody = next ? own.slice(0, next.index) : own;
        if (!isBlank(ownBody)) {
          markers.push('bottom-post');
          bodyLines = ownBody;
          quotedLines = [...lines.slice(cut.index, cut.index + cut.length), ...after.filter(isQuoteLine), ...(next ? own.slice(next.index) : [])];
        }
      }
    }
  } else {
    bodyLines = lines;
  }

  // Any ">" line left in the body is quoted material (inline quoting, or a quote with no header).
  const kept: string[] = [];
  for (const line of bodyLines) {
    if (isQuoteLine(line)) quotedLines.push(line);
    else kept.push(line);
  }
  if (kept.length !== bodyLines.length) markers.push('quote-lines');
  bodyLines = kept;

  // Other languages and rarer clients: ask email-reply-parser, but only when we found nothing.
  // Its parser reverses strings character by character and backtracks: quadratic on long text.
  if (!cut && markers.length === 0 && bodyLines.length > 3 && text.length <= ERP_MAX_CHARS) {
    const fallback = erpCut(bodyLines.join('\n'));
    if (fallback) {
      markers.push('email-reply-parser');
      bodyLines = fallback.body.split('\n');
      quotedLines = fallback.quoted.split('\n');
    }
  }

  const sig = splitSignature(bodyLines, markers);
  const body = tidy(sig.body.join('\n'));
  const signature = sig.signature.length ? tidy(sig.signature.join('\n')) || null : null;
  const quoted = tidy(quotedLines.join('\n')) || null;
  return { body, signature, quoted, forwarded, markers };
}

interface QuoteStart {
  index: number;
  /** Lines the header itself takes (attribution wrapped over several lines). */
  length: number;
  kind: 'attribution' | 'separator' | 'header-block' | 'quote';
  forwarded: boolean;
}

/** Finds the first line where quoted or forwarded material starts. */
function findQuoteStart(lines: string[], from: number, markers: string[]): QuoteStart | null {
  for (let i = from; i < lines.length; i++) {
    const raw = lines[i]!;
    // Headers are recognised inside a ">" quote too (Orange quotes its own "Message du" line).
    const line = clean(unquote(raw));
    if (line === '') continue;

    if (SEPARATOR_RE.test(line) || INLINE_SEPARATOR_RE.test(line)) {
      const forwarded = FORWARD_WORDS_RE.test(line);
      markers.push(forwarded ? 'forward-separator' : 'original-separator');
      return { index: i, length: 1, kind: 'separator', forwarded };
    }

    if (ATTRIBUTION_START_RE.test(line) && line.length < 400) {
      // Gmail and Apple Mail wrap a long attribution over up to three lines.
      let joined = line;
      for (let k = 0; k < 4 && i + k < lines.length; k++) {
        if (k > 0) {
          const next = clean(unquote(lines[i + k]!));
          if (next === '' || isQuoteLine(lines[i + k]!) !== isQuoteLine(raw)) break;
          joined += ` ${next}`;
        }
        if (ATTRIBUTION_END_RE.test(joined) && /\d|@/.test(joined) && joined.length < 500) {
          markers.push(k > 0 ? `attribution-wrapped-${k + 1}` : 'attribution');
          return { index: i, length: k + 1, kind: 'attribution', forwarded: false };
        }
      }
    }

    if ((VERB_FIRST_ATTRIBUTION_RE.test(line) || DATED_ADDRESS_ATTRIBUTION_RE.test(line)) && line.length < 400) {
      markers.push('attribution');
      return { index: i, length: 1, kind: 'attribution', forwarded: false };
    }
    // The same, wrapped: "Op 12 december 2016 19:05 schreef X <" / "x@y>:".
    if (i + 1 < lines.length && line.length < 300 && /\d/.test(line)) {
      const joined = `${line} ${clean(unquote(lines[i + 1]!))}`;
      if (VERB_FIRST_ATTRIBUTION_RE.test(joined) && /@/.test(joined) && !/[.!?]\s*$/.test(line)) {
        markers.push('attribution-wrapped-2');
        return { index: i, length: 2, kind: 'attribution', forwarded: false };
      }
    }

    if (GENERIC_INLINE_SEPARATOR_RE.test(line)) {
      markers.push('inline-separator');
      return { index: i, length: 1, kind: 'separator', forwarded: FORWARD_WORDS_RE.test(line) };
    }

    const block = genericHeaderBlock(lines, i);
    if (block !== null) {
      markers.push('generic-header-block');
      // Take the rule or "----- Přeposlaná zpráva -----" line above it along.
      let start = i;
      for (let k = i - 1; k >= 0 && k >= i - 3; k--) {
        const above = clean(unquote(lines[k]!));
        if (above === '') continue;
        if (RULE_LINE_RE.test(above)) start = k;
        break;
      }
      const forwarded = FORWARD_WORDS_RE.test(lines.slice(start, i + 1).join(' '));
      return { index: start, length: i - start + 1, kind: 'header-block', forwarded };
    }

    // The regex backtracks over the whole line; it can only match a line that ends with ":".
    if (line.trimEnd().endsWith(':') && NAME_ATTRIBUTION_RE.test(line)) {
      markers.push('attribution');
      return { index: i, length: 1, kind: 'attribution', forwarded: false };
    }

    if (ORANGE_HEADER_RE.test(line)) {
      markers.push('orange-header');
      return { index: i, length: 1, kind: 'header-block', forwarded: false };
    }

    if (FROM_HEADER_RE.test(line) || (UNDERSCORE_RULE_RE.test(line) && i + 1 < lines.length)) {
      const start = UNDERSCORE_RULE_RE.test(line) ? i + 1 : i;
      const fromLine = clean(unquote(lines[start] ?? ''));
      if (FROM_HEADER_RE.test(fromLine) || HEADER_FIELD_RE.test(fromLine)) {
        let fields = 0;
        for (let k = start + 1; k < Math.min(lines.length, start + 9); k++) {
          const l = clean(unquote(lines[k]!));
          if (l === '') {
            if (fields > 0) break;
            continue;
          }
          if (HEADER_FIELD_RE.test(l) || FROM_HEADER_RE.test(l)) fields++;
        }
        const fromHasAddress = /@|<|\[mailto:/.test(fromLine);
        if (fields >= 2 || (fields >= 1 && fromHasAddress) || (UNDERSCORE_RULE_RE.test(line) && fields >= 1)) {
          markers.push('header-block');
          const forwarded = /^(?:tr|fwd?|wg)\s*:/im.test(lines.slice(start, start + 9).join('\n'));
          return { index: i, length: 1, kind: 'header-block', forwarded };
        }
      }
    }

    // A block of ">" lines that runs to the end of the message, with nothing but blank or
    // quoted lines after it, is a quote even without a header.
    if (isQuoteLine(raw)) {
      let j = i;
      while (j < lines.length && (isQuoteLine(lines[j]!) || lines[j]!.trim() === '')) j++;
      if (j >= lines.length) {
        markers.push('trailing-quote');
        // Apple Mail quotes a forwarded message too: "> Début du message réexpédié :".
        const head = lines.slice(i, i + 4).map((l) => clean(unquote(l)));
        const forwarded = head.some((l) => SEPARATOR_RE.test(l) && FORWARD_WORDS_RE.test(l));
        return { index: i, length: 1, kind: 'quote', forwarded };
      }
    }
  }
  return null;
}

/**
 * A run of at least three "Label: value" lines starting at `i`, one with "<address>" and one
 * with a digit (the date): the header of a quoted or forwarded message in a language we do not
 * list. A person's own "Lieu : Die / Contact : marie@x.fr" has no "<address>", so it stays.
 */
function genericHeaderBlock(lines: string[], i: number): number | null {
  const first = clean(unquote(lines[i]!));
  if (!GENERIC_HEADER_LINE_RE.test(first)) return null;
  let n = 0;
  let address = false;
  let digit = false;
  for (let k = i; k < Math.min(lines.length, i + 8); k++) {
    const l = clean(unquote(lines[k]!));
    if (!GENERIC_HEADER_LINE_RE.test(l)) break;
    n++;
    if (/<[^<>\s]+@[^<>\s]+>/.test(l)) address = true;
    if (/\d/.test(l)) digit = true;
  }
  return n >= 3 && address && digit ? n : null;
}

/** Splits the signature (or sign-off block, or mobile footer) off the end of the body. */
function splitSignature(lines: string[], markers: string[]): { body: string[]; signature: string[] } {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  let body = lines.slice(0, end);
  const signature: string[] = [];
  const firstContent = body.findIndex((l) => l.trim() !== '');
  if (firstContent < 0) return { body: [], signature: [] };

  // 1. The "-- " convention, and its cousins.
  for (let i = firstContent + 1; i < body.length; i++) {
    if (DASH_SEPARATOR_RE.test(body[i]!) && body.length - i <= 20) {
      markers.push('dash-signature');
      signature.unshift(...body.slice(i));
      body = body.slice(0, i);
      break;
    }
  }

  // 2. Mobile and legal footers: the footer line and anything after it.
  for (let i = firstContent; i < body.length; i++) {
    if (MOBILE_FOOTER_RE.test(clean(body[i]!)) && body.length - i <= 15) {
      markers.push('footer');
      signature.unshift(...body.slice(i));
      body = body.slice(0, i);
      break;
    }
  }

  // 3. A sign-off line ("Cordialement,", "Belle journée") followed only by a short block.
  const windowStart = Math.max(firstContent + 1, body.length - 14);
  for (let i = windowStart; i < body.length; i++) {
    const line = clean(body[i]!);
    if (!SIGN_OFF_RE.test(line)) continue;
    const rest = body.slice(i + 1).filter((l) => l.trim() !== '');
    if (rest.length <= 10 && rest.every(looksLikeSignatureLine)) {
      markers.push('sign-off');
      // "Merci !" right above "Cordialement," belongs to the sign-off too.
      let start = i;
      while (start - 1 > firstContent && (body[start - 1]!.trim() === '' || SIGN_OFF_RE.test(clean(body[start - 1]!)))) start--;
      while (start < i && body[start]!.trim() === '') start++;
      signature.unshift(...body.slice(start));
      body = body.slice(0, start);
      break;
    }
  }

  // 4. No sign-off: a trailing contact block (name, structure, phone, address, site).
  if (!markers.includes('sign-off') && !markers.includes('dash-signature')) {
    const block = lastParagraph(body);
    if (block && block.start > firstContent) {
      const blockLines = body.slice(block.start, block.end).filter((l) => l.trim() !== '');
      const contact = blockLines.some((l) => PHONE_RE.test(l) || URL_OR_EMAIL_RE.test(l) || STREET_RE.test(l) || POSTCODE_LINE_RE.test(l));
      const nameOnly = blockLines.length === 1 && isNameLine(clean(blockLines[0]!));
      if ((contact && blockLines.length <= 7 && blockLines.every(looksLikeSignatureLine)) || nameOnly) {
        markers.push(nameOnly ? 'name-line' : 'contact-block');
        signature.unshift(...body.slice(block.start));
        body = body.slice(0, block.start);
      }
    }
  }
  // 5. A first name alone on the last line, right under the text ("…pour la rentrée.\nAurore").
  if (!markers.some((m) => m === 'sign-off' || m === 'dash-signature' || m === 'name-line' || m === 'contact-block')) {
    let last = body.length - 1;
    while (last > firstContent && body[last]!.trim() === '') last--;
    const line = clean(body[last] ?? '');
    const previous = clean(body[last - 1] ?? '');
    if (last > firstContent && isNameLine(line) && line.split(/\s+/).length <= 3 && (previous === '' || /[.!?…)]$/.test(previous))) {
      markers.push('name-line');
      signature.unshift(...body.slice(last));
      body = body.slice(0, last);
    }
  }
  return { body, signature };
}

function looksLikeSignatureLine(line: string): boolean {
  const l = clean(line);
  if (l.length > 90) return false;
  if (PHONE_RE.test(l) || URL_OR_EMAIL_RE.test(l) || STREET_RE.test(l) || POSTCODE_LINE_RE.test(l)) return true;
  if (MOBILE_FOOTER_RE.test(l) || SIGN_OFF_RE.test(l)) return true;
  // "Nous sommes trois", "On cherche deux foyers": someone talking, not a name or a title.
  if (/(?:^|\s)(?:je|j'|nous|on|il|elle|ils|elles|c'est|ce sont)(?:\s|$)/i.test(l)) return false;
  // A sentence (several words ending with a full stop or question) is prose, not a signature.
  const words = l.split(/\s+/).length;
  if (words > 9) return false;
  if (words > 5 && /[.?!]$/.test(l) && !/\b(?:asso|association|coop|scic|scop|sarl|sas)\b/i.test(l)) return false;
  return true;
}

const NAME_WORD = "\\p{Lu}[\\p{Ll}'’-]+|\\p{Lu}{2,}|\\p{Lu}\\.";
const NAME_LINE_RE = new RegExp(`^(?:${NAME_WORD})(?:[ -](?:${NAME_WORD}|de|du|le|la)){0,3}\\s*[.,!]?$`, 'u');

/** "Cordialement,", "Belle journée, Marie", "Envoyé de mon iPhone": a closing line, not content. */
export function isSignOffLine(line: string): boolean {
  const l = clean(line);
  return SIGN_OFF_RE.test(l) || MOBILE_FOOTER_RE.test(l);
}

/** "Marie", "Marie Dupont", "Jean-Luc D." — a line that is only a name. */
export function isNameLine(line: string): boolean {
  return line.length <= 40 && NAME_LINE_RE.test(line);
}

function lastParagraph(lines: string[]): { start: number; end: number } | null {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  if (end === 0) return null;
  let start = end;
  while (start > 0 && lines[start - 1]!.trim() !== '') start--;
  return start === 0 ? null : { start, end };
}

/** email-reply-parser as a second opinion: its first quoted fragment, if it found one. */
function erpCut(text: string): { body: string; quoted: string } | null {
  try {
    const fragments = erp.read(text).getFragments();
    const firstQuoted = fragments.findIndex((f) => f.isQuoted());
    if (firstQuoted <= 0) return null;
    const body = fragments
      .slice(0, firstQuoted)
      .filter((f) => !f.isSignature())
      .map((f) => f.getContent())
      .join('\n');
    if (!body.trim()) return null;
    return { body, quoted: fragments.slice(firstQuoted).map((f) => f.getContent()).join('\n') };
  } catch {
    return null;
  }
}

function normalise(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, '')
    .replace(/[\u00A0\u202F]/g, ' ');
}

/** Line content without indentation, bold markers or a leading dash bullet used by some webmails. */
function clean(line: string): string {
  return line.replace(/\*/g, '').trim();
}

function unquote(line: string): string {
  return line.replace(/^\s*(?:>\s?)+/, '');
}

function isQuoteLine(line: string): boolean {
  return /^\s*>/.test(line) || /^\s*\|(?:\s|$)/.test(line);
}

function isBlank(lines: string[]): boolean {
  return lines.every((l) => l.trim() === '');
}

function tidy(text: string): string {
  // Lines are only rewritten when one of them ends with a space (of any kind but the newline).
  // trimEnd removes exactly what /\s+$/ matches, without the regex's retries inside long runs of spaces.
  const lines = /[^\S\n](?=\n|$)/.test(text) ? text.split('\n').map((l) => l.trimEnd()).join('\n') : text;
  return lines
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
