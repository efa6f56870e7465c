"""audio_builder: turn yoga pose scripts into guided audio sessions.

The pipeline reads in the folder listing: loader (script) -> plan (timeline) ->
synth (speech, cached) -> mix -> encode -> tags. Dataclasses pass between stages.
"""

__version__ = "0.1.0"

RATE = 44100
"""The one sample rate of every stage after synthesis: all timing is in samples at this rate."""
