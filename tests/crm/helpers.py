import contextlib

from flask import g

from app.core import clock
from app.core.models import LookupValue
from app.crm.models import Customer
from app.extensions import db
from app.inventory.models import Project
from app.org.models import Employee

VALID_ID = "11010519491231002X"  # checksum X
OTHER_VALID_ID = "44010619850615231" + "10X98765432"[sum(int(d) * w for d, w in zip(
    "44010619850615231", (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))) % 11]


def employee(number):
    return db.session.query(Employee).filter_by(number=number).one()


def project(code="GZ-YJ"):
    return db.session.query(Project).filter_by(code=code).one()


def lookup(code, name):
    return db.session.query(LookupValue).filter_by(list_code=code, name=name).one()


def customers_of(number):
    return db.session.query(Customer).filter(Customer.owner_id == employee(number).id)


def one_customer_of(number):
    return customers_of(number).order_by(Customer.id).first()


def today():
    return clock.local_today()


@contextlib.contextmanager
def as_user(app, username):
    """A request of `username` (services read the user and their scope from it)."""
    from flask_login import login_user

    def forget():
        # The request shares the test's application context (and its `g`): drop what an earlier
        # request of another user cached there (scope, permissions).
        for name in [n for n in vars(g) if n.startswith("_loupan")]:
            delattr(g, name)

    with app.test_request_context():
        forget()
        user = app.appbuilder.sm.find_user(username=username)
        login_user(user)
        g.user = user
        try:
            yield user
        finally:
            forget()
