"""A correction repeats every figure of the version it corrects (issue 12).
"""

from __future__ import annotations

from datetime import date

from vp_registry.core.report.cells import paragraphs
from vp_registry.core.report.model import AnnualReport, ReportSection, ReportTexts
from vp_registry.core.report.words import format_date, text


def correction(
    corrects: AnnualReport, texts: ReportTexts, locale: str, *, version: int, draft: bool,
    issued_on: date | None, organisation: str,
) -> AnnualReport:
    """A correction: new texts, every figure and table exactly as in the version it corrects.

    Decision (issue 12, docs/decisions.md): a correction never recomputes a figure. Whether a
    figure could still be repeated, or had to be marked, withheld or refused, would depend on
    what changed in the cases since - the difference between two versions is itself a table
    of small counts (one case registered late, one moved) - so a reader comparing versions
    would learn it. Repeating the published figures whatever changed is the only choice that
    depends on public information alone; it releases nothing new (``figures`` is empty).
    A case registered late or changed after the year's report is in the counsellor's
    register, never in this year's published figures.
    """
    if corrects.version >= version or corrects.draft:
        raise ValueError("a correction follows a final version of the same year")
    if corrects.locale != locale:
        raise ValueError("a correction keeps the language of the version it corrects")
    when = (format_date(locale, corrects.issued_on, long=True)
            if corrects.issued_on is not None else "")
    note = text(locale, "correction_note", version=corrects.version, date=when)
    sections = []
    for section in corrects.sections:
        if section.key == "introduction":
            section = ReportSection(section.key, section.number, section.title,
                                    (*paragraphs(texts.introduction, locale), note))
        elif section.key == "recommendations":
            section = ReportSection(section.key, section.number, section.title,
                                    paragraphs(texts.recommendations, locale))
        sections.append(section)
    return AnnualReport(
        year=corrects.year, locale=locale, title=corrects.title,
        organisation=organisation or corrects.organisation, draft=draft, version=version,
        issued_on=issued_on, k=corrects.k, legend=corrects.legend, sections=tuple(sections),
        figures=(), aggregates=corrects.aggregates,
    )
