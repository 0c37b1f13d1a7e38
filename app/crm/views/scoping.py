"""Confidentiality on FAB screens: a base filter for lists and forms, and a refusal (logged,
with a message) when someone opens another salesperson's record by its URL."""
import sqlalchemy as sa
from flask import flash, redirect, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _

from app.crm.models import Customer, FollowUp, Opportunity, Visit
from app.crm.services import scope
from app.extensions import db


def condition_for(model):
    """The scope of a CRM model as a SQL condition (None: everything is visible)."""
    if model in (Customer, Opportunity):
        return scope.owner_condition(model.owner_id)
    customer_condition = scope.owner_condition(Customer.owner_id)
    if customer_condition is None:
        return None
    return model.customer_id.in_(sa.select(Customer.id).where(customer_condition))


class ScopeFilter(BaseFilter):
    """Base filter: only the rows the user may see (pages, forms' choices, API)."""

    name = "scope"
    arg_name = None

    def apply(self, query, value):
        condition = condition_for(self.model)
        return query.filter(condition) if condition is not None else query


REFUSED = {
    Customer: lambda: _("This customer belongs to another salesperson; you may not open it."),
    Opportunity: lambda: _("This opportunity belongs to another salesperson; you may not open it."),
    Visit: lambda: _("This visit is of another salesperson's customer; you may not open it."),
    FollowUp: lambda: _("This follow-up is of another salesperson's customer; you may not open it."),
}


def foreign(model, pk):
    """True when the row exists but is outside the user's scope (refusal logged)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return False
    condition = condition_for(model)
    if condition is None:
        return False
    exists = db.session.query(model.id).filter(model.id == pk).first() is not None
    if exists and db.session.query(model.id).filter(model.id == pk, condition).first() is None:
        scope.log_refusal(model.__tablename__, pk)
        return True
    return False


class ScopedViewMixin:
    """Show, edit and delete of a row outside the scope: a clear refusal, nothing shown."""

    def _refuse(self):
        flash(REFUSED[self.datamodel.obj](), "danger")
        return redirect(url_for(self.__class__.__name__ + ".list"))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        if foreign(self.datamodel.obj, pk):
            return self._refuse()
        return super().show(pk)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        if foreign(self.datamodel.obj, pk):
            return self._refuse()
        return super().edit(pk)

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        if foreign(self.datamodel.obj, pk):
            return self._refuse()
        return super().delete(pk)


SCOPED_FILTERS = [["id", ScopeFilter, None]]
