"""Where each deal action is done in the browser: the room card of the sales-control chart, the
deal page and the deals list link here. Deal pages live under /sales/deals/ (views/deals.py),
the requests for approval under /sales/deal_changes/ (views/changes.py)."""
from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "hold": _l("Hold"), "book": _l("Book"), "subscribe": _l("Subscribe"), "release": _l("Release"),
    "sign": _l("Sign the contract"), "file": _l("Record the online filing"), "rename": _l("Change buyers"),
    "change_room": _l("Change room"), "cancel": _l("Cancel the deal"),
}


def action_url(action, room_id=None, deal_id=None):
    """The page of an action on a room (new deal) or on its active deal."""
    if action in ("hold", "book", "subscribe"):
        return "/sales/deals/new/%s?room=%d" % (action, room_id)
    if action in ("sign", "release", "file"):
        return "/sales/deals/%d/%s" % (deal_id, action)
    if action in ("rename", "change_room", "cancel"):
        return "/sales/deal_changes/%d/%s" % (deal_id, action)
    raise ValueError(action)


def deal_url(deal_id):
    return "/sales/deals/%d" % deal_id


def actions_for(room, deal=None):
    """[(code, label, url)] of what the user may do on the room now (deals.allowed_actions)."""
    from app.sales.services import deals
    out = []
    for code in deals.allowed_actions(room):
        deal_id = None
        if code not in ("hold", "book", "subscribe") or room.status != "available":
            deal = deal if deal is not None else deals.active_deal(room.id)
            deal_id = deal.id if deal is not None else None
        out.append((code, str(ACTION_LABELS[code]), action_url(code, room.id, deal_id)))
    return out
