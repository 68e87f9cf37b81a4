"""Test settings: the product's settings under the embedded defaults that `make run` uses.

DEBUG defaults to false in dashboard/settings.py, where production must not get it by accident;
tests run like the development server (DEBUG on unless the environment says otherwise, so static
files come from the app directories and no SECRET_KEY is needed). Django's test runner still
switches settings.DEBUG off while tests run. Subprocesses started by tests inherit DEBUG=true.
"""

import os

os.environ.setdefault("DEBUG", "true")

from dashboard.settings import *  # noqa: F403
