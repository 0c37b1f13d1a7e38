"""Home page panels: each module registers a function returning a panel for a user."""
_providers = []


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
