"""The pulse's questions: the built-in team psychological-safety statements, the toolbox's own
optional questions and the free-text prompt (issue 16).

The seven safety statements follow the *idea* of Edmondson's team psychological safety scale
(1999) - speaking up, being accepted as one is, taking a risk, asking for help, mistakes not
held against you, being valued - in our own words; they are not a translation of her items.
Every answer is on one 7-point scale (``SCALE_POINTS``), 1 = the low anchor, 7 = the high one.
A *reversed* statement is worded so that agreeing means less safety: scoring turns it round
(``8 - x``, :mod:`vp_registry.core.pulse.scoring`) before it enters the scale score. Only the
``in_scale`` statements make up the scale score; the toolbox's questions and custom statements
are reported per item only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SCALE_POINTS: Final = 7
AGREE_LOW_NL: Final = "Helemaal mee oneens"
AGREE_HIGH_NL: Final = "Helemaal mee eens"
AGREE_LOW_EN: Final = "Strongly disagree"
AGREE_HIGH_EN: Final = "Strongly agree"
CUSTOM_PREFIX: Final = "c"  # custom statements of a round: "c1", "c2", ...
MAX_CUSTOM_STATEMENTS: Final = 5
MAX_STATEMENT_LENGTH: Final = 300


@dataclass(frozen=True)
class Statement:
    """One item answered on the 7-point scale; ``low_*``/``high_*`` name the ends (1 and 7)."""

    code: str
    text_nl: str
    text_en: str
    reversed: bool = False
    in_scale: bool = True
    low_nl: str = AGREE_LOW_NL
    high_nl: str = AGREE_HIGH_NL
    low_en: str = AGREE_LOW_EN
    high_en: str = AGREE_HIGH_EN

    def text(self, locale: str) -> str:
        return self.text_nl if locale == "nl" else self.text_en

    def anchors(self, locale: str) -> tuple[str, str]:
        """The words for 1 and for 7 in ``locale``."""
        if locale == "nl":
            return self.low_nl, self.high_nl
        return self.low_en, self.high_en


SAFETY_STATEMENTS: Final = (
    Statement("ps1", "Wie in dit team iets fout doet, hoort daar nog lang over.",
              "Whoever gets something wrong in this team hears about it for a long time.",
              reversed=True),
    Statement("ps2", "Ik durf in dit team te zeggen als ik vind dat iets niet goed gaat.",
              "In this team I dare to say so when I think something is not going well."),
    Statement("ps3", "Wie hier afwijkt van de groep, krijgt dat te merken.",
              "Anyone here who differs from the group is made to feel it.", reversed=True),
    Statement("ps4", "In dit team kun je iets nieuws proberen zonder dat het je wordt "
                     "aangerekend als het misgaat.",
              "In this team you can try something new without it counting against you if "
              "it goes wrong."),
    Statement("ps5", "Hulp vragen aan een collega voelt in dit team als een zwaktebod.",
              "Asking a colleague for help feels like a sign of weakness in this team.",
              reversed=True),
    Statement("ps6", "Ik kan erop rekenen dat collega's in dit team mij niet bewust laten "
                     "vallen.",
              "I can count on colleagues in this team not to let me down on purpose."),
    Statement("ps7", "Wat ik kan en weet, wordt in dit team gezien en ingezet.",
              "What I can do and know is noticed and put to use in this team."),
)

# The toolbox's own questions ("Meet en monitor"), optional per round, outside the scale.
TOOLBOX_STATEMENTS: Final = (
    Statement("tb1", "Hoe ervaar je het team en de werkcultuur?",
              "How do you experience the team and its working culture?", in_scale=False,
              low_nl="Heel negatief", high_nl="Heel positief",
              low_en="Very negative", high_en="Very positive"),
    Statement("tb2", "Heb je het gevoel dat je op dezelfde manier wordt behandeld als anderen "
                     "in het team?",
              "Do you feel you are treated in the same way as others in the team?",
              in_scale=False, low_nl="Helemaal niet", high_nl="Helemaal wel",
              low_en="Not at all", high_en="Completely"),
    Statement("tb3", "Zijn er momenten geweest waarop je dacht: dit voelt niet helemaal goed?",
              "Have there been moments when you thought: this does not feel quite right?",
              reversed=True, in_scale=False, low_nl="Nooit", high_nl="Heel vaak",
              low_en="Never", high_en="Very often"),
)

FREE_TEXT_PROMPT_NL: Final = "Is er iets dat wij beter zouden kunnen doen?"
FREE_TEXT_PROMPT_EN: Final = "Is there anything we could do better?"
FREE_TEXT_MAX: Final = 2000

BUILTIN: Final = {s.code: s for s in (*SAFETY_STATEMENTS, *TOOLBOX_STATEMENTS)}
SAFETY_CODES: Final = tuple(s.code for s in SAFETY_STATEMENTS)
TOOLBOX_CODES: Final = tuple(s.code for s in TOOLBOX_STATEMENTS)


def free_text_prompt(locale: str) -> str:
    return FREE_TEXT_PROMPT_NL if locale == "nl" else FREE_TEXT_PROMPT_EN


def custom_statement(position: int, text: str) -> Statement:
    """A round's own statement (agree scale, outside the scale score, text in both languages
    as the counsellor wrote it)."""
    return Statement(f"{CUSTOM_PREFIX}{position}", text, text, in_scale=False)


def round_statements(codes: tuple[str, ...] | list[str],
                     custom: tuple[str, ...] | list[str] = ()) -> tuple[Statement, ...]:
    """A round's statements in order: the safety scale always (all seven, so the scale score
    means the same in every round), then the chosen toolbox questions, then custom ones.
    ValueError for an unknown code, a safety code left out, or too many/too long customs."""
    unknown = [code for code in codes if code not in BUILTIN]
    if unknown:
        raise ValueError(f"unknown statement codes {unknown!r}")
    if len(custom) > MAX_CUSTOM_STATEMENTS:
        raise ValueError(f"at most {MAX_CUSTOM_STATEMENTS} custom statements")
    if any(not text.strip() or len(text) > MAX_STATEMENT_LENGTH for text in custom):
        raise ValueError(f"a custom statement needs 1 to {MAX_STATEMENT_LENGTH} characters")
    toolbox = tuple(BUILTIN[code] for code in TOOLBOX_CODES if code in codes)
    customs = tuple(custom_statement(i, text.strip()) for i, text in enumerate(custom, 1))
    return (*SAFETY_STATEMENTS, *toolbox, *customs)
