"""Example Pluginary extension."""
