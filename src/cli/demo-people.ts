// The demo's fictional people: ~60 inhabitants of five départements, each describing, in their
// own words, a collective ecological project they carry or want to join. Addresses are built on
// exemple.org by the demo and never reach anyone (the demo refuses to run with SMTP_URL set).
import type { Category, Role } from '../vocabulary.js';

export interface DemoPerson {
  name: string;
  /** A commune and its postcode, as someone would type it on the form. */
  place: string;
  role: Role;
  categories: Category[];
  /** km, or null for "anywhere in France". */
  radiusKm: number | null;
  /** Agreed to be shown in the référents' digest. */
  visible: boolean;
  /** Slug of the partner network whose bulletin they answered. */
  network?: string;
  description: string;
}

export const DEMO_NETWORKS = [
  { slug: 'ecolieux-drome-ardeche', name: 'Réseau des éco-lieux Drôme-Ardèche' },
  { slug: 'repair-cafes-44', name: 'Repair cafés de Loire-Atlantique' },
  { slug: 'habitat-participatif-gironde', name: 'Habitat participatif Gironde' },
] as const;

export const DEMO_REFERENT = {
  email: 'camille.referente@exemple.org',
  name: 'Camille Roux',
  departements: ['26', '07'],
} as const;

export const DEMO_PEOPLE: DemoPerson[] = [
  // ---- Drôme et Ardèche ------------------------------------------------------------------------
  { name: 'Marie Dupont', place: 'Die 26150', role: 'porteur', categories: ['habitat-partage', 'eco-construction'], radiusKm: 50, visible: true, network: 'ecolieux-drome-ardeche',
    description: 'Avec quatre amis, nous montons un habitat partagé en paille et en bois près de Die. Le terrain est acheté, le permis est en cours. Nous cherchons encore deux ou trois foyers motivés par les chantiers participatifs et la vie en collectif, avec des enfants si possible.' },
  { name: 'Julien Morel', place: 'Crest 26400', role: 'rejoindre', categories: ['habitat-partage'], radiusKm: 50, visible: true,
    description: 'Menuisier, en couple avec deux enfants, nous voulons quitter la location pour un habitat partagé dans la vallée de la Drôme. Je peux donner beaucoup de temps sur les chantiers bois et paille. On rêve de jardins communs et de repas partagés.' },
  { name: 'Sophie Garnier', place: 'Saillans 26340', role: 'porteur', categories: ['tiers-lieu', 'alimentation'], radiusKm: 30, visible: true, network: 'ecolieux-drome-ardeche',
    description: 'Nous ouvrons un tiers-lieu dans une ancienne grange à Saillans : café associatif, épicerie coopérative en vrac, ateliers pour les enfants. Il nous manque des bénévoles pour le café et quelqu’un qui connaisse la gestion d’une épicerie coopérative.' },
  { name: 'Thomas Lefèvre', place: 'Valence 26000', role: 'ressource', categories: ['finance-solidaire', 'achat-foncier'], radiusKm: 100, visible: true,
    description: 'Accompagnateur en finance solidaire, j’aide les collectifs à monter le financement de leur projet : SCI, coopérative d’habitants, prêts solidaires, foncières citoyennes. Je peux relire un plan de financement ou animer une soirée sur l’achat collectif de terrain.' },
  { name: 'Léa Fontaine', place: 'Dieulefit 26220', role: 'porteur', categories: ['ferme', 'formation'], radiusKm: 50, visible: true, network: 'ecolieux-drome-ardeche',
    description: 'Je reprends une ferme de plantes aromatiques et médicinales près de Dieulefit et je voudrais la transformer en ferme collective, avec des stages de formation à la cueillette et à la distillation. Je cherche une ou deux associées paysannes.' },
  { name: 'Pierre Chauvin', place: 'Nyons 26110', role: 'rejoindre', categories: ['ferme', 'alimentation'], radiusKm: 50, visible: false,
    description: 'Ancien cadre en reconversion agricole, BPREA en poche. Je cherche une ferme collective en Drôme provençale pour m’installer à plusieurs : maraîchage, plantes aromatiques, transformation. Prêt à investir dans le foncier avec d’autres.' },
  { name: 'Camille Bertrand', place: 'Aubenas 07200', role: 'porteur', categories: ['reparation', 'reemploi'], radiusKm: 30, visible: true,
    description: 'Le repair café d’Aubenas cherche des bricoleuses et bricoleurs pour ses permanences du samedi : électroménager, vélos, couture. On voudrait aussi ouvrir une petite recyclerie. Aucun diplôme requis, juste l’envie de réparer ensemble.' },
  { name: 'Antoine Roussel', place: 'Privas 07000', role: 'rejoindre', categories: ['reparation', 'fablab'], radiusKm: 30, visible: true,
    description: 'Électronicien à la retraite, j’aimerais rejoindre un repair café ou un fablab près de Privas. Je sais réparer l’électroménager, les cartes électroniques, les vélos électriques, et j’aime transmettre.' },
  { name: 'Claire Vidal', place: 'Le Teil 07400', role: 'porteur', categories: ['energie'], radiusKm: 50, visible: true,
    description: 'Notre association veut créer une centrale solaire citoyenne sur les toits des écoles et de la salle des fêtes du Teil. Nous cherchons des habitants prêts à investir quelques parts et des personnes qui connaissent l’énergie citoyenne et les coopératives.' },
  { name: 'Nicolas Faure', place: 'Annonay 07100', role: 'ressource', categories: ['energie', 'eco-construction'], radiusKm: 100, visible: true,
    description: 'Ingénieur thermicien indépendant, je conseille les projets d’énergie citoyenne et de rénovation thermique : centrales solaires villageoises, chaufferies bois collectives. Je donne volontiers un coup de main bénévole aux associations.' },
  { name: 'Élodie Marchand', place: 'Largentière 07110', role: 'porteur', categories: ['eco-lieu', 'achat-foncier'], radiusKm: 100, visible: true, network: 'ecolieux-drome-ardeche',
    description: 'Nous sommes six et nous voulons acheter un hameau abandonné en Ardèche méridionale pour y créer un éco-lieu : habitat léger, jardins en terrasses, accueil de résidences d’artistes. Nous cherchons d’autres foyers pour l’achat collectif du hameau.' },
  { name: 'Hugo Perrin', place: 'Joyeuse 07260', role: 'rejoindre', categories: ['eco-lieu', 'culture'], radiusKm: 100, visible: true,
    description: 'Musicien et maraîcher à mi-temps, je cherche un éco-lieu en Ardèche où m’installer avec ma compagne. Nous aimerions participer à l’achat d’un hameau ou d’une ferme, et y organiser des concerts et des résidences d’artistes.' },
  { name: 'Manon Girard', place: 'Montélimar 26200', role: 'rejoindre', categories: ['alimentation', 'biodiversite'], radiusKm: 30, visible: true,
    description: 'Je voudrais m’engager dans un jardin partagé ou une AMAP près de Montélimar, et aider à planter des haies pour la biodiversité. Je suis disponible le week-end et j’ai un peu d’expérience en permaculture.' },
  { name: 'Lucas Blanc', place: 'Romans-sur-Isère 26100', role: 'porteur', categories: ['fablab', 'education'], radiusKm: 30, visible: true,
    description: 'Nous lançons un fablab associatif à Romans, avec imprimantes 3D, découpe laser et un atelier bois, ouvert aux collégiens le mercredi. Il nous manque des bénévoles pour l’animation et quelqu’un pour la découpe laser.' },
  { name: 'Inès Mercier', place: 'Valence 26000', role: 'rejoindre', categories: ['fablab', 'reparation'], radiusKm: 30, visible: false,
    description: 'Étudiante en design, j’aimerais rejoindre un fablab ou un repair café autour de Valence et Romans : impression 3D, découpe laser, réparation d’objets. J’ai du temps le mercredi et le samedi.' },
  { name: 'Gabriel Robin', place: 'Die 26150', role: 'rejoindre', categories: ['habitat-partage', 'eco-lieu'], radiusKm: 30, visible: true,
    description: 'Retraité, ancien instituteur, je cherche un habitat partagé intergénérationnel dans le Diois. Je peux aider au potager, à l’aide aux devoirs des enfants et à la vie collective. J’ai un apport pour participer à l’achat.' },
  { name: 'Chloé Lambert', place: 'Saillans 26340', role: 'rejoindre', categories: ['tiers-lieu', 'culture'], radiusKm: 30, visible: true,
    description: 'Comédienne, je m’installe à Saillans et j’aimerais rejoindre un tiers-lieu pour y animer des ateliers de théâtre et participer au café associatif. Je peux aussi tenir des permanences à l’épicerie.' },
  { name: 'Mathieu Bonnet', place: 'Tournon-sur-Rhône 07300', role: 'porteur', categories: ['mobilite'], radiusKm: 30, visible: true,
    description: 'Nous créons un atelier vélo solidaire à Tournon : réparation, vélos d’occasion remis en état, location de vélos cargos. Nous cherchons des mécaniciens bénévoles et des idées de financement.' },
  { name: 'Sarah Colin', place: 'Crest 26400', role: 'ressource', categories: ['eco-construction', 'formation'], radiusKm: 100, visible: true,
    description: 'Architecte spécialisée en éco-construction (paille, terre, bois), j’accompagne les habitats partagés de la conception au chantier participatif, et je forme les autoconstructeurs. Je cherche des collectifs à accompagner dans la Drôme.' },
  { name: 'Yann Leroy', place: 'Bourg-Saint-Andéol 07700', role: 'rejoindre', categories: ['energie', 'finance-solidaire'], radiusKm: 100, visible: false,
    description: 'Je voudrais placer mon épargne dans une centrale solaire citoyenne en Ardèche ou dans la Drôme, et donner un coup de main bénévole à une coopérative d’énergie.' },
  { name: 'Anaïs Giraud', place: 'Nyons 26110', role: 'porteur', categories: ['alimentation', 'ferme'], radiusKm: 50, visible: true,
    description: 'Nous voulons créer une épicerie coopérative à Nyons, approvisionnée par les fermes du coin : huile d’olive, fromages de chèvre, légumes bio. Nous cherchons des coopérateurs et des producteurs.' },
  { name: 'Romain Masson', place: 'Aubenas 07200', role: 'rejoindre', categories: ['reemploi', 'reparation'], radiusKm: 30, visible: true,
    description: 'Je veux m’investir dans une recyclerie ou un repair café autour d’Aubenas : tri, réparation, revente d’objets. Je suis couturier et je répare aussi les petits meubles.' },

  // ---- Isère -----------------------------------------------------------------------------------
  { name: 'Laura Dumas', place: 'Grenoble 38000', role: 'porteur', categories: ['habitat-partage'], radiusKm: 50, visible: true,
    description: 'Notre coopérative d’habitants construit un immeuble en bois de douze logements à Grenoble, avec buanderie, chambre d’amis et atelier partagés. Il reste trois logements : nous cherchons des foyers prêts à s’engager dans la vie coopérative.' },
  { name: 'Maxime Brun', place: 'Échirolles 38130', role: 'rejoindre', categories: ['habitat-partage'], radiusKm: 30, visible: true,
    description: 'Infirmière et enseignant, un enfant, nous cherchons une coopérative d’habitants ou un habitat partagé à Grenoble ou dans l’agglomération. Nous aimons l’idée d’une buanderie et d’un atelier partagés.' },
  { name: 'Pauline Renard', place: 'Mens 38710', role: 'porteur', categories: ['eco-lieu', 'ferme'], radiusKm: 100, visible: true,
    description: 'Dans le Trièves, nous faisons vivre un éco-lieu agricole : élevage de brebis, maraîchage, boulangerie au four à bois. Nous cherchons une ou deux personnes pour reprendre la boulangerie et rejoindre le collectif.' },
  { name: 'Alexandre Caron', place: 'Voiron 38500', role: 'rejoindre', categories: ['ferme', 'eco-lieu'], radiusKm: 100, visible: true,
    description: 'Boulanger au levain, je rêve de rejoindre une ferme collective ou un éco-lieu en Isère pour faire du pain au four à bois avec des céréales paysannes. Je cherche un collectif qui a déjà des terres.' },
  { name: 'Justine Meyer', place: 'Villard-de-Lans 38250', role: 'porteur', categories: ['education', 'biodiversite'], radiusKm: 50, visible: false,
    description: 'Éducatrice à l’environnement, je crée une école de la forêt dans le Vercors pour les enfants de 3 à 10 ans. Je cherche des parents et des animateurs nature pour lancer l’association.' },
  { name: 'Vincent Aubert', place: 'Grenoble 38000', role: 'ressource', categories: ['formation', 'tiers-lieu'], radiusKm: 100, visible: true,
    description: 'Formateur en gouvernance partagée et en facilitation, j’accompagne les collectifs d’habitat, les tiers-lieux et les éco-lieux dans leurs décisions et leurs conflits. Première rencontre gratuite.' },
  { name: 'Émilie Lacroix', place: 'Fontaine 38600', role: 'rejoindre', categories: ['education', 'biodiversite'], radiusKm: 50, visible: true,
    description: 'Animatrice nature et maman de deux enfants, je voudrais rejoindre un projet d’école dans la forêt ou d’éducation à l’environnement autour de Grenoble ou dans le Vercors.' },
  { name: 'Olivier Guillot', place: 'Saint-Marcellin 38160', role: 'porteur', categories: ['energie'], radiusKm: 50, visible: true,
    description: 'Nous montons une coopérative d’énergie citoyenne dans le Sud-Grésivaudan : centrale solaire sur un hangar agricole, puis un petit projet hydroélectrique. Nous cherchons des sociétaires et des bénévoles.' },
  { name: 'Céline Rolland', place: 'Vienne 38200', role: 'porteur', categories: ['reemploi'], radiusKm: 30, visible: true,
    description: 'Notre ressourcerie de Vienne collecte, trie et revend meubles, livres et vêtements. Nous cherchons des bénévoles pour la collecte et le tri, et une personne pour animer des ateliers zéro déchet.' },
  { name: 'Hélène Bouvier', place: 'Grenoble 38000', role: 'porteur', categories: ['fablab', 'reparation'], radiusKm: 30, visible: true,
    description: 'Notre fablab de quartier à Grenoble ouvre un repair café mensuel : réparation d’électroménager, de vélos et d’ordinateurs, impression 3D de pièces détachées. Nous cherchons des bénévoles bricoleurs.' },
  { name: 'Quentin Fabre', place: 'Meylan 38240', role: 'rejoindre', categories: ['fablab', 'reparation'], radiusKm: 30, visible: true,
    description: 'Ingénieur en mécanique, j’aimerais donner de mon temps dans un fablab ou un repair café grenoblois : impression 3D de pièces détachées, réparation de vélos et d’électroménager.' },

  // ---- Loire-Atlantique ------------------------------------------------------------------------
  { name: 'Jeanne Moulin', place: 'Nantes 44000', role: 'porteur', categories: ['reparation'], radiusKm: 30, visible: true, network: 'repair-cafes-44',
    description: 'Le repair café de Nantes Est cherche des bénévoles pour réparer petit électroménager, ordinateurs et vêtements, un samedi par mois. On accueille aussi les débutants : on apprend en réparant.' },
  { name: 'Bastien Leclerc', place: 'Rezé 44400', role: 'rejoindre', categories: ['reparation', 'reemploi'], radiusKm: 30, visible: true, network: 'repair-cafes-44',
    description: 'Technicien informatique, je voudrais donner un samedi par mois à un repair café de Nantes ou de Rezé pour réparer les ordinateurs et apprendre aux gens à les garder plus longtemps.' },
  { name: 'Agathe Hamon', place: 'Saint-Nazaire 44600', role: 'porteur', categories: ['reparation', 'mobilite'], radiusKm: 30, visible: true, network: 'repair-cafes-44',
    description: 'À Saint-Nazaire, nous voulons ouvrir un atelier vélo participatif à côté du repair café : réparation, récupération de vieux vélos, cours de mécanique. Nous cherchons des mécaniciennes et mécaniciens bénévoles.' },
  { name: 'Kevin Le Gall', place: 'Saint-Nazaire 44600', role: 'rejoindre', categories: ['mobilite', 'reparation'], radiusKm: 30, visible: false, network: 'repair-cafes-44',
    description: 'Mécanicien vélo de métier, je cherche un atelier vélo associatif à Saint-Nazaire pour transmettre la réparation de vélos et la récupération de vieux cadres.' },
  { name: 'Noémie Pichon', place: 'Clisson 44190', role: 'porteur', categories: ['ferme', 'achat-foncier'], radiusKm: 50, visible: true,
    description: 'Nous sommes trois maraîchères et nous voulons acheter à plusieurs une ferme de douze hectares près de Clisson, avec une foncière citoyenne. Nous cherchons une ou deux personnes pour l’élevage de volailles et le pain.' },
  { name: 'Florian Tessier', place: 'Vallet 44330', role: 'rejoindre', categories: ['ferme'], radiusKm: 50, visible: true,
    description: 'Éleveur de volailles en plein air, je cherche une ferme collective dans le vignoble nantais pour m’installer avec d’autres paysannes et paysans. J’ai un peu d’apport pour l’achat des terres.' },
  { name: 'Margaux Guérin', place: 'Nantes 44000', role: 'porteur', categories: ['tiers-lieu', 'culture'], radiusKm: 30, visible: true,
    description: 'Nous transformons une ancienne imprimerie de Nantes en tiers-lieu culturel : ateliers d’artistes, salle de concert, cantine végétarienne. Nous cherchons des associés pour la cantine et la programmation.' },
  { name: 'Arthur Barbier', place: 'Orvault 44700', role: 'rejoindre', categories: ['tiers-lieu', 'alimentation'], radiusKm: 30, visible: true,
    description: 'Cuisinier, je voudrais monter une cantine végétarienne et locale dans un tiers-lieu nantais, avec les produits des fermes du coin. Je cherche un lieu et un collectif.' },
  { name: 'Lucie Charpentier', place: 'Châteaubriant 44110', role: 'porteur', categories: ['habitat-partage', 'eco-lieu'], radiusKm: 100, visible: true,
    description: 'Nous rénovons une longère avec ses dépendances près de Châteaubriant pour y créer un habitat partagé : quatre logements, une salle commune, un grand potager. Il reste deux places pour des familles.' },
  { name: 'Damien Riviere', place: 'Ancenis-Saint-Géréon 44150', role: 'rejoindre', categories: ['habitat-partage'], radiusKm: 100, visible: true,
    description: 'Famille avec trois enfants, nous cherchons un habitat partagé à la campagne entre Nantes et Rennes, dans une longère ou une ferme à rénover ensemble. Nous aimons le jardinage et les chantiers.' },
  { name: 'Sandrine Poirier', place: 'Nantes 44000', role: 'ressource', categories: ['finance-solidaire', 'habitat-partage'], radiusKm: 100, visible: true,
    description: 'Juriste, j’accompagne bénévolement les habitats partagés et les coopératives d’habitants : statuts, SCI, coopérative, assurance. Je peux animer une soirée d’information pour votre collectif.' },
  { name: 'Paul Renaud', place: 'Pornic 44210', role: 'porteur', categories: ['biodiversite', 'education'], radiusKm: 50, visible: true,
    description: 'Notre association replante des haies bocagères et restaure des mares sur la côte de Jade. Nous cherchons des bénévoles pour les chantiers de plantation cet hiver et des animateurs pour les écoles.' },
  { name: 'Zoé Lemoine', place: 'Saint-Herblain 44800', role: 'rejoindre', categories: ['biodiversite', 'alimentation'], radiusKm: 50, visible: true,
    description: 'Je voudrais participer à des chantiers de plantation de haies et à un jardin partagé près de Nantes. Je suis disponible les week-ends et pendant les vacances scolaires.' },
  { name: 'Mehdi Benali', place: 'Nantes 44000', role: 'rejoindre', categories: ['energie', 'mobilite'], radiusKm: 30, visible: true,
    description: 'Je veux m’engager dans un projet d’énergie citoyenne ou d’autopartage à Nantes. Je suis ingénieur électricien et je peux aider sur la technique des panneaux solaires.' },

  // ---- Gironde ---------------------------------------------------------------------------------
  { name: 'Isabelle Fournier', place: 'Bordeaux 33000', role: 'porteur', categories: ['habitat-partage'], radiusKm: 30, visible: true, network: 'habitat-participatif-gironde',
    description: 'Notre habitat participatif de Bordeaux Bastide, huit logements autour d’un jardin et d’une salle commune, cherche une dernière famille. Chantier en 2027, gouvernance partagée, mixité des âges.' },
  { name: 'Sébastien Arnaud', place: 'Bègles 33130', role: 'rejoindre', categories: ['habitat-partage'], radiusKm: 30, visible: true, network: 'habitat-participatif-gironde',
    description: 'Couple avec un enfant, nous cherchons un habitat participatif à Bordeaux ou Bègles, avec un jardin et une salle commune. Nous sommes prêts à participer aux réunions de conception dès maintenant.' },
  { name: 'Nathalie Gauthier', place: 'Libourne 33500', role: 'porteur', categories: ['alimentation', 'ferme'], radiusKm: 50, visible: true,
    description: 'Nous lançons une AMAP et une épicerie coopérative à Libourne pour soutenir les maraîchers du Libournais. Nous cherchons des adhérents, des bénévoles pour les distributions et un producteur de pain.' },
  { name: 'Guillaume Dupuis', place: 'Saint-Émilion 33330', role: 'rejoindre', categories: ['ferme', 'alimentation'], radiusKm: 50, visible: true,
    description: 'Paysan boulanger, je cherche une AMAP ou une épicerie coopérative dans le Libournais pour vendre mon pain au levain, et peut-être une ferme collective où m’installer.' },
  { name: 'Aurélie Picard', place: 'Langon 33210', role: 'porteur', categories: ['eco-lieu', 'formation'], radiusKm: 100, visible: true,
    description: 'Dans le Sud-Gironde, nous créons un éco-lieu de formation à l’éco-construction et à la permaculture, dans un ancien domaine viticole. Nous cherchons des formateurs et des résidents permanents.' },
  { name: 'Cédric Lemaire', place: 'Bazas 33430', role: 'rejoindre', categories: ['eco-lieu', 'eco-construction'], radiusKm: 100, visible: false,
    description: 'Charpentier et formateur en éco-construction, je cherche un éco-lieu en Gironde ou dans les Landes où m’installer et transmettre les techniques de construction bois et paille.' },
  { name: 'Amandine Roger', place: 'Mérignac 33700', role: 'porteur', categories: ['reemploi', 'reparation'], radiusKm: 30, visible: true,
    description: 'Nous ouvrons une recyclerie à Mérignac avec un atelier de réparation d’électroménager et de couture. Nous cherchons des bénévoles pour la collecte et des réparateurs.' },
  { name: 'Thibault Noël', place: 'Pessac 33600', role: 'rejoindre', categories: ['reparation', 'fablab'], radiusKm: 30, visible: true,
    description: 'Étudiant en génie électrique, j’aimerais réparer de l’électroménager dans une recyclerie ou un repair café de l’agglomération bordelaise, et apprendre la couture au passage.' },
  { name: 'Océane Duval', place: 'Arcachon 33120', role: 'porteur', categories: ['biodiversite', 'culture'], radiusKm: 50, visible: true,
    description: 'Notre collectif organise des sciences participatives sur le bassin d’Arcachon : comptage des oiseaux, suivi des herbiers, ateliers dessin nature. Nous cherchons des naturalistes et des animateurs.' },
  { name: 'Benoît Huet', place: 'Bordeaux 33000', role: 'ressource', categories: ['formation', 'finance-solidaire'], radiusKm: null, visible: true,
    description: 'J’anime une coopérative d’activité qui accompagne les porteurs de projets collectifs : modèle économique, financement participatif, statuts coopératifs. Je travaille partout en France, à distance ou sur place.' },
  { name: 'Margot Carré', place: 'Talence 33400', role: 'rejoindre', categories: ['habitat-partage', 'eco-lieu'], radiusKm: 100, visible: true, network: 'habitat-participatif-gironde',
    description: 'Jeune retraitée, je cherche un habitat partagé intergénérationnel en Gironde, en ville ou à la campagne. J’aimerais un jardin commun et une vie collective simple.' },
  { name: 'Louis Besson', place: 'Blaye 33390', role: 'porteur', categories: ['energie'], radiusKm: 50, visible: true,
    description: 'Notre centrale solaire citoyenne du Blayais cherche de nouveaux sociétaires et un ou une bénévole pour suivre les installations sur les toits des écoles.' },
  { name: 'Elsa Marie', place: 'Bordeaux 33000', role: 'rejoindre', categories: ['energie', 'finance-solidaire'], radiusKm: 100, visible: true,
    description: 'Je souhaite investir dans une centrale solaire citoyenne en Gironde et donner quelques heures par mois à une coopérative d’énergie.' },
];
