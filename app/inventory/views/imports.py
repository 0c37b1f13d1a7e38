"""批量导入: download a project's template, upload a filled one, watch it being checked, see every
bad cell, import. Thin: the rules and the work are in app/inventory/services/imports.py."""
import io
from datetime import date

from flask import abort, flash, g, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.validators import ValidationError

from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.models import Project
from app.inventory.models.imports import RoomImport
from app.inventory.services import imports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_PER_PAGE = 100
# Multipart headers around the file.
FORM_OVERHEAD = 64 * 1024


def _int(value):
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def xlsx_response(data, filename):
    return send_file(io.BytesIO(data), as_attachment=True, download_name=filename, mimetype=XLSX, max_age=0)


def export_rooms(view):
    """The room list's export (RoomView.export): the rooms under the page's filters, in the
    import template's columns so that the file can be edited and imported again."""
    from flask_appbuilder.urltools import get_filter_args
    get_filter_args(view._filters)
    order_column, order_direction = view.base_order or ("", "")
    _count, items = view.datamodel.query(view._filters.get_joined_filters(view._base_filters),
                                         order_column, order_direction)
    data = imports.export_bytes(items)
    return xlsx_response(data, "rooms-%s.xlsx" % date.today().isoformat())


class RoomImportView(BaseView):
    """批量导入 (and the template download); permission can_import, like adding rooms."""

    route_base = "/roomimport"
    default_view = "index"
    base_permissions = ["can_import"]
    method_permission_name = {"index": "import", "template": "import", "upload": "import", "job": "import",
                              "status": "import", "run": "import"}

    def _project(self, project_id):
        project = db.session.get(Project, project_id) if project_id else None
        if project is None:
            abort(404)
        return project

    @expose("/")
    @has_access
    def index(self):
        projects = imports.projects()
        project_id = _int(request.args.get("project"))
        project = next((p for p in projects if p.id == project_id), None)
        if project is None and len(projects) == 1:
            project = projects[0]
        return self.render_template(
            "inventory/import_upload.html", projects=projects, project=project,
            jobs=imports.recent_jobs(project.id if project else None),
            max_mb=imports.max_bytes() // imports.MB, max_bytes=imports.max_bytes(), max_rows=imports.max_rows(),
            columns=imports.COLUMNS, status_label=status_label,
        )

    @expose("/template/<int:project_id>")
    @has_access
    def template(self, project_id):
        project = self._project(project_id)
        return xlsx_response(imports.template_bytes(project), "%s-rooms-template.xlsx" % project.code)

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        # Exempt from the global CSRF check (which would read the whole body first): the size is
        # refused before anything is read, then the token is checked here.
        project_id = _int(request.args.get("project"))
        back = url_for(".index", project=project_id) if project_id else url_for(".index")
        limit = imports.max_bytes()
        too_large = _("The file is larger than %(mb)d MB; split it into several files.", mb=limit // imports.MB)
        if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
            flash(too_large, "danger")
            return redirect(back)
        try:
            validate_csrf(request.form.get("csrf_token"))
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            flash(too_large, "danger")
            return redirect(back)
        except (ValidationError, CSRFError):
            flash(_("Your form has expired or was sent from elsewhere. Please reload the page and try again."),
                  "danger")
            return redirect(back)
        project_id = _int(request.form.get("project")) or project_id
        project = db.session.get(Project, project_id) if project_id else None
        back = url_for(".index", project=project_id) if project_id else url_for(".index")
        if project is None:
            flash(_("Choose the project to import into."), "danger")
            return redirect(back)
        if upload is None or not upload.filename:
            flash(_("Choose the Excel file to upload."), "danger")
            return redirect(back)
        try:
            job = imports.create_job(project, upload.filename, upload.stream, g.user, str(get_locale() or "zh"))
        except BusinessError as e:
            flash(str(e), "danger")
            return redirect(back)
        imports.start(job, "validate", g.user)
        return redirect(url_for(".job", pk=job.id))

    def _job(self, pk):
        job = db.session.get(RoomImport, pk)
        if job is None:
            abort(404)
        return job

    @expose("/job/<int:pk>")
    @has_access
    def job(self, pk):
        job = self._job(pk)
        errors = job.errors or []
        pages = max(1, (len(errors) + ERRORS_PER_PAGE - 1) // ERRORS_PER_PAGE)
        page = min(max(_int(request.args.get("page")) or 1, 1), pages)
        return self.render_template(
            "inventory/import_job.html", job=job, state=imports.state(job),
            errors=errors[(page - 1) * ERRORS_PER_PAGE:page * ERRORS_PER_PAGE], page=page, pages=pages,
            shown=len(errors), per_page=ERRORS_PER_PAGE, status_label=status_label,
        )

    @expose("/status/<int:pk>")
    @has_access
    def status(self, pk):
        job = self._job(pk)
        data = imports.state(job)
        data["label"] = status_label(data["status"])
        return jsonify(data)

    @expose("/run/<int:pk>", methods=["POST"])
    @has_access
    def run(self, pk):
        job = self._job(pk)
        try:
            imports.begin_import(job, g.user)
        except BusinessError as e:
            flash(str(e), "danger")
            return redirect(url_for(".job", pk=pk))
        imports.start(job, "import", g.user)
        return redirect(url_for(".job", pk=pk))


def status_label(status):
    return {
        "validating": _("Checking"), "invalid": _("Has errors"), "valid": _("Ready to import"),
        "importing": _("Importing"), "done": _("Imported"), "failed": _("Refused"),
    }.get(status, status)
