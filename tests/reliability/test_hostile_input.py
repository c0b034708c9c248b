"""Hostile input (DESIGN I-7, section 3): every form, fuzzed with hypothesis.

The URL map is walked for every rule that accepts POST. For each, a fresh copy of one
demo world (``init`` + ``demo``, plus accounts in every login stage) is logged in as a role
that may use it, the form is found on its page (or on the pages that link to it) and parsed,
and hypothesis fills it with long strings, control characters, right-to-left text, HTML and
SQL fragments, template syntax, invalid dates, numbers out of range or of the wrong type,
missing, repeated and unknown fields. Then, for every example:

- no server error: never a 5xx, nothing logged as unhandled;
- HTML always escaped: no injected tag comes back raw, on the answer nor on the page a
  redirect leads to;
- nothing stored that was refused: an answer that shows a form error (or is a 4xx) leaves
  every table as it was (apart from the audit log, sessions, throttles and caches);
- what the user typed kept on error: every text field of the refused form shows the value
  that was sent (passwords excepted).

Finally an oversized body gets the friendly 413 and stores nothing. A new POST route is
fuzzed automatically; if its form cannot be found the test fails (never fuzzed blind): say in
tests/reliability/world.py where the form is (``FORM_PAGES``) and what state shows it
(``set_the_stage``).
"""

from __future__ import annotations

import html
import io
import string
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.reliability.world import (
    Form,
    FormField,
    Visit,
    database_digest,
    find_form,
    forms_on,
    prepare,
    rules_with,
    set_the_stage,
    url_of,
)

pytestmark = pytest.mark.slow

EXAMPLES = 10  # random examples per POST rule (about 50 rules); GET pages get 4
SCRIPT = "<script>alert('vp')</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(1)>"
HTML_MARKERS = (SCRIPT, IMG, SVG)
HOSTILE = (
    SCRIPT, IMG, SVG, "' OR '1'='1' --", "'; DROP TABLE cases; --", "1; SELECT pg_sleep(5)",
    "{{ 7*7 }}", "{% raw %}", "${7*7}", "\u202egnp.exe\u202c", "\u200f\u061cمرحبا",
    "\x00", "a\x00b", "\x1b[31m", "\x07\x08\x0b\x0c", "\r\n\r\n", "\ufeff", "\u2028\u2029",
    "𝕏😀🏳️‍🌈", "Z̸̡̢a̴l̷g̵o", "../../etc/passwd", "%00", "%s%s%n", "\\", "null", "None",
    "undefined", "true", "[]", "{}", "-1", "0", "99999999999999999999", "NaN", "Infinity",
)
TEXT_TYPES = {"text", "email", "search", "tel", "url", "textarea", "number", "date"}
# Tried in every field of every form, deterministically, besides the random examples.
EDGES = ("99999999999999999999", "-99999999999999999999", "9223372036854775808",
         "9999-12-31", "0001-01-01", "0", "-1", SCRIPT, "x" * 25_000, "\u202e" + "é" * 10)


# -------------------------------------------------------------- the strategies


def _repeat(text: str, count: int) -> str:
    return text * count


texts = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=4).map("".join),
    st.builds(_repeat, st.sampled_from(["x", "é", "<", "\u202e", "😀", "ab "]),
              st.integers(200, 30_000)),
)
dates = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-00-00", "31-12-2026", "2026/01/01",
                     "9999-12-31", "0001-01-01", "1899-12-31", "2026-1-1", "", " ",
                     "2026-01-01T00:00", "２０２６-０１-０１", "yesterday"]),
    texts,
)
numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "1e9", "0x10", "٣", "-0", "1,5", " 7 ", "2147483648", "-2147483649"]),
    texts,
)


def _field_values(item: FormField) -> st.SearchStrategy[Any]:
    if item.kind == "date":
        base: st.SearchStrategy[Any] = dates
    elif item.kind == "number" or item.name in {"version", "minutes", "headcount"}:
        base = numbers
    elif item.kind == "select":
        choices = item.options or [""]
        base = st.one_of(st.sampled_from(choices), texts)
        if item.multiple:
            return st.lists(base, max_size=4)
    elif item.kind in {"checkbox", "radio", "button", "submit"}:
        base = st.sampled_from([item.value or "y", "y", "0", "", SCRIPT])
    elif item.kind == "file":
        return st.one_of(st.none(), st.binary(max_size=4000),
                         st.sampled_from([b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
                                          b"GIF89a" + b"\xff" * 32, b"<svg onload=alert(1)>",
                                          b"name,headcount\n<b>x</b>,3\n"]))
    else:
        base = texts
    # sometimes missing, sometimes sent twice
    return st.one_of(base, st.none(), st.lists(base, min_size=2, max_size=2))


def _plausible(item: FormField) -> Any:
    """What a person would most likely send in this field (the page's own value first)."""
    if item.kind in {"checkbox", "radio"}:
        return item.value or "y"
    if item.value:
        return item.value
    if item.kind == "select":
        chosen = next((option for option in item.options if option not in {"", "0"}), "")
        return [chosen] if item.multiple else chosen
    if item.kind == "date":
        return date.today().isoformat()
    if item.kind == "number" or item.name in {"minutes", "headcount"}:
        return "30"
    if item.kind == "email":
        return "iemand@voorbeeld.nl"
    if item.kind == "file":
        return None
    return "Gewone tekst"


def _form_data(form: Form | None) -> st.SearchStrategy[dict[str, Any]]:
    fields = [item for item in (form.fields if form else [])
              if item.name != "csrf_token" and item.kind != "submit"]
    if not fields:  # blind: guessed field names
        guessed = st.dictionaries(st.sampled_from(["name", "text", "email", "password", "code",
                                                   "date", "version", "message", "id"]),
                                  st.one_of(texts, numbers, dates), max_size=5)
        return guessed
    # everything hostile at once (mostly refused) ...
    known = st.fixed_dictionaries({item.name: _field_values(item) for item in fields})
    extra = st.dictionaries(st.text(alphabet=string.ascii_letters + "_[]", min_size=1,
                                    max_size=12), texts, max_size=2)
    everything = st.builds(lambda a, b: {**b, **a}, known, extra)
    # ... or a plausible form with one or two hostile fields (often accepted and stored, so
    # the page that shows it afterwards is checked for escaping too)
    plausible = {item.name: _plausible(item) for item in fields}
    few = st.lists(st.sampled_from(fields), min_size=1, max_size=2, unique_by=lambda f: f.name)
    mutated = few.flatmap(lambda chosen: st.fixed_dictionaries(
        {item.name: _field_values(item) for item in chosen}).map(
            lambda hostile: {**plausible, **hostile}))
    return st.one_of(everything, mutated)


# ------------------------------------------------------------------- the checks


def _refused(status: int, body: str) -> bool:
    return status in {400, 401, 403, 404, 405, 409, 413, 422, 429} or (
        status == 200 and ('aria-invalid="true"' in body or "notice-error" in body
                           or 'class="error"' in body))


def _sent_texts(data: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                found.append((name, item))
    return found


def _check_escaped(body: str, data: dict[str, Any], where: str) -> None:
    for name, value in _sent_texts(data):
        for marker in HTML_MARKERS:
            if marker in value:
                assert marker not in body, f"{marker!r} from field {name} unescaped on {where}"


def _check_kept(body: str, form: Form | None, data: dict[str, Any]) -> None:
    if form is None:
        return
    shown = html.unescape(body)
    kinds = {item.name: item.kind for item in form.fields}
    for name, value in data.items():
        if kinds.get(name) not in TEXT_TYPES or not isinstance(value, str):
            continue
        if f'name="{name}"' not in body:
            continue  # this answer does not show the form again
        typed = value.strip()
        if typed and "\x00" not in typed and "\r" not in typed:
            assert typed in shown, f"what was typed in {name} is not kept: {typed[:80]!r}"


def _encode(data: dict[str, Any], token: str, form: Form | None) -> dict[str, Any]:
    files = {item.name for item in (form.fields if form else []) if item.kind == "file"}
    encoded: dict[str, Any] = {"csrf_token": token}
    for name, value in data.items():
        if value is None:
            continue
        if name in files:
            if isinstance(value, bytes):
                encoded[name] = (io.BytesIO(value), "upload.bin")
            continue
        encoded[name] = value
    return encoded


def _fuzz(visit: Visit, endpoint: str, rule: str, methods: set[str]) -> None:
    prepare(visit, endpoint)
    shown = set_the_stage(visit, endpoint)
    url = url_of(visit.world, endpoint, rule)
    form, token = find_form(visit, endpoint, url, methods, shown)
    assert form is not None, (
        f"{endpoint}: no form found that posts to {url}; tell tests/reliability/world.py where "
        "it is (FORM_PAGES) and what state shows it (set_the_stage), not fuzz blind")
    multipart = bool(form and "multipart" in form.enctype)

    statuses: list[int] = []

    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    @given(data=_form_data(form))
    def one(data: dict[str, Any]) -> None:
        check(data)

    def check(data: dict[str, Any]) -> None:
        before = database_digest(visit.app)
        payload = _encode(data, token, form)
        response = visit.client.post(url, data=payload,
                                     content_type="multipart/form-data" if multipart else None)
        body = response.get_data(as_text=True)
        statuses.append(response.status_code * (-1 if _refused(response.status_code, body)
                                                else 1))
        assert response.status_code < 500, (endpoint, response.status_code)
        assert not visit.errors.records, visit.errors.records[0].getMessage()
        _check_escaped(body, data, url)
        if _refused(response.status_code, body):
            assert database_digest(visit.app) == before, f"{endpoint} stored refused input"
            if response.status_code == 200:
                _check_kept(body, form, data)
        location = response.headers.get("Location", "")
        if response.status_code in {301, 302, 303} and location.startswith("/") and \
                "logout" not in endpoint:
            followed = visit.client.get(location)
            assert followed.status_code < 500, (endpoint, location)
            _check_escaped(followed.get_data().decode("utf-8", "replace"), data, location)

    one()
    fields = [item for item in (form.fields if form else [])
              if item.name != "csrf_token" and item.kind not in {"submit", "file"}]
    plausible = {item.name: _plausible(item) for item in fields}
    for edge in EDGES:  # every field at once; and only the numbers and dates
        check({item.name: edge for item in fields} or {"x": edge})
        check({**plausible, **{item.name: edge for item in fields
                               if item.kind in {"number", "date", "hidden"}
                               or item.name in {"minutes", "headcount", "version"}}})
    print(f"\n{endpoint}: form {'found' if form else 'NOT found'}, "
          f"{len(form.fields) if form else 0} fields; answers (negative: refused): "
          f"{sorted(statuses)}")
    # an oversized body: the friendly 413, nothing stored
    before = database_digest(visit.app)
    limit = visit.world.settings.max_request_bytes
    response = visit.client.post(url, data={"csrf_token": token, "x": "y" * (limit + 10)})
    assert response.status_code == 413 and "Traceback" not in response.get_data(as_text=True)
    assert database_digest(visit.app) == before
    assert not visit.errors.records, visit.errors.records[0].getMessage()


RULES = rules_with("POST")
PAGES = rules_with("GET")
QUERY_NAMES = ("page", "next", "sort", "q", "status", "year", "department", "category",
               "period", "group", "actor", "action", "date_from", "date_to", "code", "lang")


@pytest.mark.parametrize(("endpoint", "rule"), RULES, ids=[f"{e} {r}" for e, r in RULES])
def test_every_form_survives_hostile_input(visit: Visit, endpoint: str, rule: str) -> None:
    methods = next(set(r.methods or ()) for r in visit.app.url_map.iter_rules()
                   if r.rule == rule and r.endpoint == endpoint)
    _fuzz(visit, endpoint, rule, methods)


@pytest.mark.parametrize(("endpoint", "rule"), PAGES, ids=[f"{e} {r}" for e, r in PAGES])
def test_every_page_survives_hostile_query_strings(visit: Visit, endpoint: str,
                                                   rule: str) -> None:
    """Search and filter forms (GET) and any query parameter a page might read."""
    prepare(visit, endpoint)
    url = url_of(visit.world, endpoint, rule)
    first = visit.client.get(url)
    assert first.status_code < 500
    names = {item.name for form in forms_on(first.get_data().decode("utf-8", "replace"), "get")
             for item in form.fields} | set(QUERY_NAMES)
    values = st.one_of(texts, numbers, dates)

    @hypothesis_settings(max_examples=4, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    @given(query=st.dictionaries(st.sampled_from(sorted(names)), st.one_of(
        values, st.lists(values, min_size=2, max_size=3)), min_size=1, max_size=6))
    def one(query: dict[str, Any]) -> None:
        response = visit.client.get(url, query_string=query)
        assert response.status_code < 500, (endpoint, response.status_code)
        assert not visit.errors.records, visit.errors.records[0].getMessage()
        _check_escaped(response.get_data().decode("utf-8", "replace"), query, url)

    one()
    for edge in EDGES:
        response = visit.client.get(url, query_string={name: edge for name in names})
        assert response.status_code < 500, (endpoint, edge, response.status_code)
        assert not visit.errors.records, visit.errors.records[0].getMessage()


def test_the_walk_covers_every_route() -> None:
    """The parametrisations above come from the URL map itself: nothing can escape them."""
    assert len(RULES) >= 40 and len(PAGES) >= 40
    assert {endpoint for endpoint, _rule in RULES} >= {
        "auth.login", "cases.create", "cases.edit", "admin.create_user", "contact.send",
        "management.follow_up", "signals.release"}
    assert {endpoint for endpoint, _rule in PAGES} >= {"cases.index", "admin.audit_log",
                                                       "management.overview"}
