"""The annual report pages: the counsellor's drafts and finalisation, everybody's final versions.

* Counsellors (with the vault key): the years and their state, the draft's texts, a preview
  built afresh from the decrypted cases, finalisation (once the year is over) and corrections,
  and a draft as a file to proofread (marked "Concept", audited).
* Counsellors and managers: final versions only, read from their frozen JSON - no case, no
  vault key - shown in the page (``render_fragment``, no inline style) and as PDF, DOCX, XLSX,
  CSV (zip) or HTML downloads, each download audited.

A refusal's explanation (``ReportBlocked.explanation``) may describe small numbers: it is put
on the counsellor's page only and never logged.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from vp_registry.core.report import AnnualReport, ReportTexts
from vp_registry.core.taxonomy import Role
from vp_registry.messages import describe
from vp_registry.render import FORMATS, check_format, content_type, filename, render
from vp_registry.render.html import render_fragment, status_line
from vp_registry.services.errors import Conflict, DomainError, NotFound
from vp_registry.services.reports import archive, drafts, finalising
from vp_registry.services.reports.archive import ReportVersion
from vp_registry.services.reports.refusals import ReportBlocked, YearNotOver
from vp_registry.web.access import roles
from vp_registry.web.cases.common import needs_vault
from vp_registry.web.database import current_work
from vp_registry.web.forms import show_error
from vp_registry.web.reports.forms import ConfirmForm, FinaliseForm, ReportTextsForm, revision_of

blueprint = Blueprint("reports", __name__, url_prefix="/reports")

# download order on the pages: the formats people open first
DOWNLOADS = ("pdf", "docx", "xlsx", "csv", "html")
FORMAT_NAMES = {"pdf": "PDF", "docx": "Word (DOCX)", "xlsx": "Excel (XLSX)",
                "csv": "CSV (zip)", "html": "HTML"}
if set(DOWNLOADS) != set(FORMATS):  # pragma: no cover - a new format must be offered here
    raise RuntimeError("every report format must be offered for download")


def _fragment(report: AnnualReport) -> Markup:
    # render_fragment renders report_body.html.j2 with autoescape on (render.html.environment)
    return Markup(render_fragment(report))  # noqa: S704  # nosec B704 # autoescaped


def _file(report: AnnualReport, fmt: str) -> Response:
    data = render(report, fmt)
    response = Response(data, content_type=content_type(fmt))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename(report, fmt)}"')
    return response


def _year_status(year: int) -> archive.YearStatus:
    for status in archive.overview(current_work().session, today=date.today()):
        if status.year == year:
            return status
    raise NotFound()


# ------------------------------------------------------------------ counsellor


@blueprint.get("")
@roles(Role.COUNSELLOR)
def index() -> str:
    """The years and the state of each year's report (plaintext only: no vault key needed)."""
    return render_template("reports/index.html",
                           years=archive.overview(current_work().session, today=date.today()))


@blueprint.route("/<int:year>", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def edit(year: int) -> BaseResponse | str:
    work = current_work()
    status = _year_status(year)
    draft = drafts.get_draft(work, year)
    form = ReportTextsForm()
    if draft is not None and request.method == "GET":
        form.locale.data = draft.locale
        form.introduction.data = draft.texts.introduction
        form.recommendations.data = draft.texts.recommendations
        form.revision.data = str(draft.revision)
    if draft is not None and form.validate_on_submit():
        try:
            drafts.save_texts(work, year, revision_of(form.revision.data),
                              ReportTexts(form.introduction.data or "",
                                           form.recommendations.data or ""),
                              form.locale.data or "nl")
        except Conflict as error:
            flash(describe(error), "error")
            return redirect(url_for("reports.edit", year=year))
        except DomainError as error:
            show_error(form, error, "recommendations")
        else:
            flash(_("The texts have been saved."), "success")
            return redirect(url_for("reports.edit", year=year))
    return render_template(
        "reports/edit.html", status=status, draft=draft, form=form,
        versions=[v for v in archive.versions(work.session, year) if v.final],
        correction_form=ConfirmForm(), downloads=DOWNLOADS, format_names=FORMAT_NAMES)


@blueprint.get("/<int:year>/preview")
@roles(Role.COUNSELLOR)
@needs_vault
def preview(year: int) -> BaseResponse | str:
    work = current_work()
    status = _year_status(year)
    draft = drafts.get_draft(work, year)
    if draft is None:
        flash(_("This annual report has been finalised. Start a correction to change it."),
              "error")
        return redirect(url_for("reports.edit", year=year))
    try:
        report = finalising.preview(work, year)
    except ReportBlocked as blocked:
        return render_template("reports/refused.html", status=status,
                               explanation=blocked.explanation, finalising=False)
    form = FinaliseForm()
    form.revision.data = str(draft.revision)
    return render_template(
        "reports/view.html", report=report, fragment=_fragment(report),
        status_text=status_line(report), draft=draft, status=status, finalise_form=form,
        version=None, downloads=DOWNLOADS, format_names=FORMAT_NAMES)


@blueprint.post("/<int:year>/finalise")
@roles(Role.COUNSELLOR)
@needs_vault
def finalise(year: int) -> BaseResponse | str:
    status = _year_status(year)
    form = FinaliseForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(url_for("reports.preview", year=year))
    try:
        version = finalising.finalise(current_work(), year, revision_of(form.revision.data))
    except ReportBlocked as blocked:  # nothing was released; the ledger audited the refusal
        return render_template("reports/refused.html", status=status,
                               explanation=blocked.explanation, finalising=True)
    except (Conflict, YearNotOver, NotFound) as error:
        flash(describe(error), "error")
        return redirect(url_for("reports.edit", year=year))
    flash(_("The annual report %(year)s has been finalised. Management can now read and "
            "download it.", year=year), "success")
    return redirect(url_for("reports.view", year=year, version=version.version))


@blueprint.post("/<int:year>/correction")
@roles(Role.COUNSELLOR)
@needs_vault
def correct(year: int) -> BaseResponse:
    if ConfirmForm().validate_on_submit():
        try:
            drafts.start_correction(current_work(), year)
        except (Conflict, NotFound) as error:
            flash(describe(error), "error")
        else:
            flash(_("A correction has been started: a new draft version with the texts of the "
                    "last version. The published version stays as it is until you finalise "
                    "the correction."), "success")
    return redirect(url_for("reports.edit", year=year))


@blueprint.get("/<int:year>/draft.<fmt>")
@roles(Role.COUNSELLOR)
@needs_vault
def draft_file(year: int, fmt: str) -> BaseResponse | str:
    """The draft as a file, to proofread (marked as a draft on every page; audited)."""
    try:
        fmt = check_format(fmt)
    except ValueError:
        raise NotFound() from None
    work = current_work()
    status = _year_status(year)
    try:
        report = finalising.preview(work, year)
    except ReportBlocked as blocked:
        return render_template("reports/refused.html", status=status,
                               explanation=blocked.explanation, finalising=False)
    finalising.record_draft_export(work, year, report.version, fmt)
    return _file(report, fmt)


# ------------------------------------------------------------------ final versions


@blueprint.get("/published")
@roles(Role.COUNSELLOR, Role.MANAGER)
def published() -> str:
    """Every finalised report (managers read nothing else of the reports)."""
    return render_template("reports/published.html",
                           versions=archive.published(current_work().session), downloads=DOWNLOADS,
                           format_names=FORMAT_NAMES)


def _final(year: int, version: int) -> tuple[ReportVersion, AnnualReport]:
    return archive.final_report(current_work().session, year, version)


@blueprint.get("/<int:year>/v<int:version>")
@roles(Role.COUNSELLOR, Role.MANAGER)
def view(year: int, version: int) -> str:
    stored, report = _final(year, version)
    latest, _report = archive.final_report(current_work().session, year)
    return render_template(
        "reports/view.html", report=report, fragment=_fragment(report),
        status_text=status_line(report), draft=None, status=None, finalise_form=None,
        version=stored, latest=latest, downloads=DOWNLOADS, format_names=FORMAT_NAMES,
        back=url_for("reports.edit", year=year) if current_user.role == Role.COUNSELLOR.value
        else url_for("reports.published"))


@blueprint.get("/<int:year>/v<int:version>/<fmt>")
@roles(Role.COUNSELLOR, Role.MANAGER)
def download(year: int, version: int, fmt: str) -> Response:
    try:
        fmt = check_format(fmt)
    except ValueError:
        raise NotFound() from None
    stored, report = _final(year, version)
    finalising.record_download(current_work(), stored, fmt)
    return _file(report, fmt)
