"""REST API for print templates (same permissions as the page), their kinds, and PDFs."""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name

from app.core.errors import BusinessError
from app.core.views.base import LoupanModelRestApi
from app.printing import services
from app.printing.models import PrintTemplate
from app.printing.views import PrintTemplateView, pdf_response, printed_by


class PrintTemplateApi(LoupanModelRestApi):
    """/api/v1/print_templates/ — CRUD; /kinds; /<pk>/preview; /preview (draft);
    /print/<kind>/<pk>. PDFs come back as application/pdf; refusals as 422 with a message."""

    resource_name = "print_templates"
    datamodel = SQLAInterface(PrintTemplate)
    permissions_of = PrintTemplateView
    list_columns = ["id", "kind", "name", "description", "paper", "is_default", "active", "updated_at"]
    show_columns = ["id", "kind", "name", "description", "paper", "is_default", "active", "html",
                    "created_at", "updated_at"]
    add_columns = edit_columns = ["kind", "name", "description", "paper", "is_default", "active", "html"]
    order_columns = ["kind", "name", "updated_at"]

    def before_add(self, item):
        services.check_template(item)

    before_update = before_add

    def _pdf_or_422(self, produce, filename):
        try:
            data = produce()
        except services.NotFound:
            return self.response_404()
        except BusinessError as e:
            return self.response_422(message=str(e))
        return pdf_response(data, filename)

    @expose("/kinds", methods=["GET"])
    @protect()
    @safe
    @permission_name("list")
    def kinds(self):
        """The kinds of document templates can be written for, with their placeholders."""
        return self.response(200, result=[
            {"code": k.code, "label": str(k.label),
             "placeholders": [{"name": name, "description": str(text)} for name, text in k.placeholders],
             "printable": k.record_context is not None}
            for k in services.kinds()
        ])

    @expose("/<int:pk>/preview", methods=["GET"])
    @protect()
    @safe
    @permission_name("preview")
    def preview(self, pk):
        """A saved template with its kind's sample data, as PDF."""
        template = self.datamodel.get(pk, self._base_filters)
        if template is None:
            return self.response_404()
        return self._pdf_or_422(lambda: services.preview(template, printed_by=printed_by()),
                                "preview-%s-%d.pdf" % (template.kind, pk))

    @expose("/preview", methods=["POST"])
    @protect()
    @safe
    @permission_name("preview")
    def preview_draft(self):
        """Unsaved HTML: {"kind", "html", "paper"} with the kind's sample data, as PDF."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="JSON object expected")
        kind, html, paper = body.get("kind"), body.get("html"), body.get("paper") or "a4"
        if not all(isinstance(v, str) for v in (kind, html, paper)):
            return self.response_400(message="kind, html and paper must be strings")
        return self._pdf_or_422(lambda: services.preview_draft(kind, html, paper, printed_by=printed_by()),
                                "preview.pdf")

    @expose("/print/<kind>/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("print")
    def print_record(self, kind, pk):
        """A real record printed with the kind's default template (or ?template=<id>), as PDF."""
        kind_obj = services.get_kind(kind)
        if kind_obj is None:
            return self.response_404()
        if kind_obj.permission and not self.appbuilder.sm.has_access(*kind_obj.permission):
            return self.response_403()
        template_id = request.args.get("template", type=int)
        try:
            data, filename = services.print_record(kind, pk, template_id, printed_by=printed_by())
        except services.NotFound:
            return self.response_404()
        except BusinessError as e:
            return self.response_422(message=str(e))
        return pdf_response(data, filename)
