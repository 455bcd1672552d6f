"""Tuned presets, installed as ``coachrl.presets``; each module defines ``preset``."""
