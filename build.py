#!/usr/bin/env python3
"""Same command line as `leafpress`: python build.py build, python build.py --help."""

from leafpress.commands.cli import main

if __name__ == "__main__":
    main()
