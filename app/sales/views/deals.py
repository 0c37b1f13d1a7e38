"""Placeholder: filled in by its part of the sales-control work."""


def init_app(app, appbuilder, first):
    pass
