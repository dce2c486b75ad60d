"""Find the legal stakes of an article: offences, procedures, penalties, laws and rights.

Rules are regular expressions over the clean text, grouped so that variants of one fact
("plainte", "porté plainte", "plaintes") count once. Every item keeps the span it was read
from, and its text is that span verbatim, so a digest never states a legal fact the article
does not contain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from digests.model import LegalItem
from digests.textutil import fold

_AP = "['’]"
_NUM = (
    r"(?:\d[\d  .,]*\d|\d|dix-(?:sept|huit|neuf)|vingt-(?:quatre|cinq|huit|et-un)|un|une|deux|trois|"
    r"quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingt|trente)"
)
_MONEY = (
    rf"(?:plus d{_AP}|plus de |près de |quelque |environ )?(?:\d[\d  .,]*(?: (?:millions?|milliards?))?"
    r"|(?:un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|cent) (?:millions?|milliards?))"
    rf"(?: d{_AP}euros| euros| €|€| de dollars| dollars| de livres)"
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern: the kind of fact, the group that dedupes variants, and its weight."""

    kind: str
    group: str
    pattern: re.Pattern[str]
    weight: float
    needs: re.Pattern[str] | None = None  # must occur in the same sentence, when set


def _rule(kind: str, group: str, regex: str, weight: float = 1.0, *, needs: str = "") -> Rule:
    return Rule(
        kind,
        group,
        re.compile(r"(?<!\w)(?:" + regex + r")(?!\w)", re.IGNORECASE),
        weight,
        re.compile(needs, re.IGNORECASE) if needs else None,
    )


INF, PROC, PEINE, LOI, ENJEU = "infraction", "procédure", "peine", "loi", "enjeu"

RULES: tuple[Rule, ...] = (
    # Penalties, with their numbers.
    _rule(PEINE, "", rf"(?:jusqu{_AP}à )?{_NUM} (?:ans|mois) (?:de prison|d{_AP}emprisonnement|de réclusion"
          rf"(?: criminelle)?|de détention)(?: ferme| avec sursis)?(?: et (?:de |d{_AP})?{_MONEY} "
          rf"d{_AP}amende)?", 3.0),
    _rule(PEINE, "", rf"{_NUM} (?:ans?|mois) (?:avec sursis|ferme)", 2.2),
    _rule(PEINE, "", rf"{_MONEY} d{_AP}amende", 3.0),
    _rule(PEINE, "", rf"amendes? (?:(?:allant|pouvant aller|pouvant atteindre) )?(?:jusqu{_AP}à |de ){_MONEY}", 3.0),
    _rule(PEINE, "", rf"(?:amendes? (?:pouvant (?:aller jusqu{_AP}à|atteindre)|allant jusqu{_AP}à|"
          rf"jusqu{_AP}à|de) )?{_NUM}(?:,\d+)? ?% (?:du|de (?:son|leur|leurs|sa)) chiffre "
          rf"d{_AP}affaires(?: mondial| annuel)?", 3.0),
    _rule(PEINE, "", rf"récompense (?:de|d{_AP}un montant de) {_MONEY}", 2.0),
    _rule(PEINE, "", rf"préjudices?(?: [\w'’]+){{0,6}} {_MONEY}", 2.3),
    _rule(PEINE, "", rf"saisie de {_MONEY}|saisie?s? {_MONEY}|saisi (?:quelque |près de |plus de )?\d[\d  .,]* "
          rf"(?:kilos?|kg|tonnes?)(?: d{_AP}\w+| de \w+)?", 2.5),
    _rule(PEINE, "", rf"{_MONEY} (?:détournés|volés|dérobés|de dommages|de préjudice|de rançon)", 2.0),
    _rule(PEINE, "", rf"rançon de {_MONEY}", 2.0),
    _rule(PEINE, "", rf"{_MONEY} de dommages(?: et |-)intérêts|dommages(?: et |-)intérêts", 2.4),
    _rule(PEINE, "", rf"astreintes?(?: de {_MONEY}(?: par jour)?)?", 1.8),
    # An amount counts as a legal fact only in a sentence about a penalty, a loss or a seizure.
    _rule(PEINE, "", _MONEY, 1.6, needs=r"amende|saisi|rançon|préjudice|dommage|détourn|volé|"
          r"dérob|escroqu|blanchi|récompense|sanction|condamn|extorqu|indemni|pénalité"),
    # Offences.
    _rule(INF, "plateforme-illicite", rf"fourniture d{_AP}une plateforme en ligne[^.;]{{0,60}}?"
          rf"transactions? illicites?(?: en bande organisée)?", 3.0),
    _rule(INF, "transaction-illicite", r"transactions? illicites?", 2.0),
    _rule(INF, "blanchiment", r"blanchiment(?: d'argent| aggravé)?", 2.5),
    _rule(INF, "escroquerie", r"(?:cyber-?)?escroqueries?(?: en bande organisée)?", 2.0),
    _rule(INF, "association-malfaiteurs", r"association de malfaiteurs", 2.5),
    _rule(INF, "bande-organisee", r"bande organisée", 1.5),
    _rule(INF, "injure", rf"(?:complicité d{_AP})?(?:injure|diffamation)s?(?: publiques?)?"
          r"(?: à caractère \w+| raciales?| antisémites?)?", 2.5),
    _rule(INF, "incitation", r"(?:incitation|provocation)s? (?:publiques? )?à la "
          r"(?:haine|violence|discrimination)(?: en raison du sexe| raciale)?", 2.5),
    _rule(INF, "apologie", r"apologie du terrorisme", 2.5),
    _rule(INF, "harcelement", r"(?:cyber-?)?harcèlement(?: moral| sexuel| en ligne| scolaire)?", 2.0),
    _rule(INF, "menaces", r"menaces? de mort", 2.0),
    _rule(INF, "stad", rf"(?:entrave au fonctionnement|accès frauduleux|atteintes?|maintien "
          rf"frauduleux)(?: dans| à| aux)? (?:d{_AP})?(?:un |des )?systèmes? de traitement "
          r"automatisé(?: de données)?", 3.0),
    _rule(INF, "stad-short", r"entrave au fonctionnement|accès frauduleux|(?-i:STAD)", 2.0),
    _rule(INF, "detournement", r"détournement de (?:finalité|fonds|données)(?: de fichiers?"
          r"| publics| personnelles)?", 2.5),
    _rule(INF, "travail-illegal", r"travail (?:illégal|dissimulé)", 2.5),
    _rule(INF, "contrefacon", r"contrefaçons?", 2.0),
    _rule(INF, "droit-auteur", rf"(?:violation|atteinte)s? (?:du|des|aux) droits? d{_AP}auteurs?"
          rf"|droits? d{_AP}auteurs?", 2.0),
    _rule(INF, "piratage", r"piratages?|hacking", 1.5),
    _rule(INF, "hameconnage", r"hameçonnages?|phishing|filoutage", 2.0),
    _rule(INF, "rancongiciel", r"rançongiciels?|ransomwares?", 2.0),
    _rule(INF, "ddos", r"dénis? de service(?: distribués?)?|(?-i:DDoS)", 2.0),
    _rule(INF, "defiguration", r"défigurations?", 1.5),
    _rule(INF, "cyberattaque", r"cyberattaques?|attaques? informatiques?", 1.2),
    _rule(INF, "fuite", r"fuites? de données|vols? de (?:données|fichiers?)|violations? de données", 1.5),
    _rule(INF, "fraude", r"fraudes?(?: fiscale| bancaire| à la carte bancaire| informatique"
          r"| électronique| au président| aux prestations sociales)?", 1.6),
    _rule(INF, "trafic", r"trafi(?:c|quants?) (?:de |d')(?:drogues?|stupéfiants|armes|opiacés)",
          2.2),
    _rule(INF, "trafic", r"trafiquants?", 1.5),
    _rule(INF, "pedocriminalite", r"pédopornographi\w+|pédocrimin\w+", 1.5),
    _rule(INF, "pratiques-trompeuses", r"pratiques (?:commerciales )?(?:trompeuses|déloyales|"
          r"anticoncurrentielles)(?: et (?:injustes|déloyales))?", 2.5),
    _rule(INF, "abus-position", r"abus(?:é|ait|e)? de (?:sa |leur |une |la )?position dominante", 2.5),
    _rule(INF, "usurpation", rf"usurpations? d{_AP}identité", 2.0),
    _rule(INF, "corruption", r"corruptions?(?: d'agents? publics?| active| passive)?|trafic "
          r"d'influence", 2.5),
    _rule(INF, "abs", r"abus de biens sociaux|abus de confiance|prise illégale d'intérêts?"
          r"|favoritisme|faux et usage de faux", 2.5),
    _rule(INF, "atteinte-vie-privee", rf"atteintes? à (?:la vie privée|l{_AP}intimité de la vie "
          r"privée)", 2.5),
    _rule(INF, "terrorisme", r"(?:provocation|incitation) (?:directe )?(?:à des actes de |au )"
          r"terroris\w+|association de malfaiteurs terroriste|entreprise terroriste", 2.5),
    _rule(INF, "denonciation", r"dénonciation calomnieuse|outrages?(?: sexiste)?", 2.0),
    _rule(INF, "mise-en-danger", r"mise en danger de la vie d'autrui", 2.0),
    _rule(INF, "extorsion", r"extorsions?|chantage", 2.0),
    _rule(INF, "recel", r"recel(?: de \w+)?", 2.0),
    _rule(INF, "espionnage", r"espionnage|ingérences?", 1.2),
    _rule(INF, "haine", r"discours haineux|propos haineux|hate speech|haine en ligne"
          r"|contenus? haineux", 1.8),
    _rule(INF, "", r"contenus? (?:terroristes|pédopornographiques|illicites)", 1.5),
    # Procedures.
    _rule(PROC, "information-judiciaire", r"informations? judiciaires?", 3.0),
    _rule(PROC, "enquete", r"enquêtes?(?: préliminaires?| judiciaires?| pénales?)?", 2.0),
    _rule(PROC, "garde-a-vue", r"gardes? à vue", 2.5),
    _rule(PROC, "mise-en-examen", r"mises? en examen|mise?s? en examen", 2.5),
    _rule(PROC, "detention", r"détention provisoire|placée? en détention|écrouée?s?", 2.5),
    _rule(PROC, "controle-judiciaire", r"contrôle judiciaire", 2.5),
    _rule(PROC, "relaxe", r"relaxée?s?|relaxes?|acquittée?s?|acquittements?|non-lieu", 2.5),
    _rule(PROC, "pourvoi", r"pourvois? en cassation|pourvue?s? en cassation|pourvoir en "
          r"cassation|pourvois?", 2.5),
    _rule(PROC, "premiere-instance", r"(?:en )?première instance", 1.6),
    _rule(PROC, "transaction", r"accords? (?:transactionnels?|amiables?|à l'amiable)"
          r"|transactions? pénales?|règlement à l'amiable", 2.2),
    _rule(PROC, "requisitions", r"réquisitions?|(?:avait |a |ont |avaient )?requis"
          r"(?= (?:[\w'’]+ ){1,3}(?:ans?|mois|amendes?|peines?|prison|relaxe)\b)",
          1.8),
    _rule(PROC, "action-collective", r"actions? (?:de groupe|collectives?)|class actions?", 2.5),
    _rule(PROC, "injonction", r"injonctions?|ordonnances?(?: de référé)?", 1.8),
    _rule(PROC, "audience", r"audiences?|comparution immédiate|comparaîtr\w+", 1.5),
    # "jugé" is a trial only after an auxiliary: "les contenus jugés illicites" is no trial.
    _rule(PROC, "audience", r"(?:être|sera|seront|été|sont|est|était|étaient|serait|seraient) "
          r"(?P<show>jugée?s?)", 1.5),
    _rule(PROC, "classement", r"classée? sans suite|classement sans suite", 2.0),
    _rule(PROC, "rappel-ordre", r"rappels? à l'ordre|avertissements?", 1.5),
    _rule(PROC, "blocage", r"blocages?|déréférencements?|bloquer|déréférencer", 1.5),
    _rule(PROC, "plainte", r"(?:porté |déposé |porter |dépôt de )?plaintes?(?: contre X)?", 2.5),
    _rule(PROC, "inculpation", r"inculpée?s?|inculpations?", 2.5),
    _rule(PROC, "plaider-coupable", r"plaid(?:é|e|er|ent) coupable", 2.5),
    _rule(PROC, "arrestation", r"arrestations?|interpellations?|interpellée?s?", 1.5),
    _rule(PROC, "condamnation", r"condamnations?|condamnée?s?", 2.0),
    _rule(PROC, "proces", r"procès", 2.0),
    _rule(PROC, "appel", r"interjet\w* appel|(?:fait|faire|feront|fera|ferait|feraient|ferons) "
          r"appel(?: (?:de|du) (?:la "
          r"décision|jugement|sa condamnation|leur condamnation|cette décision|ce jugement))?"
          r"|en appel", 2.0),
    _rule(PROC, "refere", r"référés?", 2.0),
    _rule(PROC, "assignation", r"assignations?(?: en justice)?|assignée?s?(?! à résidence)"
          r"(?= (?:en justice|devant|\w+ devant))", 2.0),
    _rule(PROC, "partie-civile", r"constituée?s? parties? civiles?|parties? civiles?", 1.4),
    _rule(PROC, "mesures-provisoires", r"mesures (?:provisoires|conservatoires|d['’]urgence)", 1.8),
    _rule(PROC, "mise-en-demeure", r"mises? en demeure|mise?s? en demeure", 2.5),
    _rule(PROC, "sanction", r"sanctions?|sanctionnée?s?", 2.0),
    _rule(PROC, "censure", r"censurée?s?|censures?", 2.5),
    _rule(PROC, "perquisition", r"perquisitions?", 2.0),
    _rule(PROC, "mandat", rf"mandats? d{_AP}arrêt|avis de recherche|notices? rouges?", 2.0),
    _rule(PROC, "arret", rf"(?:l{_AP}|un |cet |son |leur )(?P<show>arrêt)(?! (?:de|du|des|d{_AP})\b)",
          1.5),
    _rule(PROC, "extradition", r"extraditions?|extradée?s?", 2.0),
    _rule(PROC, "poursuites", r"poursuivie?s?(?= pour| en justice)|poursuites(?: judiciaires| pénales)?",
          1.6),
    _rule(PROC, "en-justice", r"(?:contestée?s?|attaquée?s?|assignée?s?|action|suivre) en justice"
          r"|saisi\w* la justice", 2.0),
    _rule(PROC, "procedure", r"procédures? (?:judiciaires?|pénales?|ouvertes?|de sanction|de "
          r"transaction)|intenté une (?:procédure|action)(?: en justice)?", 2.0),
    _rule(PROC, "saisine", r"saisit|saisir|saisine|saisi la", 1.8),
    _rule(PROC, "saisie", r"saisies?|saisie?s?", 1.5),
    _rule(PROC, "recours", r"recours", 1.5),
    _rule(PROC, "avis", r"(?:son |un |l')(?P<show>avis(?: favorable| défavorable)?)", 1.2),
    _rule(PROC, "feu-vert", r"feu vert", 1.5),
    _rule(PROC, "controle", r"(?:ouverture d['’]une? |lancé une? |mené une? |procédure de |missions? de )"
          r"(?P<show>contrôles?(?: sur place| en ligne)?)", 1.8),
    _rule(PROC, "decret", r"décrets?", 1.5),
    _rule(PROC, "vote", r"votes?|votée?s?", 1.0),
    _rule(PROC, "signalement", r"signalements?", 1.5),
    _rule(PROC, "suspension", r"suspendu\w*|suspensions?|suspend", 2.0),
    _rule(PROC, "invalidation", r"invalidée?s?|invalidations?|annulée?s?(?= (?:par|le|la|l'))|"
          r"annulations?", 1.8),
    _rule(PROC, "interdiction", r"interdictions?|interdir\w*", 1.5),
    _rule(PROC, "requalification", r"requalifications?", 1.5),
    _rule(PROC, "fermeture", r"fermetures?|démantèlements?|démantelée?s?|suppressions?", 1.2),
    _rule(PROC, "accuse", r"accusée?s? (?:de|d')", 1.0),
    # Laws and articles.
    _rule(LOI, "", r"loi (?:Avia|Hadopi|Informatique et libertés|(?-i:[A-Z][A-Za-zé]+))", 2.5),
    _rule(LOI, "", r"loi du \d{1,2}(?:er)? [a-zéû]+ \d{4}", 2.5),
    _rule(LOI, "", rf"loi de (?:l{_AP})?(?-i:[A-Z])\w+", 2.0),
    _rule(LOI, "", r"(?:projet|proposition) de loi", 1.5),
    _rule(LOI, "", rf"loi (?:sur|contre|relative à|pour|visant à) (?:la |le |les |l{_AP})?"
          r"[a-zéèê]+(?: (?:de |des |du |d')?[a-zéèê]+)?", 2.2),
    _rule(LOI, "", r"loi (?:pour la )?confiance dans l'économie numérique|loi (?:sur le|relative au) "
          r"renseignement|(?-i:Cloud Act|Patriot Act|Privacy Shield|Safe Harbou?r)|"
          r"directives? (?:européennes?|e-?commerce|(?-i:[A-Z])\w+)|"
          r"(?:règlement|directive) (?:européen )?sur (?:les|la) [a-zéè]+(?: [a-zéè]+)?", 2.3),
    # A foreign or long law named with its acronym: "loi fédérale sur … des enfants (COPPA)".
    _rule(LOI, "", r"loi [^.;()\n]{3,80}? \((?P<show>(?-i:[A-Z]{3,7}))\)", 2.6),
    _rule(LOI, "", r"(?-i:RGPD|DSA|DMA|LCEN|NIS ?2)|règlement général sur la protection des "
          r"données|Digital (?:Services|Markets) Act|AI Act", 2.5),
    _rule(LOI, "", r"articles? (?:[LR]\.? ?)?\d[\d.\-]*(?: et \d[\d.\-]*)?"
          r"(?: du code (?:pénal|du travail|civil|de commerce|"
          r"de la consommation|de procédure pénale|monétaire et financier))?",
          2.5),
    _rule(LOI, "code", r"code (?:pénal|du travail|civil|de la consommation|de procédure pénale|"
          r"de commerce|des postes et des communications électroniques|de la sécurité intérieure)",
          2.0),
    _rule(LOI, "amendement", r"premier amendement", 2.0),
    _rule(LOI, "charte", rf"Charte des droits fondamentaux(?: de l{_AP}(?:UE|Union européenne))?"
          r"|Convention européenne des droits de l'homme", 2.3),
    _rule(ENJEU, "liberte-expression", rf"libertés? d{_AP}expression", 2.0),
    _rule(ENJEU, "vie-privee", r"vie privée", 1.8),
    _rule(ENJEU, "donnees", r"données (?:personnelles|à caractère personnel|bancaires|de santé|"
          r"biométriques|sensibles|"
          r"de (?:géo)?localisation)|informations bancaires|cartes bancaires", 1.8),
    _rule(ENJEU, "geolocalisation", r"géolocalisation", 1.2),
    _rule(ENJEU, "surveillance", r"reconnaissance faciale|surveillance de masse|fichage", 1.6),
    _rule(ENJEU, "principes-rgpd", r"minimisation des données|licéité du traitement|base légale"
          r"|conservation (?:généralisée et indifférenciée )?des données(?: de connexion)?", 1.7),
    _rule(ENJEU, "droits-fondamentaux", r"droits fondamentaux", 1.5),
    _rule(PROC, "sites-miroirs", r"sites? miroirs?", 1.5),
    _rule(ENJEU, "securite-nationale", r"sécurité nationale", 1.8),
    _rule(ENJEU, "droits-personnes", rf"droits? (?:d{_AP}opposition|à l{_AP}effacement|à l{_AP}oubli"
          rf"|d{_AP}accès)", 1.8),
    _rule(ENJEU, "secret", r"secret des (?:correspondances|affaires|sources)|présomption "
          rf"d{_AP}innocence|droit à l{_AP}image|neutralité du net", 1.6),
    _rule(ENJEU, "vide-juridique", r"vides? juridiques?", 1.8),
    _rule(LOI, "subordination", r"lien de subordination", 1.5),
    _rule(LOI, "reglement", r"règlements?(?: de la communauté)?(?: \w+)?|conditions "
          rf"d{_AP}utilisation|règles de la communauté", 1.0),
    _rule(ENJEU, "volontaire", r"(?:à titre )?(?:strictement )?volontaire|volontariat|consentement",
          1.0),
    _rule(LOI, "", r"(?:retirer|retrait|supprimer|suppression)[^.;]{0,40}?"
          r"(?:sous|en|dans les|dans un délai de) (?:24|48|une|1|deux) ?h(?:eures?)?", 2.5),
    _rule(LOI, "", r"(?:sous|en|dans les|dans un délai de) (?:24|48|une|1|deux) ?h(?:eures?)?"
          r"(?: le| au)? (?:retrait|suppression|blocage)", 2.5),
    # How long a measure lasts (data kept, a site blocked): a stake, not a prison term.
    _rule(ENJEU, "duree", rf"(?:durée(?: de conservation)?[^.;]{{0,30}}?|pendant) {_NUM} "
          r"(?:ans?|mois|jours)", 1.8,
          needs=r"conserv|bloqu|blocage|interdi|suspen|fichier|données|accès"),
)

KIND_ORDER = {PROC: 0, INF: 1, PEINE: 2, LOI: 3, ENJEU: 4}


@dataclass(slots=True)
class Found:
    """A legal item with its ranking data, before selection for display."""

    kind: str
    group: str
    text: str
    start: int
    end: int
    weight: float
    count: int = 1


def _sentence(text: str, pos: int) -> str:
    """Return the sentence around `pos` (cut at full stops and blank lines)."""
    start = max(text.rfind(". ", 0, pos), text.rfind("\n", 0, pos)) + 1
    ends = [e for e in (text.find(". ", pos), text.find("\n", pos)) if e >= 0]
    return text[start : min(ends) if ends else len(text)]


def _numbers(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\d+(?:,\d+)?", fold(text)))


def _key(kind: str, surface: str) -> str:
    if kind == PEINE and _numbers(surface):
        return "peine:" + " ".join(sorted(_numbers(surface)))
    return re.sub(r"s\b", "", fold(surface))


def _subsumed(item: Found, other: Found) -> bool:
    """Tell whether `other` already says everything `item` says, in more words."""
    if item is other:
        return False
    if item.kind == PEINE and other.kind == PEINE and _numbers(item.text):
        mine, theirs = _numbers(item.text), _numbers(other.text)
        return mine <= theirs and len(item.text) < len(other.text)
    folded, bigger = fold(item.text), fold(other.text)
    return folded != bigger and folded in bigger


def find_legal(
    text: str, *, lead_end: int = 0, names: Sequence[tuple[int, int]] = ()
) -> list[Found]:
    """Return the deduplicated legal items of `text`, most important first.

    Overlapping matches keep the longest ("entrave au fonctionnement d'un système…" wins
    over "entrave au fonctionnement"); variants of one group merge and count. `names` are
    spans of bodies' names: the "fraudes" of "répression des fraudes" is no offence.
    """
    matches: list[tuple[int, int, Rule]] = []
    for rule in RULES:
        for match in rule.pattern.finditer(text):
            if rule.needs is not None and not rule.needs.search(_sentence(text, match.start())):
                continue
            if any(s <= match.start() and match.end() <= e for s, e in names):
                continue
            show = "show" if "show" in rule.pattern.groupindex else 0
            matches.append((match.start(show), match.end(show), rule))
    matches.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    taken: list[tuple[int, int]] = []
    kept: list[tuple[int, int, Rule]] = []
    for start, end, rule in matches:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        taken.append((start, end))
        kept.append((start, end, rule))
    kept.sort(key=lambda m: m[0])
    groups: dict[str, Found] = {}
    for start, end, rule in kept:
        surface = text[start:end].strip()
        key = rule.group or _key(rule.kind, surface)
        item = groups.get(key)
        if item is None:
            groups[key] = Found(rule.kind, key, surface, start, end, rule.weight)
        else:
            item.count += 1
            if rule.kind == PEINE and len(surface) > len(item.text):
                item.text, item.start, item.end = surface, start, end
    items = list(groups.values())
    items = [item for item in items if not any(_subsumed(item, other) for other in items)]
    for item in items:
        item.weight += min(item.count - 1, 3) * 0.4 + (0.8 if item.start < lead_end else 0.0)
    items.sort(key=lambda i: (-i.weight, i.start))
    # A trial of many defendants lists a term for each: two say the stakes, the rest would
    # crowd out the offences.
    terms = [i for i in items if i.kind == PEINE and _TERM.search(i.text)]
    extra = {id(i) for i in terms[_MAX_TERMS:]}
    return [i for i in items if id(i) not in extra] + [i for i in items if id(i) in extra]


_TERM = re.compile(r"\b(?:ans?|mois)\b")
_MAX_TERMS = 2


def to_items(found: list[Found]) -> tuple[LegalItem, ...]:
    """Convert ranked findings into the digest's LegalItem values, keeping their spans."""
    return tuple(LegalItem(kind=f.kind, text=f.text, span=(f.start, f.end)) for f in found)
