"""The sound stage: shaping clips (clips, loudness), named sounds and the chimes the
project makes (named, chimes), and mixing the plan into blocks of samples (mix).

A new sound made by the project goes in chimes (or a sibling module) and sounds/.
"""
