// What kind of message is this? Decided in a fixed order, because the cost of each mistake
// differs: answering our own mail loops forever, answering a bounce or an out-of-office spams
// a robot, and taking "STOP" for a registration ignores someone who wants out. So the machine
// kinds are recognised first, then the commands, then replies to introductions, and only then
// is the text read as a project (registration) or kept for the operator (other).
import type { ParsedMessage } from './parse.js';
import { trimReply, type TrimResult } from './trim.js';
import { foldText, detectCategories, scoreRoles, PROJECT_WORDS_RE } from './lexicon.js';
import { ownWordsFolded } from './extract.js';

export type MessageKind = 'registration' | 'auto_reply' | 'bounce' | 'command' | 'intro_reply' | 'loop' | 'other';
export type Command = 'stop' | 'pause' | 'erase';

export interface BounceInfo {
  /** The address that could not be reached (Final-Recipient, or read from the bounce text). */
  recipient: string | null;
  /** 5.x.x (or a failure with no code): stop writing to it. 4.x.x / "delayed": try again later. */
  permanent: boolean;
  /** Enhanced status code ("5.1.1") or bare SMTP code ("550") when one was found. */
  status: string | null;
  /** The VERP tag when the bounce came to bounce+<tag>@…: identifies what we sent. */
  tag?: string;
}

export interface Classification {
  kind: MessageKind;
  /** Short English text saying why. */
  reason: string;
  command?: Command;
  bounce?: BounceInfo;
  /** For intro_reply: the plus-tag of the address it was sent to, e.g. "r-AbC123" (prefix included). */
  replyTag?: string;
  /** For intro_reply: "oui" / "non" read from the first words, null when unclear. */
  answer?: 'accept' | 'decline' | null;
}

export interface ClassifyContext {
  /** Addresses we send from or receive at (From, Reply-To, inscription@…), any case. */
  ourAddresses: string[];
  /** Domain of the Message-IDs we generate ("maillage.org" for <…@maillage.org>). */
  ourMessageIdDomain: string;
  /** Plus-tag prefix of per-introduction reply addresses; default "r-". */
  replyTagPrefix?: string;
}

/** Classifies one parsed message. Pass `trimmed` when you already have it, to trim once. */
export function classifyMessage(msg: ParsedMessage, ctx: ClassifyContext, trimmed?: TrimResult): Classification {
  const ours = new Set(ctx.ourAddresses.map((a) => a.trim().toLowerCase()).filter(Boolean));
  const ourDomains = new Set([...ours].map((a) => a.split('@')[1] ?? '').filter(Boolean));
  const from = msg.from?.address ?? '';

  // 1. Our own outbound coming back (a misrouted copy, a forwarder, a list expanding to us).
  const loop = loopReason(msg, from, ours, ctx.ourMessageIdDomain);
  if (loop) return { kind: 'loop', reason: loop };

  // 2. Bounces.
  const bounce = bounceOf(msg, from, ours);
  if (bounce) return bounce;

  const trim = trimmed ?? trimReply(msg.text);
  // extractProfile reads the same own words next: ownWordsFolded keeps them for it.
  const { folded } = ownWordsFolded(trim.body);

  // 3. Auto-replies: headers first (RFC 3834 and the vendors' own), then subject, then body.
  const auto = autoReplyReason(msg, folded);
  if (auto) return { kind: 'auto_reply', reason: auto };

  // 4. Commands: only when the message is essentially the command.
  const command = commandOf(folded, foldText(stripReplyPrefixes(msg.subject)));
  if (command) return { kind: 'command', command: command.command, reason: command.reason };

  // 5. Replies to an introduction, through the per-introduction reply address.
  const tagged = replyTagOf(msg, ctx.replyTagPrefix ?? 'r-', ourDomains);
  if (tagged) {
    return { kind: 'intro_reply', replyTag: tagged.tag, answer: introAnswer(folded), reason: `sent to the introduction reply address ${tagged.address}` };
  }

  // 6. A project (or the wish to join one), or anything else for the operator.
  return projectOrOther(folded);
}

// ---------------------------------------------------------------------------------------------

function loopReason(msg: ParsedMessage, from: string, ours: Set<string>, idDomain: string): string | null {
  if (from && (ours.has(from) || ours.has(withoutPlusTag(from)))) return `From is our own address ${from}`;
  if (msg.headers['x-maillage-id'] !== undefined) return 'carries our X-Maillage-Id header';
  const domain = idDomain.trim().toLowerCase();
  // Our own MTA may stamp its bounces with our domain: those are bounces, not loops.
  const machine = msg.isMultipartReport || DAEMON_RE.test(from);
  if (domain && !machine && msg.messageId && msg.messageId.toLowerCase().replace(/>$/, '').endsWith(`@${domain}`)) {
    return `Message-ID is one of ours (@${domain})`;
  }
  return null;
}

const DAEMON_RE = /^(?:mailer-daemon|mailerdaemon|mail-daemon|postmaster|mail\.?delivery(?:\.?system)?|maildelivery|bounces?|returned-mail|nobody)@/i;
const BOUNCE_SUBJECT_RE =
  /undeliver|undelivered|not delivered|delivery status notification|delivery (?:failure|failed|has failed|incomplete|notification|problem)|returned mail|mail delivery (?:failed|failure|system|subsystem)|failure notice|could not (?:be )?deliver|non remis|non distribu|echec de (?:la )?(?:remise|distribution|livraison)|impossible de (?:remettre|distribuer|delivrer)|message non (?:delivre|remis|distribue)|retour (?:en erreur|de message)|notification d'etat de (?:la )?remise|rapport de non-remise|delivery delayed|delayed mail|message delayed|remise differee|warning: (?:could not send|message .* delayed)|mail system error/;
const BOUNCE_BODY_RE =
  /\b(?:[45]\.\d{1,3}\.\d{1,3}|5\d\d|4\d\d)\b[^\n]{0,200}|user unknown|unknown user|no such user|does not exist|mailbox (?:unavailable|full|not found)|address rejected|recipient address rejected|n'existe pas|adresse (?:inconnue|introuvable|invalide)|boite (?:pleine|aux lettres pleine)|quota exceeded|could not be delivered|not (?:yet )?been delivered|will (?:be )?retr(?:y|ied)|n'a pas (?:pu|encore) etre (?:remis|distribue|delivre)/i;
const TEMPORARY_RE = /\bdelay(?:ed)?\b|will (?:be )?retr(?:y|ied)|still trying|retard|n'a pas encore ete (?:remis|distribue)|nouvel essai|nouvelle tentative|temporar|try again later|mailbox full|boite (?:aux lettres )?pleine|quota/i;

function bounceOf(msg: ParsedMessage, from: string, ours: Set<string>): Classification | null {
  const verp = [...msg.to, ...msg.deliveredTo, ...msg.cc].map((a) => /^bounces?\+([^@]+)@/i.exec(a)).find((m) => m !== null);
  const verpTag = verp ? verp[1]! : undefined;
  const foldedSubject = foldText(msg.subject);

  if (msg.isMultipartReport && msg.reportType === 'delivery-status') {
    const dsn = readDsn(msg.text);
    if (dsn.action && /^(?:delivered|relayed|expanded)$/.test(dsn.action) && !dsn.failed) {
      return { kind: 'auto_reply', reason: `delivery report with Action: ${dsn.action} (not a failure)` };
    }
    const permanent = dsn.status ? dsn.status.startsWith('5') : dsn.action !== 'delayed';
    return {
      kind: 'bounce',
      reason: `delivery status notification${dsn.status ? `, Status ${dsn.status}` : ''}${dsn.action ? `, Action ${dsn.action}` : ''}`,
      bounce: { recipient: dsn.recipient, permanent, status: dsn.status, ...(verpTag ? { tag: verpTag } : {}) },
    };
  }

  const fromDaemon = DAEMON_RE.test(from) && !ours.has(from);
  const subjectSaysBounce = BOUNCE_SUBJECT_RE.test(foldedSubject);
  // Only read the body when the sender or the subject already smell of a bounce: most mail is not.
  const bodySaysBounce = (fromDaemon || subjectSaysBounce) && BOUNCE_BODY_RE.test(foldText(msg.text.slice(0, 20_000)));
  if (verpTag || (fromDaemon && (subjectSaysBounce || bodySaysBounce)) || (subjectSaysBounce && bodySaysBounce)) {
    const text = msg.text.slice(0, 20_000);
    const dsn = readDsn(text);
    const status = dsn.status ?? classicStatus(text);
    const permanent = status ? status.startsWith('5') : !TEMPORARY_RE.test(`${foldedSubject}\n${foldText(text.slice(0, 3000))}`);
    const recipient = dsn.recipient ?? classicRecipient(text, from, ours, msg.returnedHeaders);
    const why = verpTag ? `sent to our bounce address (VERP tag ${verpTag})` : fromDaemon ? `sent by ${from}` : 'bounce subject and text';
    return {
      kind: 'bounce',
      reason: `${why}${status ? `, status ${status}` : ''}`,
      bounce: { recipient, permanent, status, ...(verpTag ? { tag: verpTag } : {}) },
    };
  }
  return null;
}

interface DsnFields {
  status: string | null;
  action: string | null;
  recipient: string | null;
  failed: boolean;
}

/** Reads the per-recipient fields of a delivery-status part; the first failed recipient wins. */
function readDsn(text: string): DsnFields {
  const blocks = text.split(/\n\s*\n/);
  let best: DsnFields = { status: null, action: null, recipient: null, failed: false };
  for (const block of blocks) {
    const recipient = /^(?:Final|Original)-Recipient:\s*(?:rfc822\s*;)?\s*<?([^\s<>;]+@[^\s<>;]+)>?/im.exec(block)?.[1]?.toLowerCase() ?? null;
    const status = /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(block)?.[1] ?? null;
    const action = /^Action:\s*([a-z]+)/im.exec(block)?.[1]?.toLowerCase() ?? null;
    if (!recipient && !status && !action) continue;
    const failed = action === 'failed' || (status?.startsWith('5') ?? false);
    const current: DsnFields = { status, action, recipient, failed };
    if (!best.recipient && !best.status) best = current;
    else if (failed && !best.failed) best = current;
    else {
      best = { status: best.status ?? status, action: best.action ?? action, recipient: best.recipient ?? recipient, failed: best.failed || failed };
    }
    if (best.failed && best.recipient && best.status) break;
  }
  return best;
}

function classicStatus(text: string): string | null {
  const enhanced = /\b([45])\.(\d{1,3})\.(\d{1,3})\b/.exec(text);
  if (enhanced) return enhanced[0];
  const smtp = /\b([45]\d\d)[ -](?=[A-Za-z#<])/.exec(text);
  return smtp ? smtp[1]! : null;
}

function classicRecipient(text: string, from: string, ours: Set<string>, returnedHeaders: string | null): string | null {
  // Postfix: "<jean@example.org>: host mx… said: 550 …"; Exim: "  jean@example.org\n    host …".
  const postfix = /^\s*<([^\s<>]+@[^\s<>]+)>:/m.exec(text);
  if (postfix) return postfix[1]!.toLowerCase();
  const returnedTo = returnedHeaders ? /^To:\s*(?:[^<\n]*<)?([^\s<>,]+@[^\s<>,]+)/im.exec(returnedHeaders)?.[1] : undefined;
  if (returnedTo) return returnedTo.toLowerCase();
  for (const m of text.slice(0, 5000).matchAll(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g)) {
    const a = m[0].toLowerCase();
    if (a !== from && !ours.has(a) && !DAEMON_RE.test(a)) return a;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------

const AUTO_SUBJECT_RE =
  /^(?:(?:re|tr|fwd?|aw|wg)\s*:\s*)*\[?\s*(?:reponse automatique|reponse auto\b|auto(?:matic)?[- ]?(?:reply|response|antwort)|autoreply|auto:|out of (?:the )?office|ooo\b|absence|absente?\b|absents?\b|conges\b|en conges|message d'absence|hors du bureau|away from|vacances\b|je suis absente?|abwesenheit|risposta automatica|respuesta automatica|fermeture (?:estivale|annuelle)|indisponible)/;
const AUTO_SUBJECT_ANYWHERE_RE = /reponse automatique|automatic reply|auto-?reply|out of (?:the )?office|message d'absence|absence du bureau|je suis absente?\b/;
const AUTO_BODY_RE =
  /\b(?:je suis|nous sommes|je serai|nous serons|suis actuellement|sommes actuellement) (?:actuellement |en ce moment )?(?:absente?s?|en conges|en vacances|en deplacement|hors du bureau|en arret|indisponibles?)\b|\bje serai de retour\b|\bde retour (?:le|au bureau|a partir du|lundi|mardi|mercredi|jeudi|vendredi)\b|\b(?:je n'aurai|je n'ai|n'aurai) pas (?:acces|access)\b|\babsente? (?:du|jusqu'au|jusqu'a|a partir du)\b|\bout of (?:the )?office\b|\bi am (?:currently )?(?:away|out of)\b|\b(?:ceci est|this is) (?:un|une|an) (?:message|reponse|automatic|automated)\b|\bmessage automatique\b|\bnous avons bien recu votre (?:message|mail|courriel|demande)\b|\bvotre (?:message|mail|courriel) a bien ete (?:recu|transmis)\b|\baccuse de reception\b|\bnous (?:vous )?repondrons dans les (?:meilleurs|plus brefs) delais\b/;

function autoReplyReason(msg: ParsedMessage, folded: string): string | null {
  const h = msg.headers;
  const autoSubmitted = h['auto-submitted'];
  if (autoSubmitted !== undefined && !/^\s*no\b/i.test(autoSubmitted)) return `Auto-Submitted: ${autoSubmitted.split('\n')[0]}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-auto-reply', 'x-autogenerated', 'x-vacation']) {
    if (h[name] !== undefined && !/^\s*(?:no|false|0)\s*$/i.test(h[name]!)) return `${name} header present`;
  }
  const precedence = h['precedence'] ?? h['x-precedence'];
  if (precedence && /\b(?:bulk|junk|list|auto_reply)\b/i.test(precedence)) return `Precedence: ${precedence.split('\n')[0]}`;
  if (msg.isMultipartReport && msg.reportType === 'disposition-notification') return 'read receipt (disposition notification)';
  if (msg.headers['x-ms-exchange-generated-message-source'] !== undefined && /auto/i.test(msg.headers['x-ms-exchange-generated-message-source']!)) {
    return 'Exchange generated message';
  }

  const subject = foldText(msg.subject.trim());
  const roles = scoreRoles(folded, { folded: true });
  const projectish = roles.length > 0 && roles[0]!.score >= 3 && folded.length > 300;
  if ((AUTO_SUBJECT_RE.test(subject) || AUTO_SUBJECT_ANYWHERE_RE.test(subject)) && !projectish) return `auto-reply subject "${msg.subject.slice(0, 80)}"`;

  // A body that is plainly an out-of-office, with no project in it.
  if (folded.length < 1200 && AUTO_BODY_RE.test(folded) && !(roles[0] && roles[0].score >= 2)) {
    return 'out-of-office text with no project in it';
  }
  return null;
}

// ---------------------------------------------------------------------------------------------

const ERASE_RE = /\b(?:supprim\w*|suppression|effac\w*|rgpd|droit a l'oubli|oubliez[- ]moi|delete my)\b/;
const STOP_RE =
  /\b(?:stop|desinscri\w*|desinscription|desabonn\w*|unsubscribe|ne (?:\w+ )?(?:plus|pas) recevoir|ne plus etre contacte\w*|retire[rz]?[- ]moi|me retirer|ne m'envoye[rz] plus|arreter (?:les|vos|de recevoir)|plus de (?:mails?|messages|courriels))\b/;
const PAUSE_RE = /\b(?:pause|suspend\w*|mettre en veille|plus tard|pendant quelques (?:semaines|mois))\b/;
/** Polite filler around a command: what is left after removing it tells if there was more to say. */
const FILLER_RE =
  /\b(?:merci|svp|s'il vous plait|s'il te plait|cordialement|bonjour|bonsoir|bonne journee|belle journee|je|j'|vous|me|moi|m'|mes|mon|ma|les|des|de|du|la|le|l'|d'|et|a|au|aux|votre|vos|ce|cette|pour|de la|liste|donnees|donnees personnelles|personnelles|informations|compte|profil|inscription|mailing|bulletin|newsletter|mails?|messages?|courriels?|emails?|e-mails?|souhaite|voudrais|veux|veuillez|pouvez|pourriez|demande|merci de|bien|tout|toutes|mon adresse|adresse|contact|svp|plus|ne|pas|un|une|temps|moment|quelques|semaines|mois|recevoir|etre|faire)\b/g;

function commandOf(folded: string, subject: string): { command: Command; reason: string } | null {
  // Both ways below need at most 25 words of text; most messages are longer, so count first
  // (and stop counting at 26) before rewriting the whole text.
  if (wordCountUpTo(folded, 26) > 25) return null;
  const text = folded.replace(/[^\p{L}\p{N}' -]+/gu, ' ').replace(/\s+/g, ' ').trim();
  const words = text ? text.split(' ').length : 0;
  const pick = (t: string): Command | null => (ERASE_RE.test(t) ? 'erase' : STOP_RE.test(t) ? 'stop' : PAUSE_RE.test(t) ? 'pause' : null);

  const bodyCommand = pick(text);
  if (bodyCommand && words <= 25) {
    const leftover = text
      .replace(ERASE_RE, ' ')
      .replace(STOP_RE, ' ')
      .replace(PAUSE_RE, ' ')
      .replace(FILLER_RE, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    // A few words may remain ("de votre liste", a first name): more means they said something else.
    if (leftover.split(' ').filter((w) => w.length > 2).length <= 4) {
      return { command: bodyCommand, reason: `the message is the command "${text.slice(0, 60)}"` };
    }
  }
  const subjectText = subject.replace(/[^\p{L}\p{N}' -]+/gu, ' ').replace(/\s+/g, ' ').trim();
  const subjectCommand = subjectText.split(' ').length <= 5 ? pick(subjectText) : null;
  if (subjectCommand && words <= 12 && !PROJECT_WORDS_RE.test(text)) {
    return { command: subjectCommand, reason: `subject is the command "${subjectText}"` };
  }
  return null;
}

/** A word as commandOf counts them: a run of what its rewriting keeps, spaces aside. */
const COMMAND_WORD_RE = /[\p{L}\p{N}'-]+/gu;

/** The number of words commandOf would count in `folded`, or `limit` when there are at least that many. */
function wordCountUpTo(folded: string, limit: number): number {
  let n = 0;
  COMMAND_WORD_RE.lastIndex = 0;
  while (n < limit && COMMAND_WORD_RE.test(folded)) n++;
  return n;
}

/**
 * The plus-tag of a per-introduction reply address. Addresses on our domains are preferred, but
 * any domain is accepted: the apply step verifies the tag against the introductions it sent, and
 * a deployment whose settings name another domain (or none, as `maillage parse` may run) must
 * still see the reply.
 */
function replyTagOf(msg: ParsedMessage, prefix: string, ourDomains: Set<string>): { tag: string; address: string } | null {
  const p = prefix.toLowerCase();
  const found: { tag: string; address: string; ours: boolean }[] = [];
  for (const address of [...msg.deliveredTo, ...msg.to, ...msg.cc]) {
    const m = /^[^@+]+\+([^@]+)@(.+)$/.exec(address);
    if (!m) continue;
    const [, tag, domain] = m as unknown as [string, string, string];
    if (!tag.toLowerCase().startsWith(p) || tag.length <= p.length) continue;
    found.push({ tag, address, ours: ourDomains.has(domain.toLowerCase()) });
  }
  const best = found.find((f) => f.ours) ?? found[0];
  return best ? { tag: best.tag, address: best.address } : null;
}

const ACCEPT_RE = /^(?:oui|ok|okay|d'accord|daccord|avec plaisir|volontiers|yes|j'accepte|nous acceptons|j'accepte volontiers|partante?s?|carrement|bien sur|tres volontiers|ca marche|go)\b/;
const DECLINE_RE = /^(?:non|no|pas interesse\w*|je ne suis pas interesse\w*|je decline|pas pour moi|pas pour le moment|pas maintenant|je prefere (?:ne pas|decliner))\b/;

function introAnswer(folded: string): 'accept' | 'decline' | null {
  const first = folded.replace(/^[\s,.!-]+/, '');
  if (DECLINE_RE.test(first)) return 'decline';
  if (ACCEPT_RE.test(first)) return 'accept';
  return null;
}

function projectOrOther(folded: string): Classification {
  const words = folded.split(/\s+/).filter(Boolean).length;
  if (words === 0) return { kind: 'other', reason: 'no text of their own (empty reply or only a quote)' };
  const roles = scoreRoles(folded, { folded: true });
  const role = roles[0] && roles[0].score >= 2 ? roles[0] : null;
  const categories = detectCategories(folded, { folded: true });
  const questions = (folded.match(/\?/g) ?? []).length;

  if (role && words >= 6) {
    return { kind: 'registration', reason: `describes a project (${role.role}${categories.length ? `, ${categories.join(', ')}` : ''})` };
  }
  if (categories.length > 0 && words >= 15 && !(questions > 0 && words < 40)) {
    return { kind: 'registration', reason: `describes a project (${categories.join(', ')})` };
  }
  if (PROJECT_WORDS_RE.test(folded) && words >= 40 && questions <= 1) {
    return { kind: 'registration', reason: 'a long text about a project' };
  }
  if (questions > 0) return { kind: 'other', reason: 'a question, no project described' };
  return { kind: 'other', reason: 'no project or wish to join one recognised' };
}

function stripReplyPrefixes(subject: string): string {
  return subject.replace(/^(?:\s*(?:re|tr|fwd?|aw|wg|réf|ref)\s*(?:\[\d+\])?\s*:\s*)+/i, '').trim();
}

function withoutPlusTag(address: string): string {
  return address.replace(/\+[^@]*@/, '@');
}
