// The registration form's fields and their validation, with French messages. Pure: the
// geocoder is passed in, so this is tested without a server.
import { CATEGORIES, isCategory, isRole, type Role } from '../vocabulary.js';
import type { RegistrationInput } from '../registration.js';

export const RADIUS_CHOICES: { value: string; label: string; km: number | null }[] = [
  { value: '10', label: 'jusqu’à 10 km', km: 10 },
  { value: '30', label: 'jusqu’à 30 km', km: 30 },
  { value: '50', label: 'jusqu’à 50 km', km: 50 },
  { value: '100', label: 'jusqu’à 100 km', km: 100 },
  { value: '300', label: 'jusqu’à 300 km', km: 300 },
  { value: 'partout', label: 'partout en France', km: null },
];

export const LIMITS = { name: 80, email: 254, place: 120, descriptionMin: 30, descriptionMax: 4000 } as const;

export interface FormValues {
  name: string;
  email: string;
  place: string;
  role: string;
  categories: string[];
  description: string;
  radius: string;
  consent: boolean;
  visibleToReferents: boolean;
  reseau: string;
}

export type FieldErrors = Partial<Record<keyof FormValues, string>>;

export type Geocoder = (text: string) => RegistrationInput['place'] | null;

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

function text(value: unknown): string {
  if (Array.isArray(value)) value = value[0];
  return typeof value === 'string' ? value : '';
}

/** Normalises whatever the browser (or a bot) posted into the form's values. */
export function readForm(body: Record<string, unknown>): FormValues {
  const cats = body.categories;
  const categories = (Array.isArray(cats) ? cats : cats === undefined ? [] : [cats]).map(text).filter(isCategory);
  return {
    name: text(body.name).replace(/\s+/g, ' ').trim(),
    email: text(body.email).trim().toLowerCase(),
    place: text(body.place).replace(/\s+/g, ' ').trim(),
    role: text(body.role),
    categories: [...new Set(categories)].slice(0, CATEGORIES.length),
    // Normalise line endings and strip control characters, keep the person's paragraphs.
    description: text(body.description).replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim(),
    radius: text(body.radius) || '50',
    consent: text(body.consent) === 'oui',
    visibleToReferents: text(body.visibleToReferents) === 'oui',
    reseau: text(body.reseau).trim().toLowerCase().slice(0, 63),
  };
}

export function validateForm(values: FormValues, geocode: Geocoder): { ok: true; input: RegistrationInput } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  if (values.name.length === 0) errors.name = 'Indiquez votre prénom (ou le nom de votre structure).';
  else if (values.name.length > LIMITS.name) errors.name = `Votre nom est trop long (${LIMITS.name} caractères au plus).`;
  else if (/[<>{}\\]|https?:/i.test(values.name)) errors.name = 'Votre nom ne peut contenir ni lien ni caractères < > { } \\.';

  if (values.email.length === 0) errors.email = 'Indiquez votre adresse e-mail : c’est par là que nous vous écrirons.';
  else if (values.email.length > LIMITS.email || !EMAIL.test(values.email)) errors.email = 'Cette adresse e-mail ne semble pas valide (exemple : prenom@exemple.fr).';

  let place: RegistrationInput['place'] | null = null;
  if (values.place.length === 0) errors.place = 'Indiquez votre commune ou votre code postal.';
  else if (values.place.length > LIMITS.place) errors.place = 'Indiquez seulement le nom de la commune ou le code postal.';
  else {
    place = geocode(values.place);
    if (!place) errors.place = `Nous ne trouvons pas « ${values.place} ». Essayez le nom exact de la commune ou son code postal (exemple : Die ou 26150).`;
  }

  if (!isRole(values.role)) errors.role = 'Dites-nous si vous portez un projet, souhaitez en rejoindre un ou proposez des compétences.';

  if (values.description.length < LIMITS.descriptionMin) {
    errors.description = `Décrivez votre projet ou ce que vous cherchez en quelques phrases (${LIMITS.descriptionMin} caractères au moins) : c’est ce qui nous permet de trouver les bonnes personnes.`;
  } else if (values.description.length > LIMITS.descriptionMax) {
    errors.description = `Votre description est trop longue (${values.description.length} caractères, ${LIMITS.descriptionMax} au plus). L’essentiel suffit : vous pourrez en dire plus aux personnes rencontrées.`;
  }

  const radius = RADIUS_CHOICES.find((r) => r.value === values.radius);
  if (!radius) errors.radius = 'Choisissez une distance dans la liste.';

  if (!values.consent) errors.consent = 'Pour vous proposer des rencontres, nous avons besoin de votre accord.';

  if (Object.keys(errors).length > 0 || !place || !radius) return { ok: false, errors };
  return {
    ok: true,
    input: {
      name: values.name,
      email: values.email,
      role: values.role as Role,
      categories: values.categories,
      description: values.description,
      place,
      radiusKm: radius.km,
      visibleToReferents: values.visibleToReferents,
      networkSlug: /^[a-z0-9][a-z0-9-]*$/.test(values.reseau) ? values.reseau : null,
    },
  };
}
