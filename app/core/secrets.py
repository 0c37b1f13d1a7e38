"""Secrets live outside the repository: from the environment, or generated once into
instance/secrets.json (mode 0600) on first start."""
import base64
import json
import os
import secrets as _secrets


def load_or_create(app):
    needed = [k for k in ("SECRET_KEY", "LOUPAN_DATA_KEY") if not app.config.get(k)]
    if not needed:
        return
    path = os.path.join(app.instance_path, "secrets.json")
    stored = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            stored = json.load(fh)
    missing = [k for k in needed if k not in stored]
    if missing:
        for key in missing:
            stored[key] = base64.urlsafe_b64encode(_secrets.token_bytes(32)).decode()
        tmp = path + ".tmp%d" % os.getpid()
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
            json.dump(stored, fh, indent=2)
        # Two workers starting together: the first file written wins, the other re-reads it.
        try:
            os.link(tmp, path)
        except FileExistsError:
            with open(path, encoding="utf-8") as fh:
                stored = {**stored, **json.load(fh)}
        finally:
            os.unlink(tmp)
    for key in needed:
        app.config[key] = stored[key]
