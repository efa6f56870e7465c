"""Which frame slots are encoded, in which parts: pure arithmetic, tested with numbers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from audio_builder import RATE
from audio_builder.mp3.frames import FRAME, CbrLine, FrameCounter, SilentFrames
from audio_builder.mp3.slots import MARGIN, MERGE_GAP, Part, parts_for, slot_count, whole


def test_a_session_has_its_whole_frames_and_the_one_the_delay_spills_into():
    assert slot_count(FRAME) == 2
    assert slot_count(FRAME + 1) == 3
    assert slot_count(10 * FRAME + 47) == 12
    assert whole(10 * FRAME) == [Part(0, 10)]


def test_a_sound_is_encoded_with_silent_margins_inside_its_part():
    total = 200 * FRAME
    (part,) = parts_for([(50 * FRAME + 7, 3 * FRAME)], total)
    assert part == Part(50 - MARGIN, 54 + MARGIN)
    assert part.frames == part.last - part.first + 1
    assert part.start <= 50 * FRAME + 7 - MARGIN * FRAME
    assert part.stop >= 53 * FRAME + 7 + MARGIN * FRAME


def test_parts_are_clamped_to_the_session():
    total = 20 * FRAME + 5
    assert parts_for([(0, 100)], total) == [Part(0, 1 + MARGIN)]
    assert parts_for([(total - 10, 10)], total) == [Part(19 - MARGIN, 21)]


def test_close_sounds_share_a_part_far_ones_do_not():
    total = 100_000 * FRAME
    a = (10 * FRAME, FRAME)
    near = (11 * FRAME + MARGIN * 2 * FRAME + (MERGE_GAP - 1) * FRAME, FRAME)
    far = (near[0] + (MERGE_GAP + 2 * MARGIN + 5) * FRAME, FRAME)
    parts = parts_for([far, a, near], total)
    assert len(parts) == 2 and parts[0].first == 10 - MARGIN and parts[1].last > parts[0].last
    assert len(parts_for([a, near], total, merge_gap=0)) == 2


def test_no_sound_no_part():
    assert parts_for([], 60 * RATE) == []
    assert parts_for([(5 * RATE, 0)], 60 * RATE) == []


@given(st.lists(st.tuples(st.integers(0, 400 * FRAME), st.integers(1, 30 * FRAME)),
                max_size=12),
       st.integers(1, 600 * FRAME), st.integers(0, 200))
@settings(max_examples=300, deadline=None)
def test_parts_cover_every_sound_with_margins_in_order_never_sharing_a_slot(
        sounds, total, gap):
    sounds = [(s, min(n, total - s)) for s, n in sounds if s < total]
    parts = parts_for(sounds, total, merge_gap=gap)
    last_slot = slot_count(total) - 1
    for p, q in zip(parts, parts[1:]):
        assert p.last < q.first  # the slot of a part's last frame is its own
        assert q.first - p.last - 1 >= gap  # free slots between them
    for p in parts:
        assert 0 <= p.first < p.last <= last_slot
    for s, n in sounds:
        if n <= 0:
            continue
        (p,) = [p for p in parts if p.start <= s < p.stop]
        assert s + n <= p.stop
        assert p.first == 0 or s - p.start >= MARGIN * FRAME
        assert p.last == last_slot or p.stop - (s + n) >= MARGIN * FRAME


def test_silent_frames_keep_the_byte_count_on_the_constant_bitrate_line():
    line = CbrLine(96)
    silent = SilentFrames.like(bytes.fromhex("fffb70c4"), line)
    assert len(silent.plain) == 313 and len(silent.padded) == 314
    assert silent.plain[4:] == bytes(309)  # all-zero side info: no main data, reach 0
    for off in (-3, 0, 2):  # after a part, a few bytes off the line
        written = line.after(40) + off
        data = b"".join(silent.run(40, 5000, written, chunk=700))
        counter = FrameCounter()
        for i in range(0, len(data), 999):
            counter.feed(data[i:i + 999])
        assert counter.frames == 5000 and counter.complete() and counter.first_reach == 0
        assert written + len(data) == line.after(5040)


def test_a_stream_that_is_not_ours_is_refused_not_looped_over():
    import pytest

    for head in (bytes.fromhex("fffb00c0"), bytes.fromhex("fffbf0c0"),  # free, bad rate
                 bytes.fromhex("fffb7cc0")):  # reserved sample rate
        with pytest.raises(ValueError):
            FrameCounter().feed(head + bytes(400))
    protected = bytearray(bytes.fromhex("fffa70c4") + bytes(309))  # with a CRC
    counter = FrameCounter()
    counter.feed(bytes(protected))
    assert counter.frames == 1 and counter.first_reach == 0 and counter.complete()
