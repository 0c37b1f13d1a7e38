"""The sandbox print templates run in: Jinja's ImmutableSandboxedEnvironment (no attribute that
starts with "_", no mutation of lists and dicts, only safe callables) with limits on the time a
render takes and on the size of the strings, lists and numbers it builds, so that a template
can neither reach Python internals nor exhaust the worker. Messages are made in services/engine.py."""
import contextlib
import re
import threading
import time
import types
from decimal import Decimal

from jinja2 import StrictUndefined, pass_eval_context
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT = 2_000_000      # characters of a string or items of a list, and of the document
MAX_WIDTH = 1000            # widths in format strings and padding
MAX_INT_BITS = 65536        # size of integers built by * and **


class RenderTimeout(Exception):
    pass


class OutputTooLarge(Exception):
    pass


_state = threading.local()

_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_FORMAT_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}|\{[^{}]*\{")
_PADDING_METHODS = {"ljust", "rjust", "center", "zfill", "expandtabs"}


def _tick():
    deadline = getattr(_state, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise RenderTimeout()


def _check_size(value):
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_OUTPUT:
        raise OutputTooLarge()
    return value


def _check_printf(fmt):
    for match in _PRINTF_SPEC.finditer(fmt):
        for number in match.groups():
            if number == "*" or (number and int(number) > MAX_WIDTH):
                raise SecurityError("format width too large: %r" % match.group(0))


def _check_str_format(fmt):
    for match in _FORMAT_SPEC.finditer(fmt):
        spec = match.group(1)
        if spec is None:
            raise SecurityError("nested format fields are not allowed")
        if any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec)):
            raise SecurityError("format width too large: %r" % spec)


def _width(value):
    if isinstance(value, int) and value > MAX_WIDTH:
        raise SecurityError("width too large: %d" % value)
    if isinstance(value, str) and len(value) > MAX_WIDTH:
        raise SecurityError("width too large")
    return value


def _filter_format(value, *args, **kwargs):
    _check_printf(str(value))
    if args and kwargs:
        raise SecurityError("format takes positional or keyword arguments, not both")
    return _check_size(str(value) % (kwargs or args))


@pass_eval_context
def _filter_replace(eval_ctx, s, old, new, count=None):
    text, old, new = str(s), str(old), str(new)
    occurrences = (len(text) + 1) if old == "" else text.count(old)
    if count is not None and count >= 0:
        occurrences = min(occurrences, count)
    if len(text) + occurrences * (len(new) - len(old)) > MAX_OUTPUT:
        raise OutputTooLarge()
    return _DEFAULT_REPLACE(eval_ctx, s, old, new, count)


def _filter_center(value, width=80):
    return str(value).center(_width(width))


def _filter_indent(s, width=4, first=False, blank=False):
    return _DEFAULT_INDENT(s, _width(width), first, blank)


class PrintSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with limits on time and on the size of what it builds."""

    intercepted_binops = frozenset(["*", "**", "%"])

    def call_binop(self, context, operator, left, right):
        _tick()
        if operator == "**":
            if isinstance(right, (int, float, Decimal)) and abs(right) > 100:
                raise SecurityError("the exponent is too large")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() * right > MAX_INT_BITS:
                raise SecurityError("the number is too large")
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) \
                        and len(seq) * times > MAX_OUTPUT:
                    raise OutputTooLarge()
            if isinstance(left, int) and isinstance(right, int) \
                    and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise SecurityError("the number is too large")
        elif operator == "%" and isinstance(left, str):
            _check_printf(left)
        return _check_size(super().call_binop(context, operator, left, right))

    def getattr(self, obj, attribute):
        _tick()
        return _check_size(super().getattr(obj, attribute))

    def getitem(self, obj, argument):
        _tick()
        return _check_size(super().getitem(obj, argument))

    def wrap_str_format(self, value):
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_str_format(value.__self__)
        return wrapped

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's signature)
        _tick()
        for arg in args + tuple(kwargs.values()):
            _check_size(arg)
        if isinstance(__obj, types.BuiltinMethodType) and isinstance(getattr(__obj, "__self__", None), str):
            if __obj.__name__ in _PADDING_METHODS:
                for arg in args:
                    _width(arg)
            elif __obj.__name__ == "replace" and len(args) >= 2:
                s, old, new = __obj.__self__, str(args[0]), str(args[1])
                occurrences = (len(s) + 1) if old == "" else s.count(old)
                if len(s) + occurrences * (len(new) - len(old)) > MAX_OUTPUT:
                    raise OutputTooLarge()
        return _check_size(super().call(__context, __obj, *args, **kwargs))


def _finalize(value):
    return "" if value is None else value


def make_environment(filters):
    """A sandboxed environment with autoescaping, undefined placeholders as errors, None printed
    as nothing, and `filters` added to (or replacing) Jinja's own."""
    env = PrintSandbox(autoescape=True, undefined=StrictUndefined, finalize=_finalize,
                       trim_blocks=True, lstrip_blocks=True)
    env.globals.pop("lipsum", None)
    env.filters.update({
        "format": _filter_format,
        "replace": _filter_replace,
        "center": _filter_center,
        "indent": _filter_indent,
    })
    env.filters.update(filters)
    return env


@contextlib.contextmanager
def deadline(seconds):
    """Within the block, the sandbox raises RenderTimeout once `seconds` have passed."""
    _state.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _state.deadline = None


_base_filters = ImmutableSandboxedEnvironment().filters
_DEFAULT_REPLACE = _base_filters["replace"]
_DEFAULT_INDENT = _base_filters["indent"]
