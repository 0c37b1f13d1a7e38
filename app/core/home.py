"""Home page panels: each module registers a function returning a panel for a user; and the
dashboard shown above them (a module registers the function that renders it)."""
_providers = []
_dashboards = []


def register_panel(provider):
    """provider(user) -> dict(title, items=[(text, link)], empty=text) or None."""
    _providers.append(provider)
    return provider


def panels_for(user):
    panels = []
    for provider in _providers:
        panel = provider(user)
        if panel:
            panels.append(panel)
    return panels


def register_dashboard(provider):
    """provider(user) -> the dashboard's HTML (Markup) for this user, or None when they may not
    see it. Registering the same function again (an application built twice) changes nothing."""
    if provider not in _dashboards:
        _dashboards.append(provider)
    return provider


def dashboard_for(user):
    """The HTML of the dashboards this user may see, in the order registered."""
    parts = []
    for provider in _dashboards:
        html = provider(user)
        if html:
            parts.append(html)
    return parts
