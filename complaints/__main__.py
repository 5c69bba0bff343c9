"""`python -m complaints ...` runs the same command line as `complaints ...`."""

from complaints.cli import main

main()
