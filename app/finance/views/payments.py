"""Placeholder: this part registers its screens in init_app."""


def init_app(app, appbuilder, first):
    pass
