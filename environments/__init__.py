"""Environment adapters (Gymnasium) and toy environments, installed as ``coachrl.environments``."""
