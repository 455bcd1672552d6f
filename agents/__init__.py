"""The agent zoo, installed as ``coachrl.agents``; each agent is a thin composition of blocks."""
