"""`python -m station` runs the command line."""

from station.launch import main

main()
