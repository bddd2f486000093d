// The stable vocabulary every part of maillage shares: project categories and roles.
// Slugs are stored and exchanged; French labels are what people read.

export const CATEGORIES = [
  'eco-lieu',
  'habitat-partage',
  'fablab',
  'reparation',
  'ferme',
  'achat-foncier',
  'eco-construction',
  'formation',
  'tiers-lieu',
  'alimentation',
  'energie',
  'mobilite',
  'reemploi',
  'education',
  'culture',
  'biodiversite',
  'finance-solidaire',
] as const;

export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_LABELS: Record<Category, string> = {
  'eco-lieu': 'éco-lieu',
  'habitat-partage': 'habitat partagé',
  fablab: 'fablab',
  reparation: 'atelier de réparation (repair café, atelier vélo)',
  ferme: 'ferme coopérative, maraîchage, agriculture',
  'achat-foncier': 'achat collectif (village, terrain, bâtiment)',
  'eco-construction': 'éco-construction, éco-rénovation',
  formation: 'formation',
  'tiers-lieu': 'tiers-lieu',
  alimentation: 'alimentation (AMAP, épicerie coopérative, jardin partagé)',
  energie: 'énergie citoyenne',
  mobilite: 'mobilité',
  reemploi: 'réemploi, zéro déchet',
  education: 'éducation',
  culture: 'culture',
  biodiversite: 'biodiversité',
  'finance-solidaire': 'finance solidaire',
};

/** Short labels, for tables, badges and one-line summaries. */
export const CATEGORY_SHORT_LABELS: Record<Category, string> = {
  'eco-lieu': 'éco-lieu',
  'habitat-partage': 'habitat partagé',
  fablab: 'fablab',
  reparation: 'réparation',
  ferme: 'ferme, agriculture',
  'achat-foncier': 'achat collectif',
  'eco-construction': 'éco-construction',
  formation: 'formation',
  'tiers-lieu': 'tiers-lieu',
  alimentation: 'alimentation',
  energie: 'énergie',
  mobilite: 'mobilité',
  reemploi: 'réemploi',
  education: 'éducation',
  culture: 'culture',
  biodiversite: 'biodiversité',
  'finance-solidaire': 'finance solidaire',
};

export const ROLES = ['porteur', 'rejoindre', 'ressource'] as const;
export type Role = (typeof ROLES)[number];

/** How a role reads in a sentence about someone ("Paul porte un projet…"). */
export const ROLE_LABELS: Record<Role, string> = {
  porteur: 'porte un projet et cherche des personnes pour le rejoindre',
  rejoindre: 'souhaite rejoindre ou aider un projet',
  ressource: 'propose ses compétences ou celles de sa structure',
};

/** How a role reads when we tell people what we understood ("Vous portez un projet…"). */
export const ROLE_YOU: Record<Role, string> = {
  porteur: 'Vous portez un projet et cherchez des personnes pour le rejoindre',
  rejoindre: 'Vous souhaitez rejoindre ou aider un projet',
  ressource: 'Vous proposez vos compétences ou celles de votre structure',
};

/** How a role reads on a form, in the first person. */
export const ROLE_CHOICES: Record<Role, string> = {
  porteur: 'Je porte un projet et je cherche des associé·es',
  rejoindre: 'Je souhaite rejoindre un projet',
  ressource: 'Je propose des compétences (professionnel·le, structure)',
};

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
