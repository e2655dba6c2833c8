"""`python -m leafpress`: the same command line as `leafpress`."""

from .commands.cli import main

if __name__ == "__main__":
    main(prog_name="leafpress")
