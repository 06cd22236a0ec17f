"""Shim: ``python -m pulumi_venice.plugin`` (``--install``, ``--path``,
``--gen-sdk``) runs :mod:`pulumi_venice.tools.plugin_command`."""

import sys

from ..tools.plugin_command import main

sys.exit(main(sys.argv[1:]))
