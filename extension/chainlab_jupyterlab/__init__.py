"""chainlab's JupyterLab renderers, shipped as a prebuilt extension.

The wheel installs the extension itself into share/jupyter/labextensions; this module only
names its version and tells JupyterLab's tools where the extension sits in a source checkout.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chainlab-jupyterlab")
except PackageNotFoundError:  # imported from a source checkout that is not installed
    __version__ = None


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "@chainlab/jupyterlab"}]
