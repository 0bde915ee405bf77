"""`python -m mystery` is the `mystery` command (the console's shell)."""

from console.cli import main

main()
