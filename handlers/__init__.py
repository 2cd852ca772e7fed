"""The Slack edge: one listeners module per feature, each with register(app, services) (see handlers/features.py)."""
