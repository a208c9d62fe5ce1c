"""Builds a throw-away plugin distribution and pip-installs it into a directory.

The distribution has its own tiny PEP 517 backend (``backend-path``), so that pip builds a
real wheel with ``.dist-info/entry_points.txt`` without network access or ``wheel``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

DIST_NAME = "srs-throwaway-plugin"
VERSION = "0.0.1"

BACKEND = """
import base64, hashlib, zipfile
from pathlib import Path

DIST = "srs_throwaway_plugin"
VERSION = "0.0.1"
MODULES = ["throwaway_plugin.py", "typo_plugin.py"]
ENTRY_POINTS = "[srs]\\nthrowaway = throwaway_plugin\\ntypo = typo_plugin\\n"


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = f"{DIST}-{VERSION}.dist-info"
    files = {name: Path(name).read_bytes() for name in MODULES}
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\\nName: srs-throwaway-plugin\\nVersion: {VERSION}\\n"
    ).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\\nGenerator: throwaway\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    files[f"{info}/entry_points.txt"] = ENTRY_POINTS.encode()
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    wheel = f"{DIST}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel
"""

PYPROJECT = """
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "srs-throwaway-plugin"
version = "0.0.1"
"""

PLUGIN = '''
"""A plugin written as a third party would: hooks through ``srs.plugins.hookimpl``."""
from srs.plugins import hookimpl
from srs.plugins.classification import CallClassification

CALLS = []


@hookimpl
def srs_configure(config):
    CALLS.append(("configure", config))


@hookimpl
def srs_session_started(snapshot):
    CALLS.append(("started", snapshot["recording_id"]))


@hookimpl
def srs_classify_call(request, now):
    CALLS.append(("classify", now))
    return CallClassification(group_id="throwaway-group", leg="only", channel=0)


@hookimpl
def srs_register_storage_backends(registry):
    registry.register("throwaway", lambda config: "throwaway-backend", plugin="throwaway")
'''

TYPO = """
from srs.plugins import hookimpl


@hookimpl
def srs_sesion_started(snapshot):
    pass
"""


def build_and_install(workdir: Path) -> Path:
    """Write the distribution's source under ``workdir/src``, pip-install it into
    ``workdir/site`` and return that directory (put it on ``sys.path`` to see it)."""
    src = workdir / "src"
    src.mkdir(parents=True)
    (src / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    (src / "backend.py").write_text(BACKEND)
    (src / "throwaway_plugin.py").write_text(PLUGIN)
    (src / "typo_plugin.py").write_text(TYPO)
    site = workdir / "site"
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
        "--no-build-isolation", "--disable-pip-version-check", "--target", str(site), str(src),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pip install of the throw-away plugin failed:\n{done.stderr}")
    return site
