"""The MP3 stage: where to cut for parallel encoding (cuts), ffmpeg's LAME (encode), the
Info/LAME header and joining parts (infotag), and ID3 tags with chapters (tags).

A new output format is a sibling stage of this one.
"""
