"""A customer's history in time order (Customer 360): each part of the application registers a
source that gives its entries for one customer; the page merges and sorts them."""
from dataclasses import dataclass
import datetime as dt

_sources = []


@dataclass
class Entry:
    at: dt.datetime          # UTC, naive (as stored)
    kind: str                # e.g. "visit", "follow_up", "transfer", "complaint", "pool"
    title: str               # translated, short
    detail: str = ""         # translated or user text
    link: str | None = None  # URL of the record, when the user may open it
    who: str = ""            # the employee who did it


def register(source):
    """source(customer) -> iterable of Entry; registered once per process."""
    if source not in _sources:
        _sources.append(source)
    return source


def entries(customer):
    """Every entry of the customer, newest first."""
    rows = []
    for source in _sources:
        rows.extend(source(customer) or ())
    rows.sort(key=lambda e: e.at or dt.datetime.min, reverse=True)
    return rows
