"""Slack face: Bolt app, listeners, Block Kit rendering, posting and updating messages."""
