import threading

import pytest

from app.jobs import services


class Counter:
    """A test job that counts its runs (thread-safe)."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        self.delay = 0

    def __call__(self):
        import time
        with self.lock:
            self.calls.append(threading.get_ident())
        if self.delay:
            time.sleep(self.delay)
        return "counted"

    @property
    def count(self):
        return len(self.calls)


@pytest.fixture
def only_test_jobs():
    """The registry holds only what the test registers; restored afterwards."""
    saved = dict(services._registry)
    services._registry.clear()
    yield
    services._registry.clear()
    services._registry.update(saved)


@pytest.fixture
def counter_job(only_test_jobs):
    counter = Counter()
    services.register_job("test_counter", counter, label="Test counter", minutes=5)
    return counter
