"""The sandboxed template engine, its filters and its error messages."""
import datetime as dt
from decimal import Decimal

import pytest

from app.core.errors import BusinessError
from app.printing import services
from app.printing.services import engine


def render(html, **context):
    return services.render(html, context)


def test_placeholders_are_filled_in_and_escaped():
    out = render("<p>{{ customer.name }}</p><p>{{ note }}</p>",
                 customer={"name": "张三"}, note="<script>alert(1)</script>")
    assert "<p>张三</p>" in out
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_none_prints_as_nothing():
    assert render("[{{ value }}]", value=None) == "[]"


def test_filters():
    out = render("{{ a|money }}|{{ b|area }}|{{ d|date }}|{{ d|date_cn }}|{{ a|amount_in_words }}|{{ n|money }}",
                 a=Decimal("123456.78"), b=Decimal("89.5"), d=dt.date(2026, 11, 26), n=Decimal("-1234"))
    assert out == "¥123,456.78|89.50㎡|2026-11-26|2026年11月26日|壹拾贰万叁仟肆佰伍拾陆元柒角捌分|-¥1,234.00"


def test_money_filter_formats():
    assert services.format_money(Decimal("1234567")) == "¥1,234,567.00"
    assert services.format_money(Decimal("0.005")) == "¥0.01"
    assert services.format_money(Decimal("12.5"), "") == "12.50"
    assert services.format_money(None) == ""
    assert services.format_area(Decimal("120")) == "120.00㎡"
    assert services.format_date(dt.datetime(2026, 11, 26, 10, 30)) == "2026-11-26"
    assert services.format_date(None) == ""


@pytest.mark.parametrize("html", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ items.append(1) }}",
    "{{ config }}{{ request }}",
])
def test_sandbox_refuses_unsafe_things_with_a_clear_message(html):
    with pytest.raises(BusinessError) as err:
        render(html, items=[1])
    message = str(err.value)
    assert "Line 1" in message or "行" in message
    assert "Traceback" not in message


def test_unsafe_attribute_names_the_problem():
    with pytest.raises(BusinessError) as err:
        render("{{ ''.__class__ }}")
    message = str(err.value)
    assert ("not allowed" in message or "不允许" in message) and "__class__" in message


def test_unknown_placeholder_is_named():
    with pytest.raises(BusinessError) as err:
        render("<p>ok</p>\n<p>{{ custmer.name }}</p>", customer={"name": "x"})
    message = str(err.value)
    assert "custmer" in message and ("Line 2" in message or "第 2 行" in message)


def test_syntax_error_gives_the_line():
    with pytest.raises(BusinessError) as err:
        render("<p>\n{% for x in items %}\n{{ x }}\n")
    message = str(err.value)
    assert ("Line" in message or "行" in message) and ("syntax" in message or "语法" in message)


def test_empty_template_is_refused():
    with pytest.raises(BusinessError):
        render("   ")


@pytest.mark.parametrize("html", [
    "{{ 'x' * 100000000 }}",
    "{{ '%999999999d' % 1 }}",
    "{{ '{:999999999}'.format(1) }}",
    "{{ 'x'.ljust(999999999) }}",
    "{{ 'x'|center(999999999) }}",
    "{{ '%999999999s'|format('x') }}",
    "{{ 9 ** 999999 }}",
    "{{ ((10 ** 100) ** 100) ** 100 }}",
    "{% set ns = namespace(n=10 ** 50) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}{% endfor %}{{ 1 }}",
    "{% set ns = namespace(s='xx') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "{% macro f(s, n) %}{{ f(s ~ s, n - 1) if n else s|length }}{% endmacro %}{{ f('x', 60) }}",
    "{{ ('x' * 1000)|replace('x', 'y' * 1000)|replace('y', 'z' * 1000) }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
    "{{ 1 / 0 }}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
])
def test_runaway_or_broken_templates_become_messages(html):
    with pytest.raises(BusinessError):
        render(html)


def test_empty_loops_are_stopped_by_the_time_limit(monkeypatch):
    monkeypatch.setattr(engine, "RENDER_SECONDS", 0.5)
    with pytest.raises(BusinessError) as err:
        render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    assert "seconds" in str(err.value) or "秒" in str(err.value)



def test_very_long_template_is_refused():
    with pytest.raises(BusinessError):
        render("x" * (services.MAX_TEMPLATE + 1))
