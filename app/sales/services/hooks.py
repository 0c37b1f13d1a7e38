"""What later modules hear from the deal services, inside the step's transaction (sales imports
none of them; finance listens). Events and their arguments:

- "schedule" (deal, rows): the deal's payment schedule was written (subscription, contract, room
  change); rows are schedule_rows() with their position.
- "cancelled" (deal, refund): a cancellation was approved; refund is its DealRefund.
- "converted" (ticket, deal): a sincerity deposit became the deposit of the deal at the pick.

A listener that raises BusinessError refuses the whole step.

Questions the deal services may ask a later module (provide/ask), with a default when none answers:
- "paid" (deal): what the buyers have paid on the deal (finance: valid receipts net of refunds)."""
_listeners = {}
_providers = {}


def listen(event, fn):
    fns = _listeners.setdefault(event, [])
    if fn not in fns:
        fns.append(fn)


def fire(event, *args):
    for fn in _listeners.get(event, ()):
        fn(*args)


def provide(question, fn):
    _providers[question] = fn


def ask(question, subject, default=None):
    """The provider's answer about subject, or default when there is none (or it answers None)."""
    fn = _providers.get(question)
    value = fn(subject) if fn is not None else None
    return default if value is None else value
