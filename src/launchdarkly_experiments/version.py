"""The package's version, from its one source: ``[project] version`` in pyproject.toml.

The installed distribution's metadata carries it (a wheel, an editable install, the plugin's
zipapp), so it is read from there at run time: the plugin's ``GetPluginInfo``, the schema's
``version`` (and through it every SDK) and the HTTP ``User-Agent`` all say the same.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "pulumi-launchdarkly-experiments"


def _installed_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        # Imported from a source tree that was never installed (no metadata to read): a version
        # that is valid for both PEP 440 and semver and that no release carries.
        return "0.0.0+unknown"


VERSION = _installed_version()
