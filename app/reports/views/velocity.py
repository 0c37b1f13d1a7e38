"""Placeholder: this report's page is registered here."""


def init_app(app, appbuilder, first):
    pass
