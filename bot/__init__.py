"""Bridgebot: keeps marketing and IT in contact, from Slack."""
