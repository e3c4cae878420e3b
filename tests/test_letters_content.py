"""Each letter's PDF, read back as text, holds every element its kind requires (issue 4, points 2
and 4). The phrases are parametrised per kind and language, so removing one from a template
fails a test of its own.

Privacyprotocol art. 4 lists what the information letter tells: "welke partners deel uitmaken van
het Regieteam, wat de werkwijze en doelen van het Regieteam zijn [...] wie
verwerkingsverantwoordelijk is en met welk doel persoonsgegevens [...] worden gedeeld [...] om
welke informatie het gaat [...] en met wie [...] diens rechten en onder welke omstandigheden zijn
rechten tijdelijk beperkt kunnen worden [...] hoe lang ze daarin bewaard worden en wat de bron is
[...] dat hij een klacht [...] kan indienen bij de Autoriteit Persoonsgegevens."
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from consent.models import Basis, Channel, ConsentStatus, LegalBasisRecord, Purpose, RecordedBy
from consent.operations import record_decision, withdraw_consent
from portal import operations as portal_ops
from portal.extensions import db
from portal.letters import content, operations
from portal.letters.models import LetterKind
from portal.letters.registry import LANGUAGES, TEMPLATES, fingerprint
from portal.models import Decision, EntryKind, Participation, Role, utcnow
from portal.operations import RuleViolation
from tests import factories as f


@dataclass
class LetterWorld:
    regisseur: object
    manager: object
    person: object
    case: object
    not_picked_up_case: object
    names: dict
    consented: tuple  # (domain, recipient) of the consent given


def build_world() -> LetterWorld:
    """A case with two partners on its team, one partner outside it, a schilpartner, a consent
    given and a public-task basis recorded. Flushes; needs an app context."""
    on_case = f.partner(name="Sterker Sociaal Werk Test")
    housing = f.partner(name="Talis Test")
    off_case = f.partner(name="Politie Test")
    f.partner(name="GGD Test", participation=Participation.SCHILPARTNER)
    regisseur = f.user(Role.PROCESREGISSEUR, f.partner(name="Gemeente Test", is_municipal=True))
    manager = f.user(Role.CASE_MANAGER, on_case, name="Kim Casemanager")
    household = f.household(wijk="Hatert")
    case = f.case(
        procesregisseur=regisseur,
        household_obj=household,
        team=[on_case, housing],
        case_manager=manager,
        members=[manager],
    )
    person = f.person(
        household, given_name="Sam", family_name="Vermeulen", email="sam@test.example"
    )
    wonen = f.domain(name_nl="Wonen Test", name_en="Housing Test")
    geld = f.domain(name_nl="Geld Test", name_en="Money Test")
    portal_ops.add_entry(
        regisseur,
        case,
        kind=EntryKind.PROGRESS,
        domain=wonen,
        text="Huurachterstand besproken.",
        person=person,
        source_partner=housing,
    )
    record_decision(
        manager,
        person=person,
        domain=wonen,
        recipient=on_case,
        purpose=Purpose.PLAN,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION,
        information_version="informatiebrief-2026-01",
        effective_at=utcnow() - timedelta(days=1),
        case=case,
    )
    db.session.add(
        LegalBasisRecord(
            case_id=case.id,
            phase=5,
            partner_id=housing.id,
            domain_id=geld.id,
            purpose=Purpose.REGIE,
            basis=Basis.PUBLIC_TASK,
            statute="Wet gemeentelijke schuldhulpverlening art. 3",
            proportionality="Alleen de achterstand.",
            subsidiarity="Geen andere weg.",
            recorded_by_id=regisseur.id,
            recorded_at=utcnow() - timedelta(days=1),
        )
    )
    turned_away = f.case(
        procesregisseur=regisseur,
        household_obj=f.household(wijk="Lindenholt"),
        phase=2,
        decision=Decision.NOT_PICKED_UP,
        closed_on=date(2026, 2, 3),
    )
    db.session.flush()
    names = {
        "on_case": on_case.name,
        "housing": housing.name,
        "off_case": off_case.name,
        "reference": case.reference,
        "person": person.full_name,
        "manager": manager.name,
    }
    return LetterWorld(regisseur, manager, person, case, turned_away, names, (wonen, on_case))


def drafts(world: LetterWorld, language: str) -> dict:
    person = world.person
    request = dict(request_reference="AVG-2026-0042", language=language)
    return {
        LetterKind.INFORMATION: content.information(person, world.case, language=language),
        LetterKind.ACKNOWLEDGEMENT: content.acknowledgement(
            person,
            right="access",
            received_on=date(2026, 3, 2),
            due_on=date(2026, 4, 2),
            **request,
        ),
        LetterKind.EXTENSION: content.extension(
            person,
            right="erasure",
            received_on=date(2026, 3, 2),
            original_due_on=date(2026, 4, 2),
            new_due_on=date(2026, 6, 2),
            reasons="Wij moeten gegevens bij vier organisaties opvragen.",
            **request,
        ),
        LetterKind.DECISION: content.decision(
            person,
            right="rectification",
            received_on=date(2026, 3, 2),
            outcome="refused",
            reasons="De gegevens kloppen volgens de bron.",
            **request,
        ),
        LetterKind.ACCESS_REPORT: content.access_report(
            person, received_on=date(2026, 3, 2), **request
        ),
        LetterKind.NOT_PICKED_UP: content.not_picked_up(
            world.not_picked_up_case, language=language
        ),
        LetterKind.RESTRICTION: content.restriction(
            person,
            right="access",
            ground="conflict_of_duties",
            since=date(2026, 3, 10),
            review_on=date(2026, 5, 10),
            language=language,
        ),
        LetterKind.RESTRICTION_ENDED: content.restriction_ended(
            person,
            right="access",
            ground="vital_interest",
            since=date(2026, 3, 10),
            ended_on=date(2026, 4, 20),
            language=language,
        ),
        LetterKind.PROCESSING_RESTRICTION_LIFTED: content.processing_restriction_lifted(
            person,
            since=date(2026, 3, 10),
            lifted_on=date(2026, 4, 20),
            reasons="De rechter heeft beslist." if language == "nl" else "The court decided.",
            request_reference="AVG-2026-0007",
            language=language,
        ),
        LetterKind.WITHDRAWAL_CONFIRMATION: content.withdrawal_confirmation(
            person,
            withdrawn=[
                {
                    "organisation": world.names["on_case"],
                    "domain": "wonen test" if language == "nl" else "housing test",
                    "purpose": "een plan van aanpak maken"
                    if language == "nl"
                    else "making the plan",
                }
            ],
            # 23:30 UTC is the next day in Nijmegen: the letter gives the local date and time.
            withdrawn_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC),
            told=[world.names["on_case"], world.names["housing"]],
            language=language,
        ),
    }


# Every letter: letterhead, page x of y, the AP, the sender's address, the reference.
COMMON = {
    "nl": [
        "Gemeente Nijmegen",
        "pagina 1 van",
        "Autoriteit Persoonsgegevens",
        "Postbus 93374",
        "Postbus 9105",
        "Met vriendelijke groet",
        "college van burgemeester en wethouders",
    ],
    "en": [
        "Gemeente Nijmegen",
        "page 1 of",
        "Autoriteit Persoonsgegevens",
        "Postbus 93374",
        "Postbus 9105",
        "Kind regards",
        "Municipal Executive of Nijmegen",
    ],
}
BEZWAAR = {
    "nl": [
        "bezwaar maken",
        "binnen zes weken",
        "artikel 34 Uitvoeringswet AVG",
        "Algemene wet bestuursrecht",
    ],
    "en": [
        "lodge an objection",
        "within six weeks",
        "article 34",
        "General Administrative Law Act",
    ],
}
REQUIRED = {
    (LetterKind.INFORMATION, "nl"): [
        # partners of the Regieteam, and which are on this case
        "Welke organisaties zitten in het Regieteam?",
        "{off_case}",
        "GGD Test",
        "Welke organisaties werken aan uw situatie?",
        "Uw casemanager is {manager}",
        # way of working and goals
        "Hoe werkt het Regieteam?",
        "één plan van aanpak",
        "Wat zijn de doelen van het Regieteam?",
        "Overlast in de buurt wordt minder",
        # controller
        "Wie is verantwoordelijk voor uw gegevens?",
        "college van burgemeester en wethouders van Nijmegen is verantwoordelijk",
        # purposes
        "Waarvoor gebruiken wij uw gegevens?",
        "Wij gebruiken uw gegevens niet voor andere doelen",
        # which data is shared with whom and on which basis
        "Welke gegevens delen wij, met wie en waarom?",
        "Wonen Test",
        "Uw toestemming",
        "Geld Test",
        "Een taak uit de wet",
        "Wet gemeentelijke schuldhulpverlening art. 3",
        # rights, and when they can be restricted
        "Uw rechten",
        "recht op inzage",
        "recht op rectificatie",
        "recht op vergetelheid",
        "recht op beperking",
        "recht van bezwaar",
        "Wanneer kunnen uw rechten tijdelijk beperkt worden?",
        "vitaal belang",
        "conflict van plichten",
        # retention
        "Hoe lang bewaren wij uw gegevens?",
        "vijftien jaar nadat de hulp is afgelopen",
        # source
        "Waar komen uw gegevens vandaan?",
        "van uzelf en van deze organisaties: {housing}",
        # withdrawing consent
        "Hoe trekt u uw toestemming in?",
        "mag u die altijd intrekken",
        # complaint
        "Een klacht indienen",
        # access code
        "Uw persoonlijke inlogcode",
        "{code}",
        "{reference}",
        "Beste {person}",
    ],
    (LetterKind.INFORMATION, "en"): [
        "Which organisations are in the Regieteam?",
        "{off_case}",
        "GGD Test",
        "Which organisations work on your situation?",
        "Your case manager is {manager}",
        "How does the Regieteam work?",
        "one plan for your household",
        "What are the goals of the Regieteam?",
        "less nuisance in the neighbourhood",
        "Who is responsible for your data?",
        "controller",
        "What do we use your data for?",
        "We do not use your data for other purposes",
        "Which data do we share, with whom and why?",
        "Housing Test",
        "Your consent",
        "Money Test",
        "A task set by law",
        "Wet gemeentelijke schuldhulpverlening art. 3",
        "Your rights",
        "right of access",
        "right to rectification",
        "right to erasure",
        "right to restriction",
        "right to object",
        "When can your rights be restricted for a while?",
        "vital interest",
        "conflict of duties",
        "How long do we keep your data?",
        "fifteen years after the help has ended",
        "Where does your data come from?",
        "from you and from these organisations: {housing}",
        "How do you withdraw your consent?",
        "You may withdraw it at any time",
        "Making a complaint",
        "Your personal sign-in code",
        "{code}",
        "{reference}",
        "Dear {person}",
    ],
    (LetterKind.ACKNOWLEDGEMENT, "nl"): [
        "Wij hebben uw verzoek ontvangen",
        "2 maart 2026",
        "inzage in uw gegevens",
        "AVG-2026-0042",
        "uiterlijk op 2 april 2026",
        "binnen een maand",
        "met twee maanden",
        "geen kopie van uw identiteitsbewijs",
    ],
    (LetterKind.ACKNOWLEDGEMENT, "en"): [
        "We have received your request",
        "2 March 2026",
        "access to your data",
        "AVG-2026-0042",
        "on 2 April 2026 at the latest",
        "within one month",
        "by two months",
        "do not make a copy of your identity document",
    ],
    (LetterKind.EXTENSION, "nl"): [
        "Wij hebben meer tijd nodig",
        "het wissen van uw gegevens",
        "2 april 2026",
        "met twee maanden (artikel 12, lid 3 AVG)",
        "uiterlijk op 2 juni 2026",
        "Waarom hebben wij meer tijd nodig?",
        "bij vier organisaties opvragen",
    ],
    (LetterKind.EXTENSION, "en"): [
        "We need more time",
        "erasure of your data",
        "2 April 2026",
        "by two months (article 12(3) GDPR)",
        "on 2 June 2026 at the latest",
        "Why do we need more time?",
        "bij vier organisaties opvragen",
    ],
    (LetterKind.DECISION, "nl"): [
        "Besluit op uw verzoek",
        "Wij wijzen uw verzoek af",
        "Waarom hebben wij zo besloten?",
        "De gegevens kloppen volgens de bron",
        *BEZWAAR["nl"],
        "naar de rechter",
    ],
    (LetterKind.DECISION, "en"): [
        "Decision on your request",
        "We refuse your request",
        "Why did we decide this?",
        "De gegevens kloppen volgens de bron",
        *BEZWAAR["en"],
        "go to court",
    ],
    (LetterKind.ACCESS_REPORT, "nl"): [
        "het overzicht waar u om vroeg",
        "soorten gegevens",
        "de doelen",
        "de ontvangers",
        "de bewaartermijn",
        "vijftien jaar",
        "de bron",
        *BEZWAAR["nl"],
    ],
    (LetterKind.ACCESS_REPORT, "en"): [
        "the overview you asked for",
        "categories of data",
        "the purposes",
        "the recipients",
        "the retention period",
        "fifteen years",
        "the source",
        *BEZWAAR["en"],
    ],
    (LetterKind.NOT_PICKED_UP, "nl"): [
        "Het Regieteam pakt uw situatie niet op",
        "Aan de bewoners van",
        "Lindenholt",
        "3 februari 2026",
        "Er worden geen gegevens over u opgeslagen",
        "neemt die weer mee terug naar haar eigen dossier",
        "Wij bewaren alleen uw adres",
        "Uw rechten",
    ],
    (LetterKind.NOT_PICKED_UP, "en"): [
        "will not take up your situation",
        "To the residents of",
        "Lindenholt",
        "3 February 2026",
        "No data about you is stored",
        "takes it back to its own files",
        "We keep only your address",
        "Your rights",
    ],
    (LetterKind.RESTRICTION, "nl"): [
        "Een van uw rechten is tijdelijk beperkt",
        "inzage in uw gegevens",
        "10 maart 2026",
        "conflict van plichten",
        "Wij hebben opgeschreven waarom",
        "10 mei 2026",
    ],
    (LetterKind.RESTRICTION, "en"): [
        "One of your rights is restricted for a while",
        "access to your data",
        "10 March 2026",
        "conflict of duties",
        "We have written down why",
        "10 May 2026",
    ],
    (LetterKind.RESTRICTION_ENDED, "nl"): [
        "Uw recht is niet meer beperkt",
        "10 maart 2026",
        "20 april 2026",
        "vitaal belang",
        "De beperking is opgeheven",
    ],
    (LetterKind.RESTRICTION_ENDED, "en"): [
        "Your right is no longer restricted",
        "10 March 2026",
        "20 April 2026",
        "vital interest",
        "The restriction has ended",
    ],
    # AVG art. 18(3): told before the restriction of processing is lifted, with reasons; a besluit.
    (LetterKind.PROCESSING_RESTRICTION_LIFTED, "nl"): [
        "Wij gaan uw gegevens weer gebruiken",
        "10 maart 2026",
        "20 april 2026",
        "De rechter heeft beslist.",
        "artikel 34 Uitvoeringswet AVG",
    ],
    (LetterKind.PROCESSING_RESTRICTION_LIFTED, "en"): [
        "We will use your data again",
        "10 March 2026",
        "20 April 2026",
        "The court decided.",
    ],
    # Privacyprotocol art. 2: stops at once, earlier processing stays lawful, nothing deleted.
    (LetterKind.WITHDRAWAL_CONFIRMATION, "nl"): [
        "U heeft uw toestemming ingetrokken",
        "Op 3 maart 2026 om 00:30 uur",
        "{on_case} mag gegevens over wonen test niet meer gebruiken voor: een plan van aanpak",
        "De toestemming stopt direct",
        "blijft geldig",
        "Er wordt niets verwijderd",
        "Wij hebben dit laten weten aan: {on_case}, {housing}",
    ],
    (LetterKind.WITHDRAWAL_CONFIRMATION, "en"): [
        "You have withdrawn your consent",
        "On 3 March 2026 at 00:30",
        "{on_case} may no longer use data about housing test for: making the plan",
        "The consent stops at once",
        "remains valid",
        "Nothing is deleted",
        "We have told: {on_case}, {housing}",
    ],
}

CASES = [
    (kind, language, phrase)
    for (kind, language), phrases in REQUIRED.items()
    for phrase in [*COMMON[language], *phrases]
]
_SENT: dict = {}  # (kind, language) -> (text, values): each letter is rendered once per run


def flat(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def sent_text(kind: LetterKind, language: str) -> tuple[str, dict]:
    if (kind, language) not in _SENT:
        world = build_world()
        letter = operations.send_letter(world.regisseur, drafts(world, language)[kind])
        _SENT[(kind, language)] = (flat(letter.pdf), dict(world.names))
    return _SENT[(kind, language)]


def test_every_kind_and_language_has_required_phrases():
    assert {kind for kind, _ in REQUIRED} == set(LetterKind)
    assert {language for _, language in REQUIRED} == set(LANGUAGES)


@pytest.mark.parametrize(
    "kind,language,phrase", CASES, ids=[f"{k.value}-{lang}-{p[:40]}" for k, lang, p in CASES]
)
def test_letter_contains_required_element(ctx, kind, language, phrase):
    text, values = sent_text(kind, language)
    if phrase == "{code}":
        # The code is random: a code of the printed form appears right after its heading.
        assert re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text), "no sign-in code printed"
        return
    expected = phrase.format(**values)
    assert expected in text, f"{kind.value}/{language}: missing {expected!r}"


def section(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_information_letter_names_the_partners_on_this_case_only_there(ctx, language):
    text, values = sent_text(LetterKind.INFORMATION, language)
    start, end = {
        "nl": ("Welke organisaties werken aan uw situatie?", "Wie is verantwoordelijk"),
        "en": ("Which organisations work on your situation?", "Who is responsible"),
    }[language]
    on_this_case = section(text, start, end)
    assert values["on_case"] in on_this_case and values["housing"] in on_this_case
    assert values["off_case"] not in on_this_case


def test_information_letter_leaves_out_withdrawn_and_refused_sharing(ctx):
    world = build_world()
    shared = operations.letter_context(
        content.information(world.person, world.case, language="nl"), signer="x"
    )["sharing"]
    assert {(row["domain"], row["basis"]) for row in shared} == {
        ("Wonen Test", "Uw toestemming"),
        ("Geld Test", "Een taak uit de wet"),
    }
    domain, recipient = world.consented
    withdraw_consent(
        world.manager,
        person=world.person,
        domain=domain,
        recipient=recipient,
        purpose=Purpose.PLAN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.IN_WRITING,
    )
    shared = content.information(world.person, world.case, language="nl").fields["sharing"]
    assert [(row["domain"], row["statute"]) for row in shared] == [
        ("Geld Test", "Wet gemeentelijke schuldhulpverlening art. 3")
    ]


def test_information_letter_of_a_closed_case_gives_the_destruction_date(ctx):
    world = build_world()
    world.case.closed_on = date(2026, 1, 31)
    draft = content.information(world.person, world.case, language="nl", sharing=[])
    assert draft.fields["retention_until"] == "31 januari 2041"


def test_every_template_exists_in_every_language(app):
    loader = app.jinja_env.loader
    for template in TEMPLATES.values():
        for language in LANGUAGES:
            source, _name, _uptodate = loader.get_source(app.jinja_env, template.path(language))
            assert '{% extends "letters/_base.html" %}' in source


@pytest.mark.parametrize(
    "build,code",
    [
        (lambda w: content.information(w.person, w.not_picked_up_case), "person_not_in_case"),
        (lambda w: content.not_picked_up(w.case), "not_not_picked_up"),
        (lambda w: content.information(w.person, w.case, language="de"), "unknown_language"),
        (
            lambda w: content.decision(
                w.person,
                request_reference="R1",
                right="access",
                received_on=date(2026, 3, 2),
                outcome="refused",
                reasons="  ",
            ),
            "no_reasons",
        ),
        (
            lambda w: content.decision(
                w.person,
                request_reference="R1",
                right="access",
                received_on=date(2026, 3, 2),
                outcome="maybe",
            ),
            "unknown_outcome",
        ),
        (
            lambda w: content.extension(
                w.person,
                request_reference="R1",
                right="access",
                received_on=date(2026, 3, 2),
                original_due_on=date(2026, 4, 2),
                new_due_on=date(2026, 6, 3),
                reasons="Veel werk",
            ),
            "too_long",
        ),
        (
            lambda w: content.extension(
                w.person,
                request_reference="R1",
                right="access",
                received_on=date(2026, 3, 2),
                original_due_on=date(2026, 4, 2),
                new_due_on=date(2026, 6, 2),
                reasons="",
            ),
            "no_reasons",
        ),
        (
            lambda w: content.restriction(
                w.person,
                right="access",
                ground="legitimate_interest",
                since=date(2026, 3, 1),
                review_on=date(2026, 4, 1),
            ),
            "no_ground",
        ),
        (
            lambda w: content.acknowledgement(
                w.person,
                request_reference="",
                right="access",
                received_on=date(2026, 3, 2),
                due_on=date(2026, 4, 2),
            ),
            "no_request_reference",
        ),
        (
            lambda w: content.acknowledgement(
                w.person,
                request_reference="R1",
                right="fly",
                received_on=date(2026, 3, 2),
                due_on=date(2026, 4, 2),
            ),
            "unknown_right",
        ),
    ],
)
def test_builders_refuse_letters_the_rules_do_not_allow(ctx, build, code):
    world = build_world()
    with pytest.raises(RuleViolation) as refused:
        build(world)
    assert refused.value.code == code


# The text of each version, pinned. A template or fixed text that changes without a new version
# would make the consent ledger's `information_version` point at words nobody can show any more.
FINGERPRINTS = {
    "inzage-2026-02": "dbeceb7800d42396e92396d4faaaf343d96993801aed714e2cc8fde4cc0e9063",
    "beperking-verwerking-einde-2026-01": (
        "b5c4f39da8a96074e739b9876df5a1e7c570e67e0db75f74275c788fa534df82"
    ),
    "informatiebrief-2026-01": "f06b990b119b3f938fd76864c888ccb4fe9091a6cb6e22821202064c56c9c8bc",
    "ontvangst-2026-01": "1aa59af7388703731c8917dfc306692e4f8f85f9417f6befab56c9cb1540bcd6",
    "verlenging-2026-01": "1a9bda7d2da511988a48d2a53ac505bf4b7d0ca059782b403fa68aeb8a0c5723",
    "besluit-2026-01": "e4218d7fc7e8643e91aee230c75d21f011819dc4f622389c67fd491c80117809",
    "inzage-2026-01": "41ff5ac1f659bff24f0eb0a3986c7097fa00bcf6a923632fdfa0a5fd86f2fd45",
    "niet-opgepakt-2026-01": "946abb0a93b6d1417d826bc671f4db9077904a9f06bb91ba488042922c9d5bfd",
    "beperking-2026-01": "493b142b40da768c02daaca76e80b71f865df147d4b7b720e807ad61ff3e9f69",
    "beperking-einde-2026-01": "d20f04b79c3086492925bb615c7290490d91c696b1569c72c6fa0d2782238ad7",
    "intrekking-2026-01": "9990a3dccb7f436ff1aa676a1b350e77c64c044d782a84a8d7f75f76c8c47f3b",
}


@pytest.mark.parametrize("kind", list(LetterKind), ids=lambda kind: kind.value)
def test_letter_text_cannot_change_without_a_new_version(kind):
    version = TEMPLATES[kind].version
    assert version in FINGERPRINTS, (
        f"{version} has no pinned fingerprint: add {fingerprint(kind)!r} to FINGERPRINTS"
    )
    assert fingerprint(kind) == FINGERPRINTS[version], (
        f"The text of {kind.value} letters changed but its version is still {version}. Give it "
        "a new version in portal/letters/registry.py and pin the new fingerprint here."
    )
