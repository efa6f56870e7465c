"""The pipeline on top of the stages: prepare (no speech) -> speak -> plan -> write
(render), the WebVTT side output (transcript), and terminal progress (progress).
"""
