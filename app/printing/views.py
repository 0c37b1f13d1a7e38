"""Print templates (admin CRUD with preview) and the endpoint that prints a real record.
Thin: the rules and the rendering are in app/printing/services/."""
import io
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.widgets import FormWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import TextArea

from app.core.errors import BusinessError
from app.core.views.base import LoupanModelView
from app.printing import services
from app.printing.models import PrintTemplate

PAPER_LABELS = {
    "a4": _l("A4 portrait"), "a4_landscape": _l("A4 landscape"),
    "a5": _l("A5 portrait"), "a5_landscape": _l("A5 landscape"),
}


def _kind_choices():
    return [(k.code, str(k.label)) for k in services.kinds()]


def _paper_choices():
    return [(code, str(label)) for code, label in PAPER_LABELS.items()]


class CodeTextArea(TextArea):
    """A large monospace text area for HTML."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("class", "form-control loupan-code")
        kwargs.setdefault("rows", 28)
        kwargs.setdefault("spellcheck", "false")
        kwargs.setdefault("style", "font-family: SFMono-Regular, Consolas, 'Liberation Mono', Menlo, monospace;"
                                   " font-size: 12px; white-space: pre; overflow-wrap: normal; overflow-x: auto;")
        return super().__call__(field, **kwargs)


class TemplateWorks:
    """The HTML compiles and, for an active template, fills in with the kind's sample data; the
    form then comes back with the error under the field and the admin's edits kept."""

    def __call__(self, form, field):
        kind = form.kind.data if "kind" in form else None
        active = bool(form.active.data) if "active" in form else True
        try:
            services.check_html(kind, field.data, active=active)
        except BusinessError as e:
            raise ValidationError(str(e)) from None


class NameFreeInKind:
    def __call__(self, form, field):
        kind = form.kind.data if "kind" in form else None
        if kind and services.name_taken(kind, field.data, getattr(form, "_id", None)):
            raise ValidationError(_("There is already a template with this name for this kind of document."))


class DefaultMustBeActive:
    def __call__(self, form, field):
        if field.data and "active" in form and not form.active.data:
            raise ValidationError(_("A default template must be active."))


class TemplateFormWidget(FormWidget):
    """FAB's form with a "Preview with sample data" button that posts the unsaved HTML."""

    template = "printing/form_widget.html"


def printed_by():
    """The name to print as 打印人: the user's employee name, else their name or login."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    from app.org.services import employee_of
    employee = employee_of(user)
    if employee is not None:
        return employee.name
    name = "%s%s" % (user.last_name or "", user.first_name or "")
    return name or user.username


def _same_site(url):
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc == request.host


def pdf_response(data, filename):
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False,
                         download_name=filename, max_age=0)
    # Printed documents carry personal data: no caching anywhere.
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _html_block(html):
    return Markup('<pre class="loupan-code" style="max-height:480px;overflow:auto;white-space:pre-wrap;'
                  'word-break:break-all">%s</pre>') % escape(html or "")


class PrintTemplateView(LoupanModelView):
    datamodel = SQLAInterface(PrintTemplate)
    list_title = _l("Print templates")
    show_title = _l("Print template")
    add_title = _l("Add print template")
    edit_title = _l("Edit print template")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_preview", "can_print"]
    list_columns = ["name", "kind", "paper", "is_default", "active", "updated_at"]
    show_columns = ["name", "kind", "description", "paper", "is_default", "active", "created_at", "updated_at", "html"]
    add_columns = edit_columns = ["kind", "name", "description", "paper", "is_default", "active", "html"]
    search_columns = ["name", "kind", "paper", "is_default", "active"]
    base_order = ("kind", "asc")
    show_template = "printing/show.html"
    add_template = "printing/add.html"
    edit_template = "printing/edit.html"
    add_widget = edit_widget = TemplateFormWidget
    label_columns = {
        "name": _l("Name"), "kind": _l("Document"), "description": _l("Description"), "paper": _l("Paper"),
        "is_default": _l("Default"), "active": _l("Active"), "html": _l("HTML"),
        "created_at": _l("Created (UTC)"), "updated_at": _l("Updated (UTC)"),
    }
    description_columns = {
        "is_default": _l("Printed unless the user picks another template; one per kind of document."),
        "active": _l("Only active templates can be printed. An inactive template may be saved unfinished."),
        "html": _l("HTML with placeholders such as {{ customer.name }}; see the list below the form."),
    }
    formatters_columns = {
        "kind": services.kind_label,
        "paper": lambda p: str(PAPER_LABELS.get(p, p)),
        "html": _html_block,
        "created_at": lambda d: d.strftime("%Y-%m-%d %H:%M") if d else "",
        "updated_at": lambda d: d.strftime("%Y-%m-%d %H:%M") if d else "",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Document"), choices=_kind_choices, widget=Select2Widget(),
                            validators=[DataRequired()]),
        "name": StringField(_l("Name"), widget=BS3TextFieldWidget(),
                            validators=[DataRequired(), Length(max=100), NameFreeInKind()]),
        "paper": SelectField(_l("Paper"), choices=_paper_choices, widget=Select2Widget(), default="a4",
                             validators=[DataRequired()]),
        # Booleans declared here: FAB's generated ones require a tick (InputRequired).
        "is_default": BooleanField(_l("Default"), validators=[DefaultMustBeActive()],
                                   description=_l("Printed unless the user picks another template; "
                                                  "one per kind of document.")),
        "active": BooleanField(_l("Active"), default=True,
                               description=_l("Only active templates can be printed. An inactive "
                                              "template may be saved unfinished.")),
        "html": TextAreaField(_l("HTML"), widget=CodeTextArea(), validators=[DataRequired(), TemplateWorks()],
                              description=_l("HTML with placeholders such as {{ customer.name }}; "
                                             "see the list below the form.")),
    }

    def template_context(self):
        context = super().template_context()
        context.update(print_kinds=services.kinds(), common_placeholders=services.COMMON_PLACEHOLDERS,
                       filter_help=services.FILTER_HELP)
        return context

    def before_add(self, item):
        services.check_template(item)

    before_update = before_add

    # -- preview -----------------------------------------------------------------------------

    @expose("/preview/<int:pk>")
    @has_access
    def preview(self, pk):
        """The saved template filled in with its kind's sample data, as an inline PDF."""
        template = self.datamodel.get(pk, self._base_filters)
        if template is None:
            abort(404)
        try:
            data = services.preview(template, printed_by=printed_by())
        except BusinessError as e:
            flash(_("The template “%(name)s” cannot be previewed: %(message)s", name=template.name,
                    message=str(e)), "danger")
            return redirect(url_for(self.__class__.__name__ + ".show", pk=pk))
        return pdf_response(data, "preview-%s-%d.pdf" % (template.kind, pk))

    @expose("/preview/", methods=["POST"])
    @has_access
    @permission_name("preview")
    def preview_draft(self):
        """The HTML being edited (not saved yet) with the sample data; opens in a new tab."""
        form = request.form
        try:
            data = services.preview_draft(form.get("kind", ""), form.get("html", ""),
                                          form.get("paper") or "a4", printed_by=printed_by())
        except BusinessError as e:
            return self._message(_("Preview"), _("The template cannot be previewed: %(message)s",
                                                 message=str(e)))
        return pdf_response(data, "preview.pdf")

    # -- printing a real record ----------------------------------------------------------------

    def _message(self, title, message):
        """A page with the reason a document could not be produced (422, never a 500)."""
        back = request.referrer if _same_site(request.referrer) else None
        return self.render_template("printing/message.html", title=title, message=message, back=back), 422

    def _kind_for_user(self, code):
        kind = services.get_kind(code)
        if kind is None:
            abort(404)
        if kind.permission and not self.appbuilder.sm.has_access(*kind.permission):
            abort(403)
        return kind

    @expose("/print/<kind>/<int:pk>")
    @has_access
    @permission_name("print")
    def print_record(self, kind, pk):
        """The record `pk` printed with the kind's default (or ?template=<id>) template."""
        self._kind_for_user(kind)
        template_id = request.args.get("template", type=int)
        try:
            data, filename = services.print_record(kind, pk, template_id, printed_by=printed_by())
        except services.NotFound:
            abort(404)
        except BusinessError as e:
            return self._message(_("Cannot print"), str(e))
        return pdf_response(data, filename)

    @expose("/print/<kind>/")
    @has_access
    @permission_name("print")
    def choose(self, kind):
        """Choose a record (and a template) of a kind that lists its records, then print it."""
        kind_obj = self._kind_for_user(kind)
        if kind_obj.record_choices is None:
            abort(404)
        record = request.args.get("record", type=int)
        if record is not None:
            template = request.args.get("template", type=int)
            return redirect(url_for(self.__class__.__name__ + ".print_record", kind=kind, pk=record,
                                    **({"template": template} if template else {})))
        return self.render_template("printing/choose.html", kind=kind_obj, records=kind_obj.record_choices(),
                                    templates=services.templates_for(kind))

