"""Know the bodies legal-tech news is about: courts, prosecutors, police, regulators, platforms.

Each `Body` has a canonical name, the aliases the press uses and the role it plays in a story.
spaCy's statistical NER misses or mislabels many of them ("Parquet de Paris" as a place,
"Conseil" without "constitutionnel"), so `nlp.py` turns this list into EntityRuler patterns
that run before the NER. Press outlets are listed too, under the MEDIA label, so that a
source quoted by the article ("révèle L'Express") is recognised and never shown as an actor.
"""

from __future__ import annotations

from dataclasses import dataclass

PARQUET = "parquet/accusation"
COURT = "juridiction"
POLICE = "enquêteur"
REGULATOR = "régulateur"
GOV = "législateur/gouvernement"
COMPANY = "entreprise/plateforme"
OTHER = "autre"


@dataclass(frozen=True, slots=True)
class Body:
    """A known institution or company: canonical name, aliases and the role it usually plays.

    Aliases in `exact` are matched with their case (acronyms, brand names that are also common
    words such as "Sages" or "Free"); aliases in `aliases` ignore case.
    """

    key: str
    name: str
    role: str
    aliases: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    kind: str = "organisation"


BODIES: tuple[Body, ...] = (
    # French prosecution and courts.
    Body("pnf", "PNF", PARQUET, ("parquet national financier",), ("PNF",)),
    Body("pnat", "PNAT", PARQUET, ("parquet national antiterroriste",), ("PNAT",)),
    Body("junalco", "JUNALCO", PARQUET,
         ("juridiction nationale de lutte contre la criminalité organisée",),
         ("JUNALCO", "Junalco")),
    Body("j3", "section J3", PARQUET, ("section J3",), ("J3",)),
    Body("pnlh", "pôle national de lutte contre la haine en ligne", PARQUET,
         ("pôle national de lutte contre la haine en ligne", "PNLH"), ("PNLH",)),
    Body("juge-instruction", "juge d'instruction", COURT,
         ("juge d'instruction", "juges d'instruction"), kind="personne"),
    Body("jld", "JLD", COURT, ("juge des libertés et de la détention",), ("JLD",),
         kind="personne"),
    Body("cassation", "Cour de cassation", COURT, ("Cour de cassation",)),
    Body("conseil-etat", "Conseil d'État", COURT, ("Conseil d'État", "Conseil d'Etat")),
    Body("conseil-constitutionnel", "Conseil constitutionnel", COURT,
         ("Conseil constitutionnel",), ("Sages",)),
    Body("cedh", "CEDH", COURT, ("Cour européenne des droits de l'homme",), ("CEDH",)),
    Body("cjue", "CJUE", COURT,
         ("Cour de justice de l'Union européenne", "Cour de justice de l'UE"), ("CJUE",)),
    Body("cour-supreme", "Cour suprême", COURT, ("Cour suprême",)),
    Body("tribunal-ue", "Tribunal de l'Union européenne", COURT,
         ("Tribunal de l'Union européenne", "Tribunal de l'UE")),
    Body("jirs", "JIRS", COURT, ("juridiction interrégionale spécialisée",
                                 "juridictions interrégionales spécialisées"), ("JIRS",)),
    Body("cour-comptes", "Cour des comptes", COURT, ("Cour des comptes",)),
    Body("crc", "chambre régionale des comptes", COURT,
         ("chambre régionale des comptes", "chambres régionales des comptes"), ("CRC",)),
    Body("grand-jury", "grand jury", COURT, ("grand jury",)),
    # French and European regulators.
    Body("cnil", "CNIL", REGULATOR,
         ("Commission nationale de l'informatique et des libertés",
          "Commission nationale informatique et libertés",
          "Commission nationale de l'informatique"), ("CNIL", "Cnil")),
    Body("arcom", "Arcom", REGULATOR,
         ("Autorité de régulation de la communication audiovisuelle et numérique",),
         ("Arcom", "ARCOM")),
    Body("csa", "CSA", REGULATOR, ("Conseil supérieur de l'audiovisuel",), ("CSA",)),
    Body("hadopi", "Hadopi", REGULATOR, (), ("Hadopi", "HADOPI")),
    Body("anssi", "ANSSI", REGULATOR,
         ("Agence nationale de la sécurité des systèmes d'information",), ("ANSSI", "Anssi")),
    Body("adlc", "Autorité de la concurrence", REGULATOR, ("Autorité de la concurrence",)),
    Body("dgccrf", "DGCCRF", REGULATOR,
         ("Direction générale de la concurrence, de la consommation et de la répression des "
          "fraudes",), ("DGCCRF",)),
    Body("arcep", "Arcep", REGULATOR, (), ("Arcep", "ARCEP")),
    Body("amf", "AMF", REGULATOR, ("Autorité des marchés financiers",), ("AMF",)),
    Body("defenseur-droits", "Défenseur des droits", REGULATOR, ("Défenseur des droits",)),
    Body("cepd", "CEPD", REGULATOR,
         ("Comité européen de la protection des données",), ("CEPD", "EDPB")),
    Body("commission-europeenne", "Commission européenne", REGULATOR,
         ("Commission européenne", "European Commission")),
    Body("dpc", "DPC", REGULATOR, ("Data Protection Commission",), ("DPC",)),
    Body("ftc", "FTC", REGULATOR, ("Federal Trade Commission",), ("FTC",)),
    Body("fcc", "FCC", REGULATOR, ("Federal Communications Commission",), ("FCC",)),
    Body("dilcrah", "Dilcrah", GOV, (), ("Dilcrah", "DILCRAH")),
    Body("anj", "ANJ", REGULATOR, ("Autorité nationale des jeux",), ("ANJ", "Arjel", "ARJEL")),
    Body("acpr", "ACPR", REGULATOR, ("Autorité de contrôle prudentiel et de résolution",), ("ACPR",)),
    Body("ico", "ICO", REGULATOR, ("Information Commissioner's Office",), ("ICO",)),
    Body("sec", "SEC", REGULATOR, ("Securities and Exchange Commission",), ("SEC",)),
    Body("tracfin", "Tracfin", POLICE, (), ("Tracfin", "TRACFIN")),
    # Police, gendarmerie, intelligence, customs.
    Body("gendarmerie", "Gendarmerie nationale", POLICE, ("Gendarmerie nationale", "gendarmerie")),
    Body("uncyber", "UNCyber", POLICE, ("Unité nationale cyber",), ("UNCyber", "UnCyber")),
    Body("c3n", "C3N", POLICE,
         ("Centre de lutte contre les criminalités numériques",), ("C3N",)),
    Body("comcybergend", "ComCyberGend", POLICE,
         ("commandement de la gendarmerie dans le cyberespace",),
         ("ComCyberGend", "COMCYBERGEND", "ComCyber-MI")),
    Body("ofac-fr", "Office anti-cybercriminalité", POLICE, ("Office anti-cybercriminalité",)),
    Body("oclctic", "OCLCTIC", POLICE,
         ("Office central de lutte contre la criminalité liée aux technologies de l'information "
          "et de la communication",), ("OCLCTIC",)),
    Body("sdlc", "SDLC", POLICE, ("sous-direction de lutte contre la cybercriminalité",), ("SDLC",)),
    Body("ocrgdf", "OCRGDF", POLICE,
         ("Office central pour la répression de la grande délinquance financière",), ("OCRGDF",)),
    Body("brda", "BRDA", POLICE,
         ("brigade de répression de la délinquance astucieuse",), ("BRDA",)),
    Body("sndj", "SNDJ", POLICE, ("service national de douane judiciaire",), ("SNDJ",)),
    Body("oclch", "OCLCH", POLICE,
         ("Office central de lutte contre les crimes contre l'humanité et les crimes de haine",
          "Office central de lutte contre les crimes contre l'humanité"), ("OCLCH",)),
    Body("dgsi-legacy", "DCRI", POLICE, ("direction centrale du renseignement intérieur",),
         ("DCRI",)),
    Body("police-nationale", "police nationale", POLICE, ("police nationale",)),
    Body("ddsp", "sûreté départementale", POLICE,
         ("sûreté départementale", "direction départementale de la sécurité publique",
          "sûreté urbaine", "sûreté territoriale"), ("DDSP",)),
    Body("section-recherches", "section de recherches", POLICE,
         ("section de recherches", "brigade de recherches")),
    Body("pj", "police judiciaire", POLICE,
         ("police judiciaire", "direction centrale de la police judiciaire"), ("DCPJ",)),
    Body("prefecture-police", "préfecture de police", POLICE, ("préfecture de police",)),
    Body("brdp", "BRDP", POLICE,
         ("brigade de répression de la délinquance sur la personne",
          "brigade de répression de la délinquance aux personnes"), ("BRDP",)),
    Body("befti", "BEFTI", POLICE,
         ("brigade d'enquêtes sur les fraudes aux technologies de l'information",), ("BEFTI",)),
    Body("bl2c", "BL2C", POLICE, ("brigade de lutte contre la cybercriminalité",), ("BL2C",)),
    Body("dgsi", "DGSI", POLICE,
         ("direction générale de la sécurité intérieure",
          "direction générale du renseignement intérieur"), ("DGSI",)),
    Body("dgse", "DGSE", POLICE, ("direction générale de la sécurité extérieure",), ("DGSE",)),
    Body("brigade-financiere", "brigade financière", POLICE,
         ("brigade financière", "brigade de répression de la délinquance économique"), ("BRDE",)),
    Body("brigade-mineurs", "brigade des mineurs", POLICE,
         ("brigade des mineurs", "brigade de protection des mineurs"), ("BPM",)),
    Body("brigade-criminelle", "brigade criminelle", POLICE, ("brigade criminelle",)),
    Body("bri", "BRI", POLICE, ("brigade de recherche et d'intervention",), ("BRI",)),
    Body("bac", "BAC", POLICE, ("brigade anticriminalité", "brigade anti-criminalité"), ("BAC",)),
    Body("igpn", "IGPN", POLICE, ("Inspection générale de la police nationale",), ("IGPN",)),
    Body("iggn", "IGGN", POLICE, ("Inspection générale de la gendarmerie nationale",), ("IGGN",)),
    Body("raid", "RAID", POLICE, (), ("RAID",)),
    Body("gign", "GIGN", POLICE, ("Groupe d'intervention de la gendarmerie nationale",), ("GIGN",)),
    Body("ofast", "OFAST", POLICE, ("Office anti-stupéfiants",), ("OFAST", "Ofast")),
    Body("ocrvp", "OCRVP", POLICE,
         ("Office central pour la répression des violences aux personnes",), ("OCRVP",)),
    Body("ocrtis", "OCRTIS", POLICE,
         ("Office central pour la répression du trafic illicite des stupéfiants",), ("OCRTIS",)),
    Body("douane", "douane", POLICE, ("douanes", "douaniers", "la douane")),
    Body("juge-antiterroriste", "juge antiterroriste", COURT,
         ("juge antiterroriste", "juges antiterroristes", "juge d'instruction antiterroriste"),
         kind="personne"),
    Body("juge-enfants", "juge des enfants", COURT, ("juge des enfants",), kind="personne"),
    Body("dnred", "DNRED", POLICE,
         ("direction nationale du renseignement et des enquêtes douanières",), ("DNRED",)),
    Body("cyberdouane", "Cyberdouane", POLICE, ("cyberdouane",)),
    Body("pharos", "Pharos", POLICE, (), ("Pharos", "PHAROS")),
    Body("europol", "Europol", POLICE, ("Europol",)),
    Body("ec3", "Centre européen de cybercriminalité", POLICE,
         ("Centre européen de lutte contre la cybercriminalité",
          "Centre européen de cybercriminalité"), ("EC3",)),
    Body("eurojust", "Eurojust", PARQUET, ("Eurojust",)),
    Body("interpol", "Interpol", POLICE, ("Interpol",)),
    Body("fbi", "FBI", POLICE, ("Federal Bureau of Investigation",), ("FBI",)),
    Body("doj", "département de la Justice", PARQUET,
         ("département de la Justice", "ministère américain de la Justice",
          "Department of Justice", "département américain de la Justice"), ("DoJ", "DOJ")),
    Body("treasury", "Trésor américain", GOV,
         ("département du Trésor", "Trésor américain", "ministère américain du Trésor",
          "Office of Foreign Assets Control")),
    Body("secret-service", "services secrets américains", POLICE,
         ("Secret Service", "services secrets américains")),
    Body("dea", "DEA", POLICE, ("Drug Enforcement Administration",), ("DEA",)),
    Body("nsa", "NSA", POLICE, ("National Security Agency",), ("NSA",)),
    Body("nca", "NCA", POLICE, ("National Crime Agency",), ("NCA",)),
    Body("bka", "BKA", POLICE, ("Bundeskriminalamt", "office fédéral de police criminelle",
                                "police criminelle fédérale allemande"), ("BKA",)),
    Body("cisa", "CISA", REGULATOR, (), ("CISA",)),
    # Lawmakers and government.
    Body("assemblee", "Assemblée nationale", GOV, ("Assemblée nationale",)),
    Body("senat", "Sénat", GOV, (), ("Sénat", "Senat")),
    Body("parlement-europeen", "Parlement européen", GOV, ("Parlement européen",)),
    Body("congres", "Congrès", GOV, (), ("Congrès",)),
    Body("conseil-ue", "Conseil de l'UE", GOV, ("Conseil de l'Union européenne", "Conseil de l'UE")),
    Body("elysee", "Élysée", GOV, (), ("Élysée", "Elysée", "Elysee")),
    Body("matignon", "Matignon", GOV, (), ("Matignon",)),
    Body("maison-blanche", "Maison Blanche", GOV, ("Maison Blanche", "Maison-Blanche")),
    # Associations that bring cases.
    Body("lqdn", "Quadrature du Net", OTHER, ("Quadrature du Net",), ("LQDN",)),
    Body("noyb", "noyb", OTHER, (), ("noyb", "NOYB")),
    Body("ufc", "UFC-Que Choisir", OTHER, ("UFC-Que Choisir", "UFC Que Choisir")),
    Body("anticor", "Anticor", OTHER, (), ("Anticor",)),
    Body("ldh", "Ligue des droits de l'homme", OTHER, ("Ligue des droits de l'homme",), ("LDH",)),
    Body("licra", "Licra", OTHER, (), ("Licra", "LICRA")),
    Body("uejf", "UEJF", OTHER, ("Union des étudiants juifs de France",), ("UEJF",)),
    Body("rsf", "RSF", OTHER, ("Reporters sans frontières",), ("RSF",)),
    # Platforms and tech companies that are parties to cases.
    *(
        Body(name.lower().replace(" ", "-"), name, COMPANY, (), (name, *variants))
        for name, *variants in (
            ("Google",), ("YouTube", "Youtube"), ("Facebook",), ("Meta",), ("Instagram",),
            ("WhatsApp", "Whatsapp"), ("Twitter",), ("TikTok", "Tiktok"), ("Telegram",),
            ("Discord",), ("Snapchat",), ("Amazon",), ("Apple",), ("Microsoft",),
            ("WeChat", "Wechat"), ("Tencent",), ("Uber",), ("Airbnb",), ("Netflix",),
            ("Spotify",), ("OpenAI",), ("Binance",), ("LinkedIn",), ("Reddit",), ("Twitch",),
            ("Doctolib",), ("Huawei",), ("ByteDance",), ("Alibaba",), ("Yahoo",),
        )
    ),
)

# Press outlets and agencies: sources of the story, never actors of it.
MEDIA_EXACT: tuple[str, ...] = (
    "AFP", "Reuters", "AP", "Associated Press", "Bloomberg", "Le Monde", "Le Parisien",
    "Le Figaro", "Libération", "L'Express", "L’Express", "L'Obs", "L’Obs", "Le Point", "LCI",
    "BFMTV", "BFM", "franceinfo", "France Info", "Franceinfo", "France Inter", "RTL", "Europe 1",
    "20 Minutes", "Mediapart", "Capital", "Challenges", "Les Echos", "Numerama", "Clubic",
    "01net", "Zataz", "ZATAZ", "Siecledigital", "Siècle Digital", "Phoneandroid", "ABC", "BBC",
    "CNN", "New York Times", "Washington Post", "Wall Street Journal", "Financial Times",
    "The Guardian", "Guardian", "Politico", "JDD", "Ouest-France", "6Medias", "TF1", "France 2",
    "France 3", "Canard enchaîné", "Marianne", "Les Numériques", "ZDNet", "BleepingComputer",
    "TechCrunch", "The Verge", "Wired", "Le Journal du dimanche", "Le Canard enchaîné",
    "Orange Actualités", "Associated Press", "Panoramic", "Getty", "Getty Images", "Sipa",
    "Le Temps", "Le Soir", "Le Point", "Franceinfo", "France Télévisions", "Radio France",
    "Les Jours", "Next INpact", "L'Informé", "Le Télégramme", "La Croix", "Cash Investigation",
)  # fmt: skip

# Political parties: an affiliation ("la députée LREM", "les sénateurs LR"), not a party to
# the case; the members they qualify are the actors.
PARTIES: tuple[str, ...] = (
    "LREM", "LaREM", "La République en marche", "LR", "Les Républicains", "PS", "RN",
    "Rassemblement national", "LFI", "La France insoumise", "MoDem", "EELV", "UDI", "PCF",
    "Horizons", "Renaissance",
)  # fmt: skip

BY_KEY: dict[str, Body] = {body.key: body for body in BODIES}

# Acronyms two bodies share: (acronym, [(body key, cue that must occur in the article)]). The
# first body whose cue occurs wins; the last one is the default.
AMBIGUOUS: dict[str, tuple[tuple[str, str], ...]] = {
    "OFAC": (("ofac-fr", r"anti-?cybercriminalit|office anti"),
             ("treasury", r"Trésor|Treasury|Foreign Assets|sanctions? (?:financières|économiques)"
                          r"|avoirs"),
             ("ofac-fr", "")),
}


def resolve_ambiguous(acronym: str, text: str) -> Body | None:
    """Pick which body an ambiguous acronym ("OFAC") names in this article, from its cues."""
    import re

    for key, cue in AMBIGUOUS.get(acronym, ()):
        if not cue or re.search(cue, text, re.IGNORECASE):
            return BY_KEY[key]
    return None

_CITY = {"IS_TITLE": True}
_OF = {"LOWER": {"IN": ["de", "d'", "d’", "du"]}}
_NATION = {
    "LOWER": {
        "IN": ["américain", "américaine", "français", "française", "britannique", "allemand",
               "allemande", "chinois", "chinoise", "russe", "italien", "italienne", "belge",
               "espagnol", "espagnole", "néerlandais", "australien", "australienne", "fédéral",
               "irlandais", "irlandaise", "suédois", "suédoise", "polonais", "polonaise",
               "canadien", "canadienne", "japonais", "japonaise", "suisse", "autrichien",
               "autrichienne", "israélien", "israélienne", "indien", "indienne", "brésilien",
               "brésilienne", "sud-coréen", "sud-coréenne", "turc", "turque",
               "fédérale", "européen", "européenne"]
    },
    "OP": "?",
}

# Token patterns for bodies named after a place or a field: (role, kind, pattern).
GENERIC_PATTERNS: tuple[tuple[str, str, list[dict]], ...] = (
    (PARQUET, "organisation", [{"LOWER": {"IN": ["parquet", "parquets"]}},
                               {"LOWER": {"IN": ["général", "fédéral", "national", "régional"]},
                                "OP": "?"}, _OF, _CITY]),
    (PARQUET, "organisation", [{"LOWER": "parquet"}, {"LOWER": {"IN": ["fédéral", "général"]}},
                               _NATION]),
    (COURT, "organisation", [{"LOWER": {"IN": ["haute", "cour", "tribunal"]}},
                             {"LOWER": {"IN": ["cour", "suprême", "fédérale", "fédéral",
                                               "constitutionnelle"]}}, _NATION]),
    (COURT, "organisation", [{"LOWER": "conseil"}, {"LOWER": "de"},
                             {"LOWER": {"IN": ["prud'hommes", "prud’hommes"]}}, _OF, _CITY]),
    (COURT, "organisation", [{"LOWER": "conseil"}, {"LOWER": "de"},
                             {"LOWER": {"IN": ["prud'hommes", "prud’hommes"]}}]),
    (PARQUET, "organisation",
     [{"LOWER": {"IN": ["parquet", "parquets"]}}, _OF, _CITY, {"TEXT": "-"}, _CITY]),
    (COURT, "organisation",
     [{"LOWER": "tribunal"},
      {"LOWER": {"IN": ["judiciaire", "correctionnel", "administratif", "civil", "fédéral",
                        "pénal", "militaire"]}, "OP": "?"},
      {"LOWER": "de", "OP": "?"}, {"LOWER": "grande", "OP": "?"}, {"LOWER": "instance", "OP": "?"},
      {"LOWER": "de", "OP": "?"}, {"LOWER": "commerce", "OP": "?"}, _OF, _CITY]),
    (COURT, "organisation", [{"LOWER": "cour"}, {"LOWER": {"IN": ["d'", "d’"]}},
                             {"LOWER": {"IN": ["appel", "assises"]}}, _OF, _CITY]),
    # A town's administration: "la mairie de Lyon", "la ville de Nice" (no role of its own).
    (GOV, "organisation", [{"LOWER": {"IN": ["mairie", "municipalité", "préfecture"]}}, _OF, _CITY]),
    # The same courts named without their seat: "la cour d'assises", "le tribunal correctionnel".
    (COURT, "organisation", [{"LOWER": "cour"}, {"LOWER": {"IN": ["d'", "d’"]}},
                             {"LOWER": {"IN": ["appel", "assises"]}},
                             {"LOWER": {"IN": ["spéciale", "spécialement"]}, "OP": "?"}]),
    (COURT, "organisation", [{"LOWER": "tribunal"},
                             {"LOWER": {"IN": ["judiciaire", "correctionnel", "administratif",
                                               "pénal", "militaire"]}}]),
    (GOV, "organisation",
     [{"LOWER": {"IN": ["ministère", "département"]}}, _NATION,
      {"LOWER": {"IN": ["de", "du", "des"]}}, {"LOWER": {"IN": ["la", "l'", "l’"]}, "OP": "?"},
      {"IS_TITLE": True}]),
    (GOV, "organisation", [{"LOWER": "gouvernement"}, {"LOWER": {"IN": [
        "américain", "français", "britannique", "chinois", "russe", "australien", "allemand",
        "italien", "néerlandais"]}}]),
)
