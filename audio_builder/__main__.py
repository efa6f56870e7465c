"""`python -m audio_builder` runs the command line."""

from .cli import main

main()
