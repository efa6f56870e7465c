"""The speech stage: engines behind one registry (engines/), synthesis of every text of
a session (synth), and the content-addressed cache of shaped clips (cache).

A new speech engine is a module in engines/ that registers itself.
"""
