"""French for a share of a generated catalogue: the words, their plurals, titles and links.

A French-described asset (``--french-share`` of the catalogue, 20 % in ``bench.search``) has
``language = 'fr'``, its stock words in French (``FRENCH``: the common head of the vocabulary;
the made-up long tail has no language and stays as it is), a title in French that often puts
its words in the plural ("Bateaux et phares"), and a French description. So the search engines
stem real French plurals and accents, and the French queries of the mix find them.
"""

from __future__ import annotations

import unicodedata

# Head words of bench.catalogue_words.HEAD_WORDS -> French (single words, as artists write them).
FRENCH = dict(
    pair.split(":")
    for pair in """
people:gens nature:nature outdoors:extérieur woman:femme lifestyle:quotidien man:homme
travel:voyage city:ville summer:été beautiful:beau happy:heureux background:arrière
landscape:paysage
portrait:portrait young:jeune adult:adulte sky:ciel water:eau food:nourriture business:entreprise
family:famille light:lumière colorful:coloré day:journée smiling:souriant green:vert blue:bleu
sunset:coucher winter:hiver beach:plage holiday:vacances natural:naturel children:enfants
fun:amusement tree:arbre autumn:automne architecture:architecture street:rue urban:urbain
vintage:ancien sea:mer sun:soleil together:ensemble friends:amis love:amour relaxation:détente
healthy:sain fresh:frais night:nuit black:noir white:blanc red:rouge house:maison home:foyer
view:vue flower:fleur forest:forêt mountain:montagne spring:printemps snow:neige child:enfant
girl:fille boy:garçon couple:couple vacation:congé work:travail technology:technologie
office:bureau computer:ordinateur laptop:portable phone:téléphone hand:main texture:texture
pattern:motif abstract:abstrait wood:bois old:vieux new:nouveau garden:jardin park:parc
river:rivière lake:lac ocean:océan wave:vague sand:sable rock:rocher stone:pierre road:route
car:voiture bicycle:vélo walking:marche running:course sport:sport fitness:forme yoga:yoga
dog:chien cat:chat animal:animal bird:oiseau horse:cheval farm:ferme field:champ grass:herbe
leaf:feuille plant:plante coffee:café cup:tasse drink:boisson table:table kitchen:cuisine
cooking:cuisson eating:repas dinner:dîner breakfast:déjeuner lunch:midi restaurant:restaurant
bread:pain fruit:fruit vegetable:légume salad:salade dessert:dessert cake:gâteau wine:vin
party:fête celebration:célébration christmas:noël wedding:mariage bride:mariée music:musique
guitar:guitare dance:danse art:art creative:créatif design:design fashion:mode style:style
dress:robe hair:cheveux face:visage eyes:yeux smile:sourire laughing:rire thinking:réflexion
reading:lecture book:livre school:école student:étudiant learning:apprentissage
teacher:professeur education:éducation science:science medicine:médecine doctor:médecin
health:santé hospital:hôpital care:soin senior:aîné baby:bébé mother:mère father:père
daughter:fille son:fils brother:frère sister:sœur teenager:adolescent church:église
temple:temple market:marché shopping:achats store:boutique money:argent finance:finance
boat:bateau ship:navire bridge:pont tower:tour harbor:port lighthouse:phare pier:jetée
castle:château island:île cliff:falaise waterfall:cascade valley:vallée hill:colline
""".split()
)

TITLE_LINKS = ("au", "à", "sur", "avec", "près", "sous", "et", "dans")


def plural(word: str) -> str:
    """The French plural of a noun, by the common rules (bateau -> bateaux, cheval -> chevaux)."""
    if word.endswith(("s", "x", "z")):
        return word
    if word.endswith(("eau", "au", "eu")):
        return word + "x"
    if word.endswith("al") and word not in ("festival", "carnaval"):
        return word[:-2] + "aux"
    return word + "s"


def plain(word: str) -> str:
    """The word without accents, as buyers often type it ("eglise")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
