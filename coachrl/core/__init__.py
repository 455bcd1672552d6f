"""Data types, spaces, step units, schedules, return maths and seeding: the framework's vocabulary."""
