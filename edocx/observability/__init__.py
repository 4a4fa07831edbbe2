"""Observability: request ids in log lines, health checks and metrics."""
