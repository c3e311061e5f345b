"""In production (COLDSTART_STATIC_MANIFEST=1 after collectstatic) the app serves its own
static files under content-hashed names that browsers may cache for a year."""

import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

FETCH = """
import json, re
import django
django.setup()
from django.test import Client
client = Client()
page = client.get("/accounts/login/", secure=True).content.decode()
css = re.search(r'href="(/static/css/site\\.[0-9a-f]{12}\\.css)"', page).group(1)
hashed = client.get(css, secure=True, HTTP_ACCEPT_ENCODING="gzip")
plain = client.get("/static/css/site.css", secure=True)
print(json.dumps({
    "url": css,
    "status": hashed.status_code,
    "cache_control": hashed["Cache-Control"],
    "encoding": hashed.get("Content-Encoding"),
    "plain_cache_control": plain["Cache-Control"],
}))
"""


def test_production_serves_hashed_static_files_with_a_far_future_cache_header(base_env, tmp_path):
    env = {
        **base_env,
        "COLDSTART_STATIC_MANIFEST": "1",
        "DJANGO_SECURE": "1",
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collect.returncode == 0, collect.stderr
    fetch = subprocess.run(
        [sys.executable, "-c", FETCH], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert fetch.returncode == 0, fetch.stderr
    served = json.loads(fetch.stdout)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    assert served == {
        "url": "/static/" + manifest["paths"]["css/site.css"],
        "status": 200,
        "cache_control": "max-age=315360000, public, immutable",
        "encoding": "gzip",
        # The unhashed name may change content at any upgrade, so it is cached briefly.
        "plain_cache_control": "max-age=60, public",
    }
