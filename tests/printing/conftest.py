import os
import shutil
import subprocess

import pytest

from app.extensions import db
from app.printing import services

ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "artifacts")


@pytest.fixture
def seeded(app):
    """The default templates, as `flask loupan seed` creates them."""
    with app.app_context():
        services.seed_templates()
        db.session.remove()


@pytest.fixture
def demo_kind():
    """A kind registered by a test, with money, area and dates, removed afterwards."""
    from decimal import Decimal
    import datetime as dt

    def sample():
        return {"customer": {"name": "张三丰"}, "room": {"name": "1栋2单元1801", "area": Decimal("89.5")},
                "amount": Decimal("123456.78"), "signed_on": dt.date(2026, 11, 26)}

    kind = services.register_kind("test_receipt", "Test receipt", sample,
                                  [("customer.name", "Buyer"), ("amount", "Amount")],
                                  record_context=lambda pk: sample() if pk == 1 else None)
    yield kind
    services._kinds.pop("test_receipt", None)


def pdf_text(data, tmp_path):
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdf_png(data, tmp_path, name):
    """Page 1 at 50 dpi; a copy is kept under tests/artifacts/ to look at."""
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(tmp_path / name)], check=True)
    png = tmp_path / (name + ".png")
    os.makedirs(ARTIFACTS, exist_ok=True)
    shutil.copy(png, os.path.join(ARTIFACTS, name + ".png"))
    return png


needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftotext, pdftoppm) not installed")
