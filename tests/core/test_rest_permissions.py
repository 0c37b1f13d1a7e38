"""A REST resource sharing a page's permissions (LoupanModelRestApi.permissions_of) registers the
very same permission set as the page: otherwise every start-up (and `flask loupan seed`) tries to
delete the page's can_export/can_download and logs "Refused to delete permission view"."""
import logging

from app.core.views.base import LoupanModelRestApi
from app.extensions import db


def _role_grants(sm):
    return {role.name: sorted((pv.permission.name, pv.view_menu.name) for pv in role.permissions)
            for role in db.session.query(sm.role_model).all()}


def test_resources_register_the_pages_permission_set(app):
    pages = {v.__class__.__name__: v for v in app.appbuilder.baseviews}
    shared = [v for v in app.appbuilder.baseviews if isinstance(v, LoupanModelRestApi) and v.permissions_of]
    assert len(shared) >= 10
    for api in shared:
        page = pages[api.permissions_of.__name__]
        assert sorted(api.base_permissions) == sorted(page.base_permissions), api.__class__.__name__
    # Pages that declare no permissions (ProjectView, BuildingView...) keep export and download.
    project_api = next(v for v in shared if v.permissions_of.__name__ == "ProjectView")
    assert {"can_export", "can_download", "can_list", "can_add"} <= set(project_api.base_permissions)


def test_syncing_permissions_deletes_nothing_and_warns_nothing(app, ctx, caplog):
    sm = app.appbuilder.sm
    before = _role_grants(sm)
    with caplog.at_level(logging.WARNING):
        app.appbuilder.add_permissions(update_perms=True)
    refused = [r.getMessage() for r in caplog.records if "Refused to delete" in r.getMessage()]
    assert refused == []
    db.session.expire_all()
    assert _role_grants(sm) == before
