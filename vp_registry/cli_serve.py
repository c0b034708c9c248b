"""``vp-registry run``: Flask's development server, with request lines that name no client.

The same options as ``flask run`` (they are Flask's own), but werkzeug is given
:class:`~vp_registry.web.request_log.NoAddressRequestHandler`: no client address in any line,
no line at all for the anonymous pages (issue 11, item 2; docs/design.md I-9). ``flask --app
vp_registry run`` would still use werkzeug's own handler: use ``vp-registry run``.
"""

from __future__ import annotations

import ssl
import traceback
from collections.abc import Iterable
from typing import Any, Literal

import click
from flask.cli import ScriptInfo, pass_script_info, show_server_banner
from flask.cli import run_command as flask_run_command
from flask.helpers import get_debug_flag
from werkzeug.serving import is_running_from_reloader, run_simple

from vp_registry.web.request_log import NoAddressRequestHandler


def _serve(info: ScriptInfo, host: str, port: int, reload: bool | None, debugger: bool | None,
           with_threads: bool,
           cert: ssl.SSLContext | tuple[str, str | None] | Literal["adhoc"] | None,
           extra_files: list[str] | None, exclude_patterns: list[str] | None) -> None:
    """Run the development server (not for production: use gunicorn, docs/operations.md)."""
    try:
        app: Any = info.load_app()
    except Exception as error:
        if not is_running_from_reloader():
            raise
        traceback.print_exc()  # the reloader shows the error and waits for a fix
        failure = error

        def app(environ: Any, start_response: Any) -> Iterable[bytes]:
            raise failure from None

    debug = get_debug_flag()
    show_server_banner(debug, info.app_import_path)
    run_simple(host, port, app,
               use_reloader=debug if reload is None else reload,
               use_debugger=debug if debugger is None else debugger,
               threaded=with_threads, ssl_context=cert, extra_files=extra_files,
               exclude_patterns=exclude_patterns, request_handler=NoAddressRequestHandler)


run_command = click.Command(
    "run", callback=pass_script_info(_serve), params=list(flask_run_command.params),
    short_help="Ontwikkelserver / development server (logs no client address).",
    help="Start de ontwikkelserver / run the development server. Geen client-adres in de log, "
         "geen regel voor de anonieme pagina's / no client address in its log, no line for "
         "the anonymous pages. Productie / production: gunicorn -c "
         "python:vp_registry.gunicorn_conf (docs/operations.md).",
)
