"""`python -m campaigns` is the `campaigns` command."""

from campaigns.cli import main

main()
