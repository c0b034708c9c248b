"""Every form binds without a WTForms deprecation warning (tuple choices are deprecated in 3.3
and gone in 3.4: choices are ``SelectChoice`` objects).

The test raises DeprecationWarning itself, so it holds whatever pytest's ``filterwarnings``
say; choices the views set are covered by the page tests (pyproject turns every warning into an
error).
"""

from __future__ import annotations

import importlib
import inspect
import warnings

import pytest
from flask import Flask
from flask_wtf import FlaskForm

FORM_MODULES = ["admin", "auth", "cases", "contact", "messages", "reports", "signals"]


@pytest.mark.parametrize("area", FORM_MODULES)
def test_forms_bind_without_deprecation_warnings(app: Flask, area: str) -> None:
    module = importlib.import_module(f"vp_registry.web.{area}.forms")
    forms = [cls for cls in vars(module).values()
             if inspect.isclass(cls) and issubclass(cls, FlaskForm)
             and cls.__module__ == module.__name__]
    assert forms
    with app.test_request_context(), warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for form_class in forms:
            form = form_class(meta={"csrf": False})
            for field in form:
                if getattr(field, "choices", None) is not None:
                    list(field.iter_choices())
