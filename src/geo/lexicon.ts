/**
 * Small word lists that keep ordinary French from being read as places. About 20,000 communes
 * have a one-word name and hundreds of those are also words ("Bois", "Port", "Sens", "Tours",
 * "Y", "Eu", "Son") or first names ("Marie", "Robert" via Le Robert). Only the words that are
 * also commune names matter; the lists are wider so that a data update does not need a review.
 * All entries are folded (lowercase, no accents), as produced by `foldWord`.
 */

const words = (s: string): Set<string> => new Set(s.split(/\s+/).filter(Boolean));

/**
 * Dictionary words: written lowercase they are never a place; capitalised mid-sentence they
 * usually are ("à Tours", "vers Orange"), so capitalisation still counts for them.
 */
export const COMMON_WORDS = words(`
  a au aux un une des les le la de du en et ou mais donc or ni car pas plus moins tres trop peu
  bien mal tout tous toute toutes rien son sa ses mon ma mes ton ta tes notre nos votre vos leur
  leurs ce cet cette ces qui que quoi dont y eu eus ai as avons avez ont suis es est sommes etes
  sont etait etais serez serons aurons soyons sois fait faire dit dire voir vu mis pris mise prise
  bois mont monts port ports plan plans mer mers bourg bourgs ville villes village villages ecole
  ecoles salle salles maison maisons moulin moulins fontaine fontaines champ champs mars avril mai
  juin juillet aout septembre octobre novembre decembre janvier fevrier lundi mardi mercredi jeudi
  vendredi samedi dimanche jardin jardins vert verte verts vertes bio montagne montagnes grand
  grande grands grandes bonne bonnes bon bons bar bars sens tours tour orange lac lacs val vals
  vallee vallees riviere rivieres source sources pont ponts puits foret forets pre pres prairie
  prairies colline collines rocher rochers roche roches pierres terre terres eau eaux feu air ciel
  soleil lune etoile vent pluie neige chateau chateaux eglise eglises chapelle chapelles abbaye
  croix calvaire cimetiere marche marches foire halle halles place places rue rues route routes
  chemin chemins passage gare gares quai quais canal canaux ile iles isle plage plages cote cotes
  rive rives berge ferme fermes grange granges bergerie etable four fours forge forges tuilerie
  verrerie scierie mine mines carriere carrieres usine usines atelier ateliers cave caves cellier
  chai chais grenier chene chenes hetre hetres pin pins sapin sapins orme ormes frene frenes saule
  saules aulne aulnes bouleau buis houx if ifs noyer noyers pommier poirier vigne vignes vergers
  verger olivier oliviers figuier genet genets bruyere lande landes fougere fougeres ronce ronces
  epine epines rose roses lys lis iris loup loups ours cerf biche biches renard lievre lapin cheval
  chevaux vache vaches boeuf taureau mouton moutons chevre chevres chien chat chatte coq poule oie
  oies canard aigle corbeau merle pie caille cailles grive pigeon blanc blanche blancs noir noire
  rouge rouges bleu bleue jaune gris grise brun brune roux rousse beau belle beaux belles bel joli
  jolie petit petite petits gros grosse haut haute hauts bas basse basses long longue court courte
  neuf neuve vieux vieille vieil nouveau nouvelle fort forte fin fine doux douce sec seche froid
  chaud clair claire sombre riche pauvre simple double triple sain sains saint sainte saints
  saintes franc francs franche libre libres vif vive vives sur sure pur pure plat plate rond ronde
  creuse creux profond large etroit bonjour merci salut cordialement amities bises oui non projet
  projets collectif habitat partage association cooperative groupe reseau lieu lieux tiers terrain
  batiment achat foncier construction formation culture energie mobilite education nature paysan
  agriculture potager elevage sol sols vie famille enfant enfants ami amis voisin voisins voisine
  voisines gens monde travail emploi mission nord sud est ouest centre midi levant couchant orient
  cher chere chers cheres lot lots temple union corps prince piano salon chaise table titre trait
  cause parent bonnet essai menu menus fille filles fils homme hommes femme femmes dame dames pere
  mere frere soeur comte comtes baron marquis duc moine moines cure cures armes guerre paix foi
  espoir charite amour joie plaisir soupir angoisse desert deserts change courant force forces
  passe passes poste postes garde gardes borne bornes cour cours coeur sel ble bles orge avoine
  seigle riz pain vin vins huile miel lait beurre dix cent mille deux trois quatre cinq six sept
  huit onze douze vingt trente premier premiere premieres second seconde ecluse digue bief gue
  gues marais etang etangs mare mares plaine plaines plateau plateaux causse causses col cols pic
  pics puy puys dome sommet crete gorge gorges vallon vallons combe combes baume balme grotte
  grottes moyen demie murs mure mures lasse gene male marin marine marines tombe long lent
  grave grasse gras joyeux joyeuse pieux precieux louches saillant blond frais
  louer paille chaux serre serres quartier chambre terrasse avion hopital fete
  vers chez pour avec sans sous dans entre depuis pendant avant apres contre selon parmi malgre
  hors loin ici reunion rencontre
  job bus vue mus his our by us lay eve don dry fry cry dye sore pray oz ore real bay peas corn
`);

/**
 * First names: capitalised anyway, so capitalisation says nothing, and "merci à Marie" has the
 * same shape as "à Saillans". They need a département, a postcode or a longer name to count.
 */
export const FIRST_NAMES = words(`
  marie pierre paul jean jacques louis michel andre philippe alain bernard patrick nicolas
  christophe francois laurent eric julien david thomas sebastien stephane frederic olivier vincent
  christian daniel pascal thierry antoine alexandre guillaume maxime romain mathieu matthieu benoit
  arnaud cedric jerome yann yves gilles serge claude gerard marcel roger robert henri rene georges
  joseph lucien emile raymond maurice jules leon victor hugo lucas leo louise emma jade alice lea
  manon chloe camille sarah julie anne sophie nathalie isabelle sylvie catherine christine valerie
  sandrine stephanie celine aurelie emilie laura pauline marion claire helene agnes martine monique
  francoise jeanne simone madeleine suzanne therese germaine odette yvonne denise colette genevieve
  lucie elise elodie margaux charlotte juliette ines clara zoe rose adele capucine lou noe gabriel
  raphael arthur adam martin simon benjamin mathis nathan enzo tom theo ethan baptiste clement
  quentin florian adrien damien fabien fabrice gregory jeremy jonathan kevin ludovic mickael morgan
  sylvain xavier bruno didier dominique francis herve joel lionel luc marc noel pascale regis
  roland sacha samuel thibault tristan valentin william yannick agathe amandine audrey berenice
  blandine carole cecile chantal clemence coralie delphine diane dorothee eloise estelle eve fanny
  florence gaelle geraldine heloise irene jacqueline josiane karine laetitia laure lise lola
  lucille maeva magali maud melanie mireille morgane muriel nadine noemie oceane ophelie patricia
  perrine rachel sabine solene solange sonia tiphaine vanessa veronique virginie yasmine yvette
  annie josette ginette paulette colin basile celestin felix leonard marius oscar timothee anatole
  augustin barnabe come eugene ferdinand gaspard hippolyte isidore leandre lazare octave ulysse
  valentine mathilde apolline garance michele danielle
`);

/**
 * Words just before a name that announce a place. Each entry is the folded token sequence that
 * must end right before the name. "à" folds to "a", which is also "has": in practice "il a
 * Saillans" is not a French sentence, so the collision costs nothing.
 */
const PLACE_PREPOSITIONS = ['de', 'd', 'du', 'des'];
const withPrepositions = (head: string): string[][] => PLACE_PREPOSITIONS.map((p) => [head, p]);

export const STRONG_CUES: string[][] = [
  ['a'],
  ['au'],
  ['aux'],
  ['vers'],
  ['sur'],
  ['entre'],
  ['habite'],
  ['habitons'],
  ['habitent'],
  ['habitez'],
  ['vis'],
  ['vit'],
  ['vivons'],
  ['commune'],
  ['ville'],
  ['localisation'],
  ['localite'],
  ['lieu', 'dit'],
  ...withPrepositions('pres'),
  ...withPrepositions('autour'),
  ...withPrepositions('region'),
  ...withPrepositions('cote'),
  ...withPrepositions('proche'),
  ...withPrepositions('environs'),
  ...withPrepositions('alentours'),
  ...withPrepositions('secteur'),
  ...withPrepositions('loin'),
  ...withPrepositions('coin'),
  ...withPrepositions('commune'),
  ...withPrepositions('ville'),
  ...withPrepositions('mairie'),
];

export const WEAK_CUES: string[][] = [['de'], ['d'], ['du'], ['des'], ['en'], ['dans'], ['depuis'], ['et']];

/** Contractions of "à/de + le/les": they license a name whose article was dropped ("au Havre"). */
export const ARTICLE_CONTRACTIONS = new Set(['au', 'aux', 'du', 'des']);

/**
 * Département names that are also ordinary words or commune names: they count as a département
 * only with an article or preposition ("dans le Nord", "en Somme", "du Cher") or a code.
 */
export const AMBIGUOUS_DEPARTEMENT_NAMES = words(`
  ain aisne allier aube aude cher correze creuse doubs eure gard gers indre isere jura landes loire
  lot manche marne mayenne meuse nord oise orne paris rhone sarthe savoie somme tarn var vaucluse
  vienne yonne
`);

/** Words that introduce a département rather than a commune: "dans la Vienne" is not "à Vienne". */
export const DEPARTEMENT_LEADS: string[][] = [
  ['dans', 'la'],
  ['dans', 'le'],
  ['dans', 'les'],
  ['dans', 'l'],
  ['en'],
  ['du'],
  ['des'],
  ['de', 'la'],
  ['de', 'l'],
  ['la'],
  ['le'],
  ['les'],
  ['l'],
];

/**
 * Regions and "pays" people name instead of a commune. Some are also communes (Bretagne in the
 * Territoire de Belfort, Roussillon, Champagne, Brie, Anjou…) and some contain a département
 * name ("Pays de la Loire"): a match here shadows both unless "à" or a département code says
 * otherwise.
 */
export const REGION_NAMES: string[] = `
  Bretagne|Normandie|Occitanie|Provence|Alsace|Auvergne|Bourgogne|Champagne|Lorraine|Picardie|
  Limousin|Aquitaine|Corse|Franche-Comté|Languedoc|Roussillon|Poitou|Charentes|Touraine|Anjou|
  Berry|Sologne|Vercors|Diois|Cévennes|Périgord|Quercy|Béarn|Pays basque|Camargue|Luberon|
  Beaujolais|Morvan|Bresse|Gascogne|Lauragais|Chartreuse|Trièves|Baronnies|Île-de-France|
  Grand Est|Hauts-de-France|Nouvelle-Aquitaine|Centre-Val de Loire|Val de Loire|Pays de la Loire|
  Bourgogne-Franche-Comté|Auvergne-Rhône-Alpes|Rhône-Alpes|Midi-Pyrénées|Languedoc-Roussillon|
  Provence-Alpes-Côte d'Azur|Côte d'Azur|Vexin|Beauce|Brie|Gâtinais|Forez|Velay|Vivarais|
  Cotentin|Pays d'Auge|Perche|Médoc|Armagnac|Bigorre|Comminges|Couserans|Cerdagne|Conflent|
  Minervois|Corbières|Aubrac|Margeride|Gévaudan|Causses|Ségala|Rouergue|Albigeois|Lomagne|
  Chalosse|Queyras|Champsaur|Dévoluy|Ubaye|Oisans|Belledonne|Bauges|Chablais|Bugey|Dombes|Alpes|
  Pyrénées|Massif central|Argonne|Sundgau|Flandre|Flandres|Artois|Boulonnais|Hainaut|Thiérache|
  Soissonnais|Tardenois|Puisaye|Gâtine|Marais poitevin|Saintonge|Angoumois|Aunis|Limagne|
  Livradois|Combrailles|Bourbonnais|Nivernais|Charolais|Brionnais|Mâconnais|Auxois|Bazois|
  Sancerrois|Champagne berrichonne|Brenne|Boischaut|Val de Drôme|Drôme provençale|
  Ardèche méridionale|Haut-Languedoc|Pays de Caux|Pays de Bray|Pays de Retz|Pays de Rennes|
  Pays de Brest|Côte d'Émeraude|Côte d'Opale|Côte Vermeille|Côte basque|Sud-Ouest|Nord-Est
`
  .split('|')
  .map((s) => s.trim())
  .filter(Boolean);

/** A place name right after these is part of an address line or a person's name. */
export const STREET_WORDS = words(`
  rue avenue av boulevard bd place pl chemin route rte impasse allee quai cours square faubourg
  fbg lotissement residence parc zone za zi
`);
export const TITLES = words(`m mme mlle monsieur madame mademoiselle dr docteur pr professeur`);
