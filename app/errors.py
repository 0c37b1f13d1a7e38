"""Error pages: a user sees a clear message in their language, never a stack trace."""
from flask import jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: _l("The request could not be understood. Please check what you entered."),
    403: _l("You do not have permission to do this."),
    404: _l("The page or record you asked for does not exist, or you may not see it."),
    405: _l("This action is not allowed here."),
    413: _l("The file is too large."),
    429: _l("Too many attempts. Please wait a few minutes and try again."),
    500: _l("Something went wrong on our side. The error has been logged."),
}


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(code, message):
    if _wants_json():
        return jsonify(message=str(message)), code
    from flask import current_app, g
    from flask_login import current_user
    if not hasattr(g, "user"):  # refused before Flask-AppBuilder's before_request ran (CSRF)
        g.user = current_user
    return render_template(
        "error.html", code=code, message=message,
        base_template=current_app.appbuilder.base_template,
        appbuilder=current_app.appbuilder,
    ), code


def _too_large():
    """An upload above MAX_CONTENT_LENGTH: back to the form with the limit named, not an error page."""
    from urllib.parse import urlsplit

    from flask import current_app, flash, redirect
    from flask_babel import gettext
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = gettext("The file is too large: at most %(mb)d MB can be uploaded.", mb=limit // (1024 * 1024))
    referrer = request.referrer or ""
    if not _wants_json() and referrer and urlsplit(referrer).netloc == request.host:
        flash(message, "danger")
        return redirect(referrer, 303)
    return _render(413, message)


# URL parts that name a record: anything but a whole number a database integer can hold names
# no record (a 404, before the database is asked — PostgreSQL refuses larger integers).
RECORD_ID_ARGS = ("pk", "row_id")


def init_app(app):
    from flask import abort

    from app.core.views.base import record_ids

    @app.url_value_preprocessor
    def record_ids_only(endpoint, values):
        for key in RECORD_ID_ARGS:
            if values and key in values and not record_ids([str(values[key])]):
                abort(404)

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return _render(400, _l("Your form has expired or was sent from elsewhere. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(e):
        if e.code == 413:
            return _too_large()
        return _render(e.code, MESSAGES.get(e.code, e.description))

    @app.errorhandler(Exception)
    def server_error(e):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        from app.extensions import db
        db.session.rollback()
        return _render(500, MESSAGES[500])
