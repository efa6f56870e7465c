"""audio_builder: turn yoga pose scripts into guided audio sessions.

The pipeline reads in the folder listing, one subpackage per stage: script (YAML ->
Script) -> plan (timeline) -> sound and speech (clips, cached) -> mp3 (encode, tags),
driven by pipeline.render and cli. Dataclasses pass between stages.
"""

__version__ = "0.1.0"

RATE = 44100
"""The one sample rate of every stage after synthesis: all timing is in samples at this rate."""
