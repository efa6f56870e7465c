"""Proof-listening: an offline recogniser hears every cue alone and says where it heard
other words than were written, with respellings to try in `pronounce:`."""
