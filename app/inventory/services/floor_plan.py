"""Floor-plan images of layouts (户型图): real images of a known kind and a bounded size."""
import io

from flask_babel import gettext as _

from app.core.errors import BusinessError

MAX_FLOOR_PLAN_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def image_type(data):
    """The MIME type of an image Pillow can read, or a refusal naming what is accepted."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        kind = None
    if kind not in IMAGE_TYPES:
        raise BusinessError(_("The floor plan must be a PNG, JPEG, GIF or WebP image."))
    return IMAGE_TYPES[kind]


def set_floor_plan(layout, data):
    """Attach an uploaded image to the layout; an empty upload keeps the current one."""
    if not data:
        return layout
    if len(data) > MAX_FLOOR_PLAN_BYTES:
        raise BusinessError(_("The floor plan image is larger than %(mb)d MB.", mb=MAX_FLOOR_PLAN_BYTES // 1048576))
    layout.floor_plan_type = image_type(data)
    layout.floor_plan = data
    return layout


def remove_floor_plan(layout):
    layout.floor_plan = None
    layout.floor_plan_type = None
    return layout
