"""The only layer that talks SQL: models, engine and sessions, one repository module per feature."""
