"""The plan stage: pure timing, no audio. A script and measured durations become a
timeline of speech, silence and chimes fitted to the chosen length.

outline (what happens, in order), timeline (fitting and placing), table (plan as text).
"""

from .fit import Bounds, drop_order, length_bounds, reachable, unreachable
from .outline import texts_to_speak
from .timeline import Chapter, Event, EventKind, Hold, Plan, make_plan, plan_dict

__all__ = ["Bounds", "Chapter", "Event", "EventKind", "Hold", "Plan", "drop_order",
           "length_bounds", "make_plan", "plan_dict", "reachable", "texts_to_speak", "unreachable"]
