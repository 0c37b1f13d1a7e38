"""Rendering: templates filled in by the sandbox of app/printing/sandbox.py, with the filters
money, area, date, date_cn and amount_in_words. Every failure of a template is a
BusinessError with a message for the admin, never a server error.
"""
from flask_babel import gettext as _
from jinja2 import TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from app.core.errors import BusinessError
from app.printing import sandbox
from app.printing.models import PrintTemplate
from app.printing.services.formatting import format_area, format_date, format_date_cn, format_money
from app.printing.services.words import _amount_in_words_filter

# Limits: time to fill in a template, size of its source (the sandbox has its own limits on
# sizes; the time to make the PDF is in pdf.py).
RENDER_SECONDS = 10
MAX_TEMPLATE = 500_000

_ENV = sandbox.make_environment({
    "money": format_money,
    "area": format_area,
    "date": format_date,
    "date_cn": format_date_cn,
    "amount_in_words": _amount_in_words_filter,
})


def environment():
    return _ENV


def _template_line(exc):
    """The line of the template where a runtime error happened, from Jinja's rewritten traceback."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _with_line(line, message):
    if line:
        return _("Line %(line)d: %(message)s", line=line, message=message)
    return message[:1].upper() + message[1:]


def compile_html(html):
    """The compiled template, or a BusinessError naming the line of the syntax error."""
    if not html or not str(html).strip():
        raise BusinessError(_("The template is empty."))
    if len(str(html)) > MAX_TEMPLATE:
        raise BusinessError(_("The template is too long (at most %(count)d characters).", count=MAX_TEMPLATE))
    try:
        return _ENV.from_string(str(html))
    except TemplateSyntaxError as e:
        raise BusinessError(_with_line(e.lineno, _("the template has a syntax error: %(detail)s",
                                                     detail=e.message))) from None
    except RecursionError:
        raise BusinessError(_("The template is nested too deeply.")) from None
    except Exception as e:  # noqa: BLE001 - anything in a user's template is the user's error
        raise BusinessError(_("The template cannot be read: %(detail)s", detail=str(e))) from None


def render(template, context):
    """Fill in a template (a PrintTemplate or its HTML) with a context; returns HTML text."""
    html = template.html if isinstance(template, PrintTemplate) else template
    compiled = compile_html(html)
    try:
        with sandbox.deadline(RENDER_SECONDS):
            parts, size = [], 0
            for chunk in compiled.generate(dict(context or {})):
                size += len(chunk)
                if size > sandbox.MAX_OUTPUT:
                    raise sandbox.OutputTooLarge()
                parts.append(chunk)
        return "".join(parts)
    except SecurityError as e:
        raise BusinessError(_with_line(_template_line(e), _(
            "the template uses something that is not allowed in print templates (%(detail)s).",
            detail=str(e)))) from None
    except UndefinedError as e:
        raise BusinessError(_with_line(_template_line(e), _(
            "the template uses a placeholder that this kind of document does not have (%(detail)s).",
            detail=str(e)))) from None
    except sandbox.RenderTimeout:
        raise BusinessError(_("The template took more than %(seconds)d seconds to fill in; "
                              "check its loops.", seconds=RENDER_SECONDS)) from None
    except sandbox.OutputTooLarge:
        raise BusinessError(_("The template produces a document that is too large.")) from None
    except RecursionError:
        raise BusinessError(_("The template calls itself too deeply.")) from None
    except MemoryError:
        raise BusinessError(_("The template produces a document that is too large.")) from None
    except Exception as e:  # noqa: BLE001 - template code is user input
        raise BusinessError(_with_line(_template_line(e), _(
            "the template could not be filled in (%(detail)s).", detail=str(e) or type(e).__name__))) from None
