"""The chat side of the core: the command table, subscriptions, follows and feature wiring."""
