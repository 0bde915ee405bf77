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
Replacement = str | Callable[[re.Match[str]], str]
"""A pattern's French form: a template (\\1...) or a function of the match."""

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
    "JSON outputs (--format csv, --format json), and in the results store when the run is stored.":
        "{shown} manquements affichés sur {total} (les premiers de chaque règle, puis dans l'ordre du journal) ; "
        "les {total} figurent dans les sorties CSV et JSON (--format csv, --format json), et dans la base de "
        "résultats quand l'audit y est enregistré.",
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
    "previous_attempt": "tentative précédente", "per": "par", "also breaches": "enfreint aussi",
    "the same act also breaches {rules}: one finding, counted under this rule":
        "le même acte enfreint aussi {rules} : un seul constat, compté sous cette règle",
    " (columnar not used: {why})": " (moteur colonnaire non utilisé : {why})",
    # table and coverage (campaigns/output.py)
    "call_id": "appel", "local time": "heure locale", "no violations": "aucun manquement",
    "coverage: full (every rule in scope evaluated on every attempt)":
        "couverture : complète (chaque règle applicable évaluée sur chaque tentative)",
    "coverage: GAPS ({n} rule(s) not evaluated on some attempts; exit code 3)":
        "couverture : LACUNES ({n} règle(s) non évaluée(s) sur certaines tentatives ; code de sortie 3)",
    "{rule}: {status}: {parts}": "{rule} : {status} : {parts}",
    "{n} evaluated": "{n} évaluée(s)", "not evaluated on {n} ({reason})": "non évaluée sur {n} ({reason})",
    "out of scope on {n} ({reason})": "hors champ sur {n} ({reason})",
}

REASONS_FR: list[tuple[re.Pattern[str], Replacement]] = [
    (re.compile(r"^field (\w+) absent from the log$"), r"champ \1 absent du journal"),
    (re.compile(r"^field (\w+) absent \(no --(\S+) file\)$"), r"champ \1 absent (pas de fichier --\2)"),
    (re.compile(r"^field (\w+) absent$"), r"champ \1 absent"),
    (re.compile(r"^fields (\w+) and (\w+) absent$"), r"champs \1 et \2 absents"),
    (re.compile(r"^field purpose absent \(give it in the log or the campaigns registry\)$"),
     "champ purpose absent (à donner dans le journal ou le registre des campagnes)"),
    (re.compile(r"^field region absent \(US state unknown\)$"), "champ region absent (État américain inconnu)"),
    (re.compile(r"^field region absent and the number gives no US state$"),
     "champ region absent et le numéro ne donne aucun État américain"),
    (re.compile(r"^callee time zone unknown \(number maps to no zone; add a region or an override\)$"),
     "fuseau horaire de l'appelé inconnu (le numéro ne donne aucun fuseau ; ajoutez une région ou un forçage)"),
    (re.compile(r"^callee country unknown \(invalid number\)$"), "pays de l'appelé inconnu (numéro invalide)"),
    (re.compile(r"^callee country unknown$"), "pays de l'appelé inconnu"),
    (re.compile(r"^callee country (\S+)$"), r"pays de l'appelé \1"),
    (re.compile(r"^campaign (.+) absent from the campaigns registry$"), r"campagne \1 absente du registre des campagnes"),
    (re.compile(r"^purpose (\S+) \(rule covers (.+)\)$"), r"finalité \1 (la règle couvre \2)"),
    (re.compile(r"^not in force on (\S+)$"), r"pas en vigueur le \1"),
]

KINDS_FR = {"attempts": "tentatives", "persons": "personnes", "oppositions": "inscriptions",
            "consents": "consentements", "contracts": "contrats", "scrubs": "confrontations", "campaigns": "campagnes"}

WARNINGS_FR: list[tuple[re.Pattern[str], Replacement]] = [
    (re.compile(r"^no principal known for (\d+) campaign\(s\) \((.+)\): no principal column and no --campaigns "
                r"registry entry, so they count as one principal (.+) \(the most restrictive reading; findings say "
                r"principal_basis: assumed_single\)$"),
     r"aucun donneur d'ordre connu pour \1 campagne(s) (\2) : ni colonne principal ni entrée du registre "
     r"--campaigns, elles comptent donc comme un seul donneur d'ordre \3 (la lecture la plus stricte ; les "
     r"constats portent principal_basis: assumed_single)"),
    (re.compile(r"^(\d+) consent\(s\) name no principal: each counts for every principal of the log \(give a "
                r"principal column in --consents to hold each consent to the professional it was given to\)$"),
     r"\1 consentement(s) sans donneur d'ordre : chacun vaut pour tous les donneurs d'ordre du journal (ajoutez une "
     r"colonne principal à --consents pour rattacher chaque consentement au professionnel qui l'a reçu)"),
    (re.compile(r"^(.+): (\d+) rows read = (\d+) (\w+) \+ (\d+) rejected(.*)$"),
     lambda hit: f"{hit.group(1)} : {hit.group(2)} lignes lues = {hit.group(3)} "
                 f"{KINDS_FR.get(hit.group(4), hit.group(4))} + {hit.group(5)} rejetées"
                 + hit.group(6).replace("MISMATCH", "ÉCART")),
]

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
    "fr-2023.automated_consent": "Prospection par système automatisé (message enregistré) seulement avec le "
                                 "consentement préalable de l'appelé",
    "fr-2026.consent": "Prospection seulement avec le consentement préalable du consommateur",
    "fr-2026.consent_lifetime": "Un consentement vaut au plus un an (décret 2026-662, rapporté par une source "
                                "secondaire seulement)",
    "gdpr.objection": "Aucun appel à une personne qui s'est opposée, sur aucun de ses numéros",
    "fr-survey.hours": "Appels d'enquête dans les heures de la charte (valeur provisoire 09:00-21:00)",
    "fr-survey.sunday": "Aucun appel d'enquête le dimanche ni les jours fériés (valeur provisoire)",
    "fr-survey.min_gap": "Aucun second appel d'enquête à une personne dans les 24 h (valeur provisoire)",
    "policy.min_gap": "Aucune seconde tentative vers une personne dans les N heures, tous numéros confondus",
    "policy.max_per_day": "Au plus N tentatives par personne et par jour local",
    "policy.regional_holidays": "Aucune prospection les jours fériés régionaux de l'appelé (non cités par D223-9 ; "
                                "sans amende)",
    "caller-id.fr": "Les appels de prospection présentent un numéro que le consommateur peut rappeler (pas de "
                    "numéro masqué)",
}

SAID_FR = {"refused": "refus", "opt_out": "opposition"}
WEEKDAYS_FR = {"mon": "lundi", "tue": "mardi", "wed": "mercredi", "thu": "jeudi", "fri": "vendredi", "sat": "samedi",
               "sun": "dimanche"}
_DAY = r"\b(mon|tue|wed|thu|fri|sat|sun)\b"

MESSAGES_FR: list[tuple[re.Pattern[str], Replacement]] = [
    # us-states.hours: "XX: <problem>; <problem>"
    (re.compile(r"(?<=[:;] )" + _DAY + r" is closed in ([A-Z]{2})"),
     lambda hit: f"le {WEEKDAYS_FR[hit.group(1)]} est exclu dans l'État {hit.group(2)}"),
    (re.compile(r"(?<=[:;] )(.+?) is a holiday in ([A-Z]{2})"), r"\1 est un jour férié dans l'État \2"),
    (re.compile(r"(\d\d:\d\d:\d\d) in ([\w/+-]+) is outside ([\d:, -]+|closed)"), r"\1 (\2) hors des plages \3"),
    (re.compile(r"^([A-Z]{2}): (.*)$"), lambda hit: f"{hit.group(1)} : " + hit.group(2).replace("; ", " ; ")),
    (re.compile(r"^called at (.+), outside (.+)$"), r"appel à \1, hors des plages \2"),
    (re.compile(r"(\d\d:\d\d) in ([\w/+-]+)"), r"\1 (\2)"),
    (re.compile(r"\((\w+) on call ([^)]+)\); (\d+) full calendar days: earliest recontact (\S+) 00:00"),
     lambda hit: f"({SAID_FR.get(hit.group(1), hit.group(1))}, appel {hit.group(2)}) ; {hit.group(3)} jours "
                 f"calendaires pleins : recontact au plus tôt le {hit.group(4)} à 00:00"),
    (re.compile(r"\((\w+) on call ([^)]+)\); (\d+) x 24 h: earliest recontact (\S+)"),
     lambda hit: f"({SAID_FR.get(hit.group(1), hit.group(1))}, appel {hit.group(2)}) ; {hit.group(3)} x 24 h : "
                 f"recontact au plus tôt {hit.group(4)}"),
    (re.compile(r"\(opt-out on call ([^,]+), "), r"(opposition lors de l'appel \1, "),
    (re.compile(r"^called on a closed day \((.+)\)$"), r"appel un jour exclu (\1)"),
    (re.compile(r"^attempt (\d+) to this person within (\d+) calendar days \(local dates, day of the call "
                r"included\); the cap is (\d+)$"),
     r"tentative n° \1 vers cette personne en \2 jours calendaires (dates locales, jour de l'appel compris) ; "
     r"le plafond est \3"),
    (re.compile(r"^called ([\d.]+) days after a refusal (.+)$"), r"appel \1 jours après un refus \2"),
    (re.compile(r"^called after the person objected (.+)$"), r"appel après l'opposition de la personne \1"),
    (re.compile(r"^(\S+) is on the (\S+) list since (\S+) \(effective after (\S+) days\)$"),
     r"\1 est inscrit sur la liste \2 depuis le \3 (opposable après \4 jours)"),
    (re.compile(r"^attempt (\d+) to this person within rolling (\S+) h; the cap is (\d+)$"),
     r"tentative n° \1 vers cette personne sur \2 h glissantes ; le plafond est \3"),
    (re.compile(r"^second attempt to this person (\d+) min after the previous one \(minimum gap (\S+) h, across "
                r"numbers\)$"),
     r"seconde tentative vers cette personne \1 min après la précédente (écart minimal \2 h, tous numéros "
     r"confondus)"),
    (re.compile(r"^attempt (\d+) to this person today; the cap is (\d+) a day$"),
     r"tentative n° \1 vers cette personne aujourd'hui ; le plafond est de \2 par jour"),
    (re.compile(r"^called after the person objected \((\S+) list entry for (\S+) dated (\S+)\)$"),
     r"appel après l'opposition de la personne (inscription sur la liste \1 pour \2 du \3)"),
    (re.compile(r"^canvassing call "), "appel de prospection "),
    (re.compile(r"^(manual|preview|progressive|predictive|prerecorded) call "), r"appel en mode \1 "),
    (re.compile(r"^(appel [^:]+?) without prior consent: no consent on file for this person or number$"),
     r"\1 sans consentement préalable : aucun consentement enregistré pour cette personne ou ce numéro"),
    (re.compile(r"^(appel [^:]+?) without prior consent: no consent valid at the time of the call$"),
     r"\1 sans consentement préalable : aucun consentement valable au moment de l'appel"),
    (re.compile(r"^(appel [^:]+?) on a consent older than (\S+) days$"), r"\1 sur un consentement de plus de \2 jours"),
    (re.compile(r"^no (\S+) scrub on file for (.+) before the call; the list must be checked at least every (\d+) "
                r"days$"),
     r"aucune confrontation à la liste \1 enregistrée pour \2 avant l'appel ; la liste doit être consultée au "
     r"moins tous les \3 jours"),
    (re.compile(r"^(.+)'s last (\S+) scrub was (\d+) days before the call \((\S+)\); the list must be checked at "
                r"least every (\d+) days$"),
     r"la dernière confrontation de \1 à la liste \2 date de \3 jours avant l'appel (\4) ; la liste doit être "
     r"consultée au moins tous les \5 jours"),
    (re.compile(r"^(call|automated call) with no caller ID presented$"), r"\1 sans numéro présenté"),
    (re.compile(r"^(call|automated call) presenting (.+), not a phone number$"),
     r"\1 présentant \2, qui n'est pas un numéro de téléphone"),
    (re.compile(r"^(call|automated call) presenting (\S+), not a valid number that can be called back$"),
     r"\1 présentant \2, qui n'est pas un numéro valide pouvant être rappelé"),
    (re.compile(r"^automated call presenting (\S+) \((\w+)\), not a number from the allowed ranges$"),
     r"appel automatisé présentant \1 (\2), hors des tranches de numéros autorisées"),
    (re.compile(r"^automated call "), "appel automatisé "),
    (re.compile(r"^call (sans|présentant) "), r"appel \1 "),
    (re.compile(r"^unanswered call given up after (\S+) s of ringing \(minimum (\S+) s\)$"),
     r"appel sans réponse abandonné après \1 s de sonnerie (minimum \2 s)"),
    (re.compile(r"^redial (\S+) h after an abandoned call to the same number \(hold (\S+) h\)$"),
     r"rappel \1 h après un appel abandonné vers le même numéro (délai \2 h)"),
    (re.compile(r"^canvassing in a banned sector \((.+)\)$"), r"prospection dans un secteur interdit (\1)"),
    (re.compile(r"^campaign (.+): (\d+) abandoned of (\d+) live calls \((\S+) > (\S+)\) from (\S+) to (\S+)$"),
     r"campagne \1 : \2 appels abandonnés sur \3 appels décrochés (\4 > \5) du \6 au \7"),
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


HOLIDAY = re.compile(r"^called on a (regional )?public holiday: (.+) \((\S+), calendar (\S+)\)$")


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
        kind, name, day, calendar = hit.groups()
        what = "un jour férié régional" if kind else "un jour férié"
        return f"appel {what} : {holiday_name(calendar, day, name, lang)} ({day}, calendrier {calendar})"
    for pattern, replacement in MESSAGES_FR:  # each form in turn: a message's parts are translated in place
        text = pattern.sub(replacement, text)
    return re.sub(_DAY, lambda day: WEEKDAYS_FR[day.group(1)], text) if text.startswith("appel un jour exclu") else text


def reason(text: str, lang: str) -> str:
    """A reason a rule was not evaluated or out of scope, in `lang`."""
    if lang != "fr":
        return text
    for pattern, replacement in REASONS_FR:
        out = pattern.sub(replacement, text)
        if out != text:
            return out
    return text


def warning(text: str, lang: str) -> str:
    """A summary warning or reconciliation line, in `lang`."""
    if lang != "fr":
        return text
    for pattern, replacement in WARNINGS_FR:
        out = pattern.sub(replacement, text)
        if out != text:
            return out
    return text
