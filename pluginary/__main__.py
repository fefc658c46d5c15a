"""`python -m pluginary`: the same command line as `pluginary`."""

from pluginary.cli.app import main

main()
