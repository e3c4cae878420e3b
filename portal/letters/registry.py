"""Versioned letter templates and the fixed texts every letter shares.

A letter's text is part of what a person was told, so it lives in one template file per language
(templates/letters/<language>/<kind>.html), not in the translation catalogue, and every change to
it gets a new version string here. The consent ledger records that version as the
`information_version` a person received (informed consent, Privacyprotocol art. 2 sub 1).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from portal.letters.models import LetterKind

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "letters"

LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class LetterTemplate:
    kind: LetterKind
    name: str  # file name in templates/letters/<language>/
    version: str
    access_code: bool = False  # printed with a one-time sign-in code for the citizen portal
    to_household: bool = False  # addressed to the household, not to one person

    def path(self, language: str) -> str:
        return f"letters/{language}/{self.name}"


TEMPLATES: dict[LetterKind, LetterTemplate] = {
    template.kind: template
    for template in (
        LetterTemplate(
            LetterKind.INFORMATION, "information.html", "informatiebrief-2026-01", access_code=True
        ),
        LetterTemplate(LetterKind.ACKNOWLEDGEMENT, "acknowledgement.html", "ontvangst-2026-01"),
        LetterTemplate(LetterKind.EXTENSION, "extension.html", "verlenging-2026-01"),
        LetterTemplate(LetterKind.DECISION, "decision.html", "besluit-2026-01"),
        # The cover letter with the report itself (AVG art. 15); inzage-2026-01 was the cover
        # letter alone (access_report.html, kept for the letters sent with it).
        LetterTemplate(LetterKind.ACCESS_REPORT, "access_report_full.html", "inzage-2026-02"),
        LetterTemplate(
            LetterKind.NOT_PICKED_UP,
            "not_picked_up.html",
            "niet-opgepakt-2026-01",
            to_household=True,
        ),
        LetterTemplate(LetterKind.RESTRICTION, "restriction.html", "beperking-2026-01"),
        LetterTemplate(
            LetterKind.RESTRICTION_ENDED, "restriction_ended.html", "beperking-einde-2026-01"
        ),
        LetterTemplate(
            LetterKind.PROCESSING_RESTRICTION_LIFTED,
            "processing_restriction_lifted.html",
            "beperking-verwerking-einde-2026-01",
        ),
        LetterTemplate(
            LetterKind.WITHDRAWAL_CONFIRMATION,
            "withdrawal_confirmation.html",
            "intrekking-2026-01",
        ),
    )
}


def template_for(kind: LetterKind) -> LetterTemplate:
    return TEMPLATES[kind]


def current_information_version() -> str:
    """The version of the information letter sent today; the one a consent given now rests on."""
    return TEMPLATES[LetterKind.INFORMATION].version


# The sender on every letter. The college of B&W is controller (Privacyreglement,
# Verantwoordelijke); requests go to the college "middels de website van de gemeente Nijmegen".
SENDER = {
    "organisation": "Gemeente Nijmegen",
    "postal_address": "Postbus 9105",
    "postal_city": "6500 HG Nijmegen",
    "phone": "14 024",
    "website": "www.nijmegen.nl",
}

# Who signs a letter no staff member sent: the confirmation of the person's own action in the
# citizen portal (portal.letters.operations.send_letter without an actor).
PORTAL_SIGNER = {
    "nl": "Het privacyloket (deze brief is automatisch gemaakt)",
    "en": "The privacy desk (this letter was made automatically)",
}

# The supervisory authority (AVG art. 77), named in every letter.
SUPERVISOR = {
    "name": "Autoriteit Persoonsgegevens",
    "postal_address": "Postbus 93374",
    "postal_city": "2509 AJ Den Haag",
    "website": "autoriteitpersoonsgegevens.nl",
}

# How each kind of partner takes part (Convenant art. 4.2), as the information letter says it.
PARTICIPATION_LABELS = {
    "nl": {
        "core": "Vaste partner in het Regieteam",
        "schilpartner": "Doet mee als dat voor een huishouden nodig is",
        "incidental": "Wordt ingeschakeld als dat voor een huishouden nodig is",
        "chain": "Wordt ingeschakeld als de veiligheid in gevaar is",
    },
    "en": {
        "core": "Permanent partner in the Regieteam",
        "schilpartner": "Takes part when a household needs it",
        "incidental": "Is called in when a household needs it",
        "chain": "Is called in when safety is at risk",
    },
}

# The rights of AVG art. 15-21 as the request letters name them.
RIGHTS = ("access", "rectification", "erasure", "restriction", "objection", "information")

RIGHT_LABELS = {
    "nl": {
        "access": "inzage in uw gegevens",
        "rectification": "het verbeteren of aanvullen van uw gegevens",
        "erasure": "het wissen van uw gegevens",
        "restriction": "het beperken van het gebruik van uw gegevens",
        "objection": "bezwaar tegen het gebruik van uw gegevens",
        "information": "informatie over het gebruik van uw gegevens",
    },
    "en": {
        "access": "access to your data",
        "rectification": "correction or completion of your data",
        "erasure": "erasure of your data",
        "restriction": "restriction of the use of your data",
        "objection": "objection to the use of your data",
        "information": "information about the use of your data",
    },
}

# Privacyprotocol art. 5: rights are restricted "indien sprake is van de vrijwaring van een vitaal
# belang of conflict van plichten" - no other ground.
RESTRICTION_GROUNDS = ("vital_interest", "conflict_of_duties")

OUTCOMES = ("granted", "partly", "refused")

# Words of the letter layout itself (letterhead, address block, page footer).
LAYOUT_TEXT = {
    "nl": {
        "unit": "Regieteams overlast- en multiprobleemhuishoudens",
        "date": "Datum",
        "reference": "Ons kenmerk",
        "request": "Uw verzoek",
        "subject": "Onderwerp",
        "contact": "Contact",
        "to_residents": "Aan de bewoners van",
        "representative_of": "Aan de wettelijk vertegenwoordiger van",
        "page": "pagina",
        "of": "van",
        "dear": "Beste",
        "dear_residents": "Beste bewoners,",
        "greeting": "Met vriendelijke groet,",
        "signed_for": "het college van burgemeester en wethouders van Nijmegen, namens dezen,",
        "phone": "telefoon",
        "preview": "VOORBEELD – niet verstuurd",
    },
    "en": {
        "unit": "Regieteams for households with multiple problems",
        "date": "Date",
        "reference": "Our reference",
        "request": "Your request",
        "subject": "Subject",
        "contact": "Contact",
        "to_residents": "To the residents of",
        "representative_of": "To the legal representative of",
        "page": "page",
        "of": "of",
        "dear": "Dear",
        "dear_residents": "Dear residents,",
        "greeting": "Kind regards,",
        "signed_for": "the Municipal Executive of Nijmegen, on its behalf,",
        "phone": "telephone",
        "preview": "PREVIEW – not sent",
    },
}


def fingerprint(kind: LetterKind) -> str:
    """SHA-256 over everything that makes up the text of a kind of letter, in both languages: its
    templates, the shared layout and passages, and the fixed texts above. A test pins the
    fingerprint of each version, so the text cannot change without a new version."""
    template = TEMPLATES[kind]
    digest = hashlib.sha256()
    files = ["_base.html"]
    for language in LANGUAGES:
        files += [f"{language}/_blocks.html", f"{language}/{template.name}"]
    for name in files:
        digest.update(name.encode() + b"\0" + (TEMPLATE_DIR / name).read_bytes() + b"\0")
    texts = [SENDER, SUPERVISOR, RIGHT_LABELS, PARTICIPATION_LABELS, LAYOUT_TEXT]
    digest.update(json.dumps(texts, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()
