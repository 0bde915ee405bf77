"""French for the audit's outputs (`--lang fr`): a small message catalogue, English the default.

DGCCRF and CNIL files are written in French, so the summary, the HTML report's headings, the rules' texts of
the French packs, the reasoning and the commonest finding messages have a French form. The catalogue is a dict
keyed by the English text (or by rule id for rule texts); a text it does not hold stays in English rather than
being guessed, so a new rule or message is never wrong, only untranslated. Finding messages are written by the
checks in English and translated here by pattern (a handful of forms make nearly all findings); identifiers,
citations, dates and the JSON field names stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache

LANGUAGES = ("en", "fr")

FR: dict[str, str] = {
    # summary
    "campaigns audit summary": "synthèse de l'audit des campagnes",
    "engine: {engine}{note}": "moteur : {engine}{note}",
    "inputs (rows read = kept + rejected):": "entrées (lignes lues = retenues + rejetées) :",
    "unmapped disposition codes: ": "codes de résultat non reconnus : ",
    "ignored columns: ": "colonnes ignorées : ",
    "warning: {w}": "avertissement : {w}",
    "packs: {packs}": "référentiels : {packs}",
    "rules (which applied, and why the others did not):": "règles (appliquées, et pourquoi les autres ne l'ont pas été) :",
    "{status}: {n} violation(s) in {evaluated} evaluated attempts - {title}":
        "{status} : {n} manquement(s) sur {evaluated} tentatives évaluées - {title}",
    "citation: {c}": "texte : {c}",
    "not evaluated: {reason} ({n} attempts)": "non évaluée : {reason} ({n} tentatives)",
    "out of scope: {reason} ({n} attempts)": "hors champ : {reason} ({n} tentatives)",
    "parameters: ": "paramètres : ",
    "fine exposure: ": "amende encourue : ",
    "violations per campaign:": "manquements par campagne :",
    "total: {v} violation(s), {r} rejected log row(s), {ir} rejected input row(s); coverage {c}; exit code {e}":
        "total : {v} manquement(s), {r} ligne(s) de journal rejetée(s), {ir} ligne(s) d'entrée rejetée(s) ; "
        "couverture {c} ; code de sortie {e}",
    "{n} attempts arrived more than the reorder window out of time order: sort the log by start time for exact "
    "counts": "{n} tentatives hors de l'ordre chronologique au-delà de la fenêtre de tri : triez le journal par "
              "heure de début pour des décomptes exacts",
    "evaluated": "évaluée", "partly evaluated": "partiellement évaluée", "not evaluated": "non évaluée",
    "out of scope": "hors champ", "full": "complète", "gaps": "LACUNES",
    # report
    "Campaign compliance audit": "Audit de conformité des campagnes",
    "{v} violation(s), {r} rejected log row(s), exit code {e}.":
        "{v} manquement(s), {r} ligne(s) de journal rejetée(s), code de sortie {e}.",
    "Coverage": "Couverture",
    "full (every rule in scope evaluated on every attempt)":
        "complète (chaque règle applicable évaluée sur chaque tentative)",
    "GAPS: some rules were not evaluated on some attempts, or rows were rejected (see the rules table)":
        "LACUNES : des règles n'ont pas été évaluées sur certaines tentatives, ou des lignes ont été rejetées "
        "(voir le tableau des règles)",
    "Warning": "Avertissement", "Inputs": "Entrées", "Rules": "Règles", "Violations": "Manquements",
    "Charts": "Graphiques", "rule": "règle", "certainty": "certitude", "citation": "texte",
    "coverage": "couverture", "violations": "manquements", "not evaluated / out of scope":
        "non évaluée / hors champ", "parameters": "paramètres", "fine exposure": "amende encourue",
    "call": "appel", "phone": "numéro", "person": "personne", "campaign": "campagne",
    "callee local time": "heure locale de l'appelé", "finding": "constat", "reasoning": "raisonnement",
    "evidence": "preuves", "rule text, citation": "texte de la règle, référence", "refusal": "refus",
    "opt_out": "opposition", "entry": "inscription", "list_entry": "inscription", "consents_seen": "consentements vus",
    "contracts_seen": "contrats vus",
    "Findings per rule": "Manquements par règle", "Findings per campaign": "Manquements par campagne",
    "Findings per day": "Manquements par jour",
    "Calls by hour and weekday (callee local time); legal windows outlined":
        "Appels par heure et jour de la semaine (heure locale de l'appelé) ; plages légales encadrées",
    "Attempts per person (persons with findings)": "Tentatives par personne (personnes avec manquements)",
    "no data": "aucune donnée",
    "Showing {shown} of {total} findings (each rule's first ones, then in log order); all {total} are in the CSV and "
    "JSON outputs (--format csv, --format json) and in the results store.":
        "{shown} manquements affichés sur {total} (les premiers de chaque règle, puis dans l'ordre du journal) ; "
        "les {total} figurent dans les sorties CSV et JSON (--format csv, --format json) et dans la base de "
        "résultats.",
    "Mon": "lun", "Tue": "mar", "Wed": "mer", "Thu": "jeu", "Fri": "ven", "Sat": "sam", "Sun": "dim",
    "attempt": "tentative", "attempt with a finding": "tentative en manquement",
    # reasoning (campaigns/output_explain.py)
    "rule {id}: {title} ({citation}; certainty {certainty}: {meaning})":
        "règle {id} : {title} ({citation} ; certitude {certainty} : {meaning})",
    "verified against the text": "vérifiée sur le texte", "from a secondary source": "source secondaire",
    "unverified": "non vérifiée",
    "the call started at {local} callee time ({zones}), {utc} UTC":
        "l'appel a commencé à {local}, heure de l'appelé ({zones}), {utc} UTC",
    "finding: {message}": "constat : {message}",
    "{date} is {holiday}, a public holiday in the calendar {calendar} (holidays package)":
        "le {date} est {holiday}, jour férié du calendrier {calendar} (paquet holidays)",
    "earlier attempts counted ({n}):": "tentatives antérieures comptées ({n}) :",
    "purpose": "finalité", "disposition": "résultat",
    "assumed: no principal known, every campaign of the log counted as one principal":
        "hypothèse : aucun donneur d'ordre connu, toutes les campagnes du journal comptées comme un seul",
    "assumed: time zone from the {basis}": "hypothèse : fuseau horaire déterminé par {basis}",
    "country": "le pays", "area_code": "l'indicatif régional", "residence": "la résidence",
}

RULE_TITLES_FR: dict[str, str] = {
    "fr-2023.hours": "Appels uniquement de 10 h à 13 h et de 14 h à 20 h, heure locale de l'appelé",
    "fr-2023.weekend": "Aucun appel le samedi ni le dimanche",
    "fr-2023.holiday": "Aucun appel les jours fériés (C. trav. L3133-1)",
    "fr-2023.frequency": "Au plus 4 tentatives par personne sur 30 jours calendaires, par professionnel",
    "fr-2023.refusal": "Aucune tentative dans les 60 jours calendaires pleins suivant un refus",
    "fr-2023.opposition": "Aucune prospection des numéros inscrits sur Bloctel",
    "fr-2023.scrub": "Fichiers confrontés à Bloctel au moins une fois par mois",
    "fr-2023.caller_id": "Les automates n'affichent que des numéros NPV, jamais un mobile (06/07)",
    "fr-2023.sector_ban": "Aucune prospection pour la rénovation énergétique ou l'adaptation du logement hors "
                          "contrat",
    "fr-2026.consent": "Prospection seulement avec le consentement préalable du consommateur",
    "gdpr.objection": "Aucun appel à une personne qui s'est opposée, sur aucun de ses numéros",
}

MESSAGES_FR: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^called at (.+), outside (.+)$"), r"appel à \1, hors des plages \2"),
    (re.compile(r"(\d\d:\d\d) in ([\w/+-]+)"), r"\1 (\2)"),
    (re.compile(r"\((\w+) on call ([^)]+)\); (\d+) full calendar days: earliest recontact (\S+) 00:00"),
     r"(\1, appel \2) ; \3 jours calendaires pleins : recontact au plus tôt le \4 à 00:00"),
    (re.compile(r"\((\w+) on call ([^)]+)\); (\d+) x 24 h: earliest recontact (\S+)"),
     r"(\1, appel \2) ; \3 x 24 h : recontact au plus tôt \4"),
    (re.compile(r"\(opt-out on call ([^,]+), "), r"(opposition lors de l'appel \1, "),
    (re.compile(r"^called on a closed day \((.+)\)$"), r"appel un jour exclu (\1)"),
    (re.compile(r"^attempt (\d+) to this person within (\d+) calendar days \(local dates, day of the call "
                r"included\); the cap is (\d+)$"),
     r"tentative n° \1 vers cette personne en \2 jours calendaires (dates locales, jour de l'appel compris) ; "
     r"le plafond est \3"),
    (re.compile(r"^called ([\d.]+) days after a refusal (.+)$"), r"appel \1 jours après un refus \2"),
    (re.compile(r"^called after the person objected (.+)$"), r"appel après l'opposition de la personne \1"),
    (re.compile(r"^(\S+) is on the (\S+) list since (\S+)(.*)$"), r"\1 est inscrit sur la liste \2 depuis \3\4"),
]


def translator(lang: str) -> Callable[[str], str]:
    """t(text) -> the text in `lang` (English: itself; a text the catalogue lacks: itself)."""
    if lang == "en":
        return lambda text: text
    if lang != "fr":
        raise ValueError(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    return lambda text: FR.get(text, text)


def rule_title(rule_id: str, title: str, lang: str) -> str:
    """The rule's text in `lang` (the pack's English title when the catalogue has none)."""
    return RULE_TITLES_FR.get(rule_id, title) if lang == "fr" else title


HOLIDAY = re.compile(r"^called on a public holiday: (.+) \((\S+), calendar (\S+)\)$")


@lru_cache(maxsize=4096)
def holiday_name(calendar: str, day: str, name: str, lang: str) -> str:
    """The holiday's name in `lang` from the `holidays` package's own translations (its French names are the
    official ones: Lundi de Pâques, Saint-Étienne); `name` when the calendar or language has none."""
    if lang == "en":
        return name
    import holidays

    country, _, subdiv = calendar.partition("-")
    try:
        found = holidays.country_holidays(country, subdiv=subdiv or None, language=lang).get(date.fromisoformat(day))
    except (NotImplementedError, ValueError, KeyError):
        return name
    return str(found) if found else name


def message(text: str, lang: str) -> str:
    """A finding's message in `lang`, when one of the catalogue's forms matches it."""
    if lang != "fr":
        return text
    hit = HOLIDAY.match(text)
    if hit:
        name, day, calendar = hit.groups()
        return f"appel un jour férié : {holiday_name(calendar, day, name, lang)} ({day}, calendrier {calendar})"
    for pattern, replacement in MESSAGES_FR:  # each form in turn: a message's parts are translated in place
        text = pattern.sub(replacement, text)
    return text
