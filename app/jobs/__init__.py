def init_app(app, appbuilder):
    pass
