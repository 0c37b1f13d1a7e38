"""Choices of a form that name their project: "云璟花园 · 1栋" rather than "1栋", so that records of
different projects with the same name (every project has a 1栋, a 住宅, an A户型, a 一期) can be told
apart. Only the forms use these labels; list and detail pages keep the plain name (the model's
__str__). The services still refuse a choice of another project (check_building, check_permit,
pricing.check_factor, check_room)."""
from flask_appbuilder.fields import QuerySelectField, QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import Select2ManyWidget, Select2Widget
from wtforms.validators import DataRequired, Optional

from app.extensions import db
from app.inventory.models import Building, Layout, Phase, Project, PropertyType


def project_label(obj):
    """'云璟花园 · 1栋': the record's project, then its name."""
    return "%s · %s" % (obj.project.name, obj.name)


# The order of each model's choices within its project (projects by code).
ORDER = {
    Phase: lambda: (Phase.sort_order, Phase.id),
    Building: lambda: (Building.sort_order, Building.id),
    PropertyType: lambda: (PropertyType.sort_order, PropertyType.id),
    Layout: lambda: (Layout.name, Layout.id),
}


def _query(model):
    def query():
        # `project` is loaded with the record (lazy="joined"): no query per choice.
        return (db.session.query(model).join(Project, model.project_id == Project.id)
                .order_by(Project.code, *ORDER[model]()))
    return query


def project_choice(model, label, required=False, description="", widget=None):
    """A select of `model` (a record with project and name) labelled 'project · name'."""
    return QuerySelectField(label, query_func=_query(model), get_pk_func=lambda x: x.id,
                            get_label=project_label, allow_blank=not required, description=description,
                            widget=widget or Select2Widget(),
                            validators=[DataRequired()] if required else [Optional()])


def project_choices(model, label, description=""):
    """A multiple select of `model`, labelled 'project · name'."""
    return QuerySelectMultipleField(label, query_func=_query(model), get_pk_func=lambda x: x.id,
                                    get_label=project_label, description=description,
                                    widget=Select2ManyWidget(), validators=[Optional()])
