"""Application factory: reads like a table of contents (cookiecutter-flask, Indico)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from vp_registry import app_state
from vp_registry.config import Settings, load_settings, resource_dir
from vp_registry.db import make_engine, make_session_factory
from vp_registry.extensions import csrf, login_manager


def create_app(settings: Settings | None = None) -> Flask:
    settings = (settings or load_settings()).validated()
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        instance_path=str(Path(settings.instance_path).resolve()),
        instance_relative_config=False,
    )
    configure_app(app, settings)
    configure_state(app, settings)
    register_extensions(app, settings)
    register_blueprints(app)
    register_request_hooks(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def configure_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_request_bytes,
        TESTING=settings.testing,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives in the server-side session, which expires
        # No Referer check on https: our Referrer-Policy is no-referrer, so browsers send
        # none and every POST behind a TLS proxy would be refused. The session-bound token
        # and SameSite=Strict cookies are the CSRF protection.
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.time_zone,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).resolve().parent / "translations"),
        TEMPLATES_AUTO_RELOAD=settings.is_development,
    )
    if settings.trusted_proxies:
        # remote_addr (login throttling) and https detection from the trusted proxies only
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies,
            x_host=0, x_port=0, x_prefix=0)


def configure_state(app: Flask, settings: Settings) -> None:
    """The database and everything else one application shares: one typed AppState."""
    from vp_registry.core.disclosure import cache as disclosure_cache
    from vp_registry.db.cases import Case
    from vp_registry.services.accounts import organisation
    from vp_registry.services.cases import listing
    from vp_registry.services.infrastructure.readcache import ReadCache
    from vp_registry.services.organisations.databases import OrganisationDatabases
    from vp_registry.web import database
    from vp_registry.web.contact import privacy

    engine = make_engine(settings.effective_database_url)
    session_factory = make_session_factory(engine)
    app_state.init_app(app, app_state.AppState(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        directory=organisation.directory_cache(),
        case_years=ReadCache(listing.case_years, (Case,)),
        contact_throttles=privacy.make_throttles(settings),
        databases=OrganisationDatabases(engine, session_factory),
    ))
    database.init_app(app)
    disclosure_cache.set_namespace(app_state.cache_namespace)  # a cache per organisation


def register_extensions(app: Flask, settings: Settings) -> None:
    from vp_registry.web import i18n
    from vp_registry.web.auth.loading import load_user, no_session_identifier
    from vp_registry.web.sessions import DatabaseSessionInterface

    app.session_interface = DatabaseSessionInterface(settings)
    csrf.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side and regenerated at login
    # Flask-Login hashes the client's address into the session otherwise (I-9; no public API)
    login_manager._session_identifier_generator = no_session_identifier
    login_manager.login_view = "auth.login"
    login_manager.user_loader(load_user)


def register_blueprints(app: Flask) -> None:
    from vp_registry.web.admin.views import blueprint as admin
    from vp_registry.web.auth.views import blueprint as auth
    from vp_registry.web.cases.vault_views import blueprint as vault
    from vp_registry.web.cases.views import blueprint as cases
    from vp_registry.web.contact.views import blueprint as contact
    from vp_registry.web.home import blueprint as home
    from vp_registry.web.management.views import blueprint as management
    from vp_registry.web.messages.views import blueprint as messages
    from vp_registry.web.practice import init_blueprint as practice_blueprint
    from vp_registry.web.pulse import blueprints as pulse_blueprints
    from vp_registry.web.reports.activities import blueprint as activities
    from vp_registry.web.reports.views import blueprint as reports
    from vp_registry.web.signals.views import blueprint as signals

    for blueprint in (home, auth, admin, cases, vault, signals, management, contact,
                      messages, reports, activities, *pulse_blueprints(),
                      practice_blueprint()):
        app.register_blueprint(blueprint)


def register_request_hooks(app: Flask) -> None:
    from vp_registry.web import access, organisation, security, slashes
    from vp_registry.web.speedups import static

    slashes.init_app(app)
    access.init_app(app)  # the role guard and the one handler of access errors
    security.init_app(app)
    static.init_app(app)  # static files answered before Flask, with the same headers
    organisation.init_app(app)  # outermost: the request's organisation (prefix or host)


def register_error_handlers(app: Flask) -> None:
    from vp_registry.web import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from vp_registry.web import templating
    from vp_registry.web.speedups import template_i18n

    templating.init_app(app)
    template_i18n.init_app(app)  # after Flask-Babel's init_app: replaces its template callables


def register_cli(app: Flask) -> None:
    from vp_registry.cli import register_commands

    register_commands(app)
