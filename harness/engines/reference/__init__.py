"""The reference engine: pure Python, the readable truth. See ``harness.engines``."""
