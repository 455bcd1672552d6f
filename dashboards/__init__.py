"""TensorBoard layouts and run-comparison reports, installed as ``coachrl.dashboards``."""
