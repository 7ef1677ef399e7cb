"""`python -m walker` is the `walker` command."""

import sys

from walker.app.cli import main

sys.exit(main())
