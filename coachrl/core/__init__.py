"""Data types, spaces, step units, schedules, return maths, seeding: the framework's vocabulary."""
