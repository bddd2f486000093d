// What the intake did with a message, in the console's French. The intake records its outcome
// in English (src/ingest/apply.ts, src/introductions/reply.ts: logs, `maillage ingest --wait`);
// the operator reads it here. An outcome without a rule is shown as recorded, never hidden.

type Rule = [RegExp, (m: RegExpExecArray) => string];

const RULES: Rule[] = [
  [/^ignored: automatic message$/, () => 'ignoré : message automatique (absence, réponse automatique)'],
  [/^ignored: our own message came back$/, () => 'ignoré : notre propre message, revenu'],
  [/^ignored: the sender failed authentication \((.*)\)$/, (m) => `ignoré : l’expéditeur n’a pas passé l’authentification (${m[1]}), aucune réponse envoyée`],
  [/^kept for the operator: a reply in the thread of an introduction email$/, () => 'pour vous : une réponse dans le fil d’une mise en relation'],
  [/^kept for the operator: no sender address to answer$/, () => 'pour vous : pas d’adresse d’expéditeur à qui répondre'],
  [/^kept for the operator: permanent bounce with no recognisable recipient$/, () => 'pour vous : rejet définitif sans destinataire reconnaissable'],
  [/^kept for the operator: the sender does not accept replies$/, () => 'pour vous : l’expéditeur n’accepte pas de réponse'],
  [/^kept for the operator: message too large \((\d+) bytes\), stored truncated(, sender told)?$/, (m) => `pour vous : message trop lourd (${Number(m[1]).toLocaleString('fr-FR')} octets), gardé tronqué${m[2] ? ', l’expéditeur prévenu' : ''}`],
  [/^kept for the operator: no registration at this address( \(already answered today\))?$/, (m) => `pour vous : aucune inscription à cette adresse${m[1] ? ' (déjà répondu aujourd’hui)' : ''}`],
  [/^kept for the operator: sent to (\d+)(\+?) recipients, not a reply to us$/, (m) => `pour vous : envoyé à ${m[1]}${m[2] ? ' ou plus' : ''} destinataires, pas une réponse à notre lettre`],
  [/^kept for the operator(, acknowledged)?$/, (m) => `pour vous${m[1] ? ', accusé de réception envoyé' : ''}`],
  [/^address already suppressed$/, () => 'adresse déjà bloquée'],
  [/^address suppressed: nothing more will be sent to it$/, () => 'adresse bloquée : plus rien ne lui sera envoyé'],
  [/^permanent bounce for an address nobody registered with$/, () => 'rejet définitif pour une adresse inconnue'],
  [/^temporary failure noted, nothing suppressed$/, () => 'échec temporaire noté, rien de bloqué'],
  [/^erasure link sent$/, () => 'lien d’effacement envoyé'],
  [/^référent erased \(name, address, territory\)$/, () => 'référent·e effacé·e (nom, adresse, territoire, e-mails échangés)'],
  [/^référent (already )?unsubscribed from the digest( \(PAUSE: référent·es have no pause\))?$/, (m) =>
    `référent·e ${m[1] ? 'déjà ' : ''}désinscrit·e du récapitulatif${m[2] ? ' (PAUSE : les référent·es n’ont pas de pause)' : ''}`],
  [/^unsubscribed$/, () => 'désinscrit·e'],
  [/^already unsubscribed$/, () => 'déjà désinscrit·e'],
  [/^paused until (\d{4})-(\d{2})-(\d{2})$/, (m) => `en pause jusqu’au ${m[3]}/${m[2]}/${m[1]}`],
  [/^registered and active \(authenticated sender\)$/, () => 'inscrit·e et actif·ve (expéditeur authentifié)'],
  [/^registered, waiting for confirmation by link$/, () => 'inscrit·e, en attente de confirmation par lien'],
  [/^registration completed and active \(authenticated sender\)$/, () => 'inscription complétée et active (expéditeur authentifié)'],
  [/^registration updated, waiting for confirmation by link$/, () => 'inscription mise à jour, en attente de confirmation par lien'],
  [/^profile updated \(authenticated sender\)$/, () => 'fiche mise à jour (expéditeur authentifié)'],
  [/^profile update waiting for confirmation by link$/, () => 'mise à jour de la fiche en attente de confirmation par lien'],
  [/^answer-accepted$/, () => 'réponse à une mise en relation : oui'],
  [/^answer-declined$/, () => 'réponse à une mise en relation : non merci'],
  [/^answer-unchanged$/, () => 'réponse déjà reçue, rien de changé'],
  [/^meeting-sent$/, () => 'oui des deux côtés : e-mail de mise en relation envoyé'],
  [/^too-late$/, () => 'réponse trop tardive : la proposition était close'],
  [/^already-met$/, () => 'déjà mis en relation'],
  [/^not-understood$/, () => 'réponse non comprise : les boutons lui ont été renvoyés ; à regarder'],
  [/^unknown-introduction$/, () => 'pour vous : réponse à une mise en relation introuvable'],
];

export function outcomeInFrench(outcome: string): string {
  for (const [pattern, say] of RULES) {
    const m = pattern.exec(outcome);
    if (m) return say(m);
  }
  return outcome;
}
